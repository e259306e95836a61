/**
 * A matrix product's inputs in the browser: A and B from a seed (`randomMatrices`) or from two
 * uploaded raw `.f64` files, what IndexedDB keeps of them (the seed, or the files), and how a
 * resumed job gets them back.
 */
import { decodeF64LE, MAX_DIM, type MatmulParams } from '../../kernels/matmul/meta.ts';
import { MAX_SEED, randomMatrices } from '../../kernels/matmul/random.ts';
import type { JobData } from '../store/job-data.ts';

/** Where A and B come from. */
export type MatmulSource =
  | { kind: 'random'; seed: number }
  | { kind: 'files'; a: Blob & { name?: string }; b: Blob & { name?: string } };

/** A job as the form asks for it. */
export interface MatmulRequest {
  shape: MatmulParams;
  source: MatmulSource;
}

/** A job's matrices, row-major f64, and what IndexedDB keeps to rebuild them. */
export interface MatmulInputs {
  a: Float64Array;
  b: Float64Array;
  saved: JobData;
}

/** Largest dimension the panel offers (the kernel takes up to MAX_DIM). */
export const UI_MAX_DIM = Math.min(4096, MAX_DIM);
export { MAX_SEED };

/**
 * Why a file cannot be matrix `name` (rows × cols, little-endian f64), or undefined when its
 * size fits.
 */
export function uploadProblem(
  name: 'A' | 'B',
  bytes: number,
  rows: number,
  cols: number,
): string | undefined {
  const expected = rows * cols * 8;
  if (bytes === expected) return undefined;
  const values = bytes % 8 === 0 ? `${bytes / 8} values` : 'not a whole number of f64 values';
  return (
    `${name} must be ${rows} × ${cols} little-endian f64 values: ` +
    `${expected.toLocaleString('en')} bytes; the file has ${bytes.toLocaleString('en')} bytes (${values}).`
  );
}

async function readMatrix(blob: Blob, name: 'A' | 'B', rows: number, cols: number) {
  const problem = uploadProblem(name, blob.size, rows, cols);
  if (problem) throw new Error(problem);
  return decodeF64LE(new Uint8Array(await blob.arrayBuffer()));
}

/** The matrices of a request, read or generated. Throws when a file has the wrong size. */
export async function loadInputs(request: MatmulRequest): Promise<MatmulInputs> {
  const { shape, source } = request;
  if (source.kind === 'random') {
    const { a, b } = randomMatrices(shape, source.seed);
    return { a, b, saved: { kind: 'random-matrices', seed: source.seed, shape: { ...shape } } };
  }
  const [a, b] = await Promise.all([
    readMatrix(source.a, 'A', shape.n, shape.k),
    readMatrix(source.b, 'B', shape.k, shape.m),
  ]);
  return { a, b, saved: { kind: 'matrices', a: source.a, b: source.b } };
}

/** The matrices of a resumed job from what IndexedDB kept; throws when that does not fit. */
export async function inputsFromSaved(
  shape: MatmulParams,
  saved: JobData | undefined,
): Promise<{ a: Float64Array; b: Float64Array }> {
  if (saved?.kind === 'random-matrices') {
    const same =
      saved.shape.n === shape.n && saved.shape.k === shape.k && saved.shape.m === shape.m;
    if (!same) throw new Error('its saved inputs are for another shape');
    return randomMatrices(shape, saved.seed);
  }
  if (saved?.kind === 'matrices') {
    const [a, b] = await Promise.all([
      readMatrix(saved.a, 'A', shape.n, shape.k),
      readMatrix(saved.b, 'B', shape.k, shape.m),
    ]);
    return { a, b };
  }
  throw new Error('its input matrices are no longer in this browser’s storage');
}
