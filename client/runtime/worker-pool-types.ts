/**
 * The worker pool's contract: a chunk to compute, the limits of a run, its result, the pool's
 * options, and what it needs of a worker. The pool itself: worker-pool.ts.
 */
import type * as Comlink from 'comlink';

/** One chunk to compute: the kernel (by name and hash, with its bytes) and its inputs. */
export interface KernelJob {
  kernel: string;
  sha256: string;
  /** The kernel's WebAssembly; sent to a worker only the first time it loads this kernel. */
  bytes: Uint8Array;
  params: unknown;
  chunk: unknown;
  /** The blobs of job data the chunk names (`inputsOf`), in order; copied to the worker. */
  inputs?: readonly Uint8Array[];
}

/** Limits of one run. */
export interface RunOptions {
  /** Aborting ends the worker and rejects with 'kernel-aborted'. */
  signal?: AbortSignal;
  /** Time for loading (when needed) and computing the chunk; past it: 'kernel-timeout'. */
  timeoutMs: number;
}

/** A chunk's encoded result and its compute time (including any test slowdown). */
export interface RunResult {
  result: Uint8Array;
  ms: number;
}

export interface WorkerPoolOptions {
  /** Workers (donated cores); default 1. */
  size?: number;
  /** An unused worker is ended after this long (ms); default 30 s, 0 for never. */
  idleTimeoutMs?: number;
  /**
   * Testing aid, to make a peer look slower in end-to-end tests: after each chunk, its worker
   * stays busy for (factor − 1) × the chunk's compute time. Default 1 (no delay).
   */
  slowdownFactor?: number;
  /** URLs of modules exporting extra `kernels`, imported by each worker (tests use it). */
  kernelModules?: readonly string[];
  /** Starts a worker; by default the module worker next to this file. */
  createWorker?: () => KernelWorker;
  /**
   * Runs posted to one worker at once; default 1. With 2, a worker's next chunk already waits
   * in its own message queue when it finishes one, so it does not sit idle while this thread
   * is busy (merging, painting, encoding and sending the previous result) before it can post
   * the next. A run's time limit counts from when the run before it on its worker ended. A
   * testing slowdown (`slowdownFactor` > 1) keeps 1, so the delay holds the worker as it says.
   */
  runsPerWorker?: number;
}

/**
 * What the pool needs of a worker: a comlink endpoint that reports 'error' and 'messageerror'
 * events and can be ended. A DOM `Worker` is one; Node passes an adapter over worker_threads
 * (`client/node/worker-threads.ts`).
 */
export interface KernelWorker extends Comlink.Endpoint {
  terminate(): void;
}
