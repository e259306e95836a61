/**
 * What the `job-data` store of db.ts keeps per job. Types only, and no DOM or IndexedDB, so
 * that realm-neutral code (and its Node tests) can name them.
 */

/**
 * A job's input data, as little as rebuilds it exactly: a reloaded controller needs it to
 * publish the job's blobs again. Read back from disk, so its reader validates it.
 */
export type JobData =
  /** Matrices from `randomMatrices(shape, seed)` (kernels/matmul/random.ts). */
  | { kind: 'random-matrices'; seed: number; shape: { n: number; k: number; m: number } }
  /** Matrices as uploaded: the raw little-endian f64 files (Blobs are stored as files). */
  | { kind: 'matrices'; a: Blob; b: Blob }
  /** PBKDF2 pairs: the text as submitted and the format it was parsed as. */
  | { kind: 'pairs'; format: 'csv' | 'jsonl'; text: string };
