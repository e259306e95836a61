/**
 * The contract every kernel folder fulfils (`kernels/<name>/meta.ts`): how a job's parameters
 * are validated, split into chunks, computed with the kernel's WebAssembly module, and merged
 * back. Realm-neutral: the controller (tab or Node), the workers and the tests all use it.
 *
 * Kernel WebAssembly ABI (checked by the runtime before instantiating):
 * - imports only `env.memory` (a WebAssembly.Memory the runtime creates with a maximum, so
 *   memory is capped) and `env.abort(msgPtr, filePtr, line, column)`;
 * - everything else is the kernel's own exports, which only its `execute` knows how to call.
 */

/** An instantiated kernel as a worker holds it: its exports and the memory it was given. */
export interface KernelInstance {
  /** The instance's exports (functions and globals); typed by each kernel's `execute`. */
  exports: Record<string, unknown>;
  /** The imported memory (structurally a WebAssembly.Memory, typed so Node's realm checks too). */
  memory: { readonly buffer: ArrayBuffer; grow(deltaPages: number): number };
}

/** Everything the controller needs to run a job of one kernel. */
export interface KernelMeta<Params, Chunk, Output> {
  /** Folder name and wire name, e.g. 'mandelbrot'. */
  readonly name: string;
  /** Memory cap for one instance, in 64 KiB pages. */
  readonly maxMemoryPages: number;
  /** Validates untrusted parameters (from a form, a CLI or the wire); throws PdError. */
  parseParams(input: unknown): Params;
  /** Validates an untrusted chunk descriptor from the wire; throws PdError. */
  parseChunk(input: unknown, params: Params): Chunk;
  /** The job's chunks, in a fixed order: chunk id = index. Chunk descriptors are plain JSON. */
  split(params: Params): Chunk[];
  /** Relative cost of a chunk (e.g. pixels × max iterations), for batching and throughput. */
  cost(params: Params, chunk: Chunk): number;
  /**
   * Computes one chunk in a worker; returns its result in the compact wire encoding.
   * `inputs` are the bytes of the blobs `inputsOf` names, in that order (none for jobs
   * without input data).
   */
  execute(
    kernel: KernelInstance,
    params: Params,
    chunk: Chunk,
    inputs: readonly Uint8Array[],
  ): Uint8Array;
  /**
   * Jobs with input data (matrices, password lists) only. The job's data travels as named,
   * content-addressed blobs: the controller cuts the data into blobs with `blobs`, announces
   * their names with their SHA-256, and a peer fetches the blobs a chunk names here (from the
   * controller or any peer that holds them) before running it. Names are short strings
   * (e.g. 'a/3'); the same name always means the same bytes within a job.
   */
  inputsOf?(params: Params, chunk: Chunk): string[];
  /** Controller side of `inputsOf`: the job's data (its shape is the kernel's own) as named blobs. */
  blobs?(params: Params, data: unknown): Map<string, Uint8Array>;
  /**
   * The largest valid result of a chunk in bytes, when the kernel knows it: the controller
   * then decodes into a buffer of that size instead of a generic 16 MiB bound.
   */
  maxResultBytes?(params: Params, chunk: Chunk): number;
  /** Checks that a result from the wire has the size and shape this chunk yields; throws PdError. */
  validateResult(params: Params, chunk: Chunk, result: Uint8Array): void;
  /** An empty output for the whole job. */
  createOutput(params: Params): Output;
  /** Writes a chunk's result into the output. */
  merge(output: Output, params: Params, chunk: Chunk, result: Uint8Array): void;
}
