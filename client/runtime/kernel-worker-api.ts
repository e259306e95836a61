/**
 * The kernel worker's API, one object for every realm (as squoosh's workers expose one API
 * object): `load` compiles, checks and instantiates a kernel once per (name, SHA-256), and
 * `run` computes chunks with it, transferring each result back. The entries that expose it
 * are `kernel-worker.ts` (a module Web Worker) and `client/node/node-kernel-worker.ts` (a
 * Node worker thread). The pool ends a worker whose chunk runs too long; nothing here needs
 * to watch the clock.
 *
 * Failures travel back as data (`WorkerOutcome`), not as throws: comlink turns a thrown
 * error into a plain Error with only name and message, which would lose the PdError code.
 */
import * as Comlink from 'comlink';
import type { KernelInstance } from '../../kernels/kernel-meta.ts';
import { isKernelName, kernelByName, type AnyKernelMeta } from '../../kernels/registry.ts';
import { isPdError, PdError, type PdErrorCode } from '../protocol/errors.ts';
import { compileKernel, instantiateKernel } from './kernel-loader.ts';

/** A worker call's result, or the PdError it failed with, as plain cloneable data. */
export type WorkerOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; code: PdErrorCode; details?: Record<string, unknown> | string };

/** A computed chunk: its encoded result and the milliseconds `execute` took in the worker. */
export interface ChunkOutput {
  result: Uint8Array;
  ms: number;
}

interface LoadedKernel {
  meta: AnyKernelMeta;
  module: WebAssembly.Module;
  /** Dropped after a failure, so the next chunk starts on a fresh instance. */
  instance: Promise<KernelInstance> | undefined;
}

/** Kernels added by `importKernels` (tests, out-of-tree kernels); the registry wins on names. */
const extraKernels = new Map<string, AnyKernelMeta>();
const loaded = new Map<string, LoadedKernel>();

const done: WorkerOutcome<void> = { ok: true, value: undefined };

/** The kernel worker's API, exposed with comlink by each realm's worker entry. */
export const kernelWorkerApi = {
  /**
   * Imports modules that export `kernels` (a Map or a record of KernelMeta) and makes those
   * kernels loadable here. The meta's `execute` is code, so it cannot be sent as a message.
   */
  async importKernels(urls: readonly string[]): Promise<WorkerOutcome<void>> {
    try {
      for (const url of urls) {
        const { kernels } = (await import(/* @vite-ignore */ url)) as { kernels?: unknown };
        const metas = kernels instanceof Map ? [...kernels.values()] : Object.values(kernels ?? {});
        for (const meta of metas as AnyKernelMeta[]) extraKernels.set(meta.name, meta);
      }
      return done;
    } catch (err) {
      return failure(err, 'kernel-unavailable');
    }
  },

  /**
   * Compiles (memoised per hash), checks and instantiates `bytes` as kernel `name`; a second
   * call for the same (name, sha256) does nothing. Fails with 'kernel-unknown',
   * 'kernel-hash-mismatch', 'kernel-bad-imports', 'kernel-bad-memory' or 'kernel-failed'.
   */
  async load(name: string, sha256: string, bytes: Uint8Array): Promise<WorkerOutcome<void>> {
    const key = keyOf(name, sha256);
    if (loaded.has(key)) return done;
    try {
      const meta = metaFor(name);
      const module = await compileKernel(bytes, sha256);
      const instance = instantiateKernel(module, meta);
      await instance;
      loaded.set(key, { meta, module, instance });
      return done;
    } catch (err) {
      return failure(err, 'kernel-failed');
    }
  },

  /**
   * Computes one chunk with a loaded kernel. Parameters and chunk come from the wire, so the
   * meta parses them here, next to the code they feed. `inputs` are the bytes of the blobs
   * the chunk names (`inputsOf`), in order. A trap fails with 'kernel-failed'.
   */
  async run(
    name: string,
    sha256: string,
    params: unknown,
    chunk: unknown,
    inputs: readonly Uint8Array[] = [],
  ): Promise<WorkerOutcome<ChunkOutput>> {
    const kernel = loaded.get(keyOf(name, sha256));
    if (!kernel) return { ok: false, code: 'kernel-unavailable', details: `${name} not loaded` };
    try {
      const parsedParams = kernel.meta.parseParams(params);
      const parsedChunk = kernel.meta.parseChunk(chunk, parsedParams);
      kernel.instance ??= instantiateKernel(kernel.module, kernel.meta);
      const instance = await kernel.instance;
      const started = performance.now();
      const output = kernel.meta.execute(instance, parsedParams, parsedChunk, inputs);
      const ms = performance.now() - started;
      const result = ownBuffer(output, instance);
      return Comlink.transfer({ ok: true, value: { result, ms } }, [result.buffer]);
    } catch (err) {
      // A trap can leave the instance's memory and globals half-written.
      kernel.instance = undefined;
      return failure(err, 'kernel-failed');
    }
  },
};

/** The worker's API, for `Comlink.wrap<KernelWorkerApi>` in the pool. */
export type KernelWorkerApi = typeof kernelWorkerApi;

function keyOf(name: string, sha256: string): string {
  return `${name}@${sha256}`;
}

function metaFor(name: string): AnyKernelMeta {
  const meta = isKernelName(name) ? kernelByName(name) : extraKernels.get(name);
  if (!meta) throw new PdError('kernel-unknown', name);
  return meta;
}

/**
 * `output` if it owns its whole buffer, else a copy: a view on the kernel's memory cannot be
 * transferred (that would detach the instance's memory) and a window would send it all.
 */
function ownBuffer(output: Uint8Array, instance: KernelInstance): Uint8Array<ArrayBuffer> {
  const { buffer } = output;
  const whole = output.byteOffset === 0 && output.byteLength === buffer.byteLength;
  if (whole && buffer instanceof ArrayBuffer && buffer !== instance.memory.buffer) {
    return output as Uint8Array<ArrayBuffer>;
  }
  return output.slice();
}

function failure(err: unknown, fallback: PdErrorCode): WorkerOutcome<never> {
  if (isPdError(err)) return { ok: false, code: err.code, details: err.details };
  return { ok: false, code: fallback, details: { message: String(err) } };
}
