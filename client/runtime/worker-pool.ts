/**
 * The worker pool: one kernel worker per donated core, started lazily and ended when idle
 * (as squoosh's worker bridge does). Each worker loads a kernel once and reuses it. A chunk
 * past its time limit, or aborted, ends its worker mid-chunk (JavaScript cannot interrupt a
 * running WebAssembly loop any other way); a fresh worker takes the next chunk.
 */
import * as Comlink from 'comlink';
import { PdError } from '../protocol/errors.ts';
import type { ChunkOutput, KernelWorkerApi, WorkerOutcome } from './kernel-worker-api.ts';

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
}

/**
 * What the pool needs of a worker: a comlink endpoint that reports 'error' and 'messageerror'
 * events and can be ended. A DOM `Worker` is one; Node passes an adapter over worker_threads
 * (`client/node/worker-threads.ts`).
 */
export interface KernelWorker extends Comlink.Endpoint {
  terminate(): void;
}

/** A started worker and what it has loaded; a replaced worker's handle is simply dropped. */
interface WorkerHandle {
  worker: KernelWorker;
  api: Comlink.Remote<KernelWorkerApi>;
  /** Settles once the worker has imported `kernelModules`. */
  ready: Promise<WorkerOutcome<void>>;
  /** `${name}@${sha256}` of the kernels this worker has loaded. */
  loaded: Set<string>;
}

interface Slot {
  handle?: WorkerHandle;
  busy: boolean;
  /** Removed by shrinking `size` while busy: ended when its chunk is done. */
  retired: boolean;
  idleTimer?: ReturnType<typeof setTimeout>;
  /** Ends the run in flight, if any, with the given error. */
  interrupt?: (err: PdError) => void;
}

interface Waiter {
  take(slot: Slot): void;
  fail(err: unknown): void;
}

function startKernelWorker(): Worker {
  // This exact form lets Vite bundle the worker; the test runner serves the .ts file as is.
  return new Worker(new URL('./kernel-worker.ts', import.meta.url), { type: 'module' });
}

/** Runs kernel chunks on a pool of Web Workers. */
export class WorkerPool {
  readonly #slots: Slot[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #options: Required<Omit<WorkerPoolOptions, 'size'>>;
  #closed = false;

  constructor(options: WorkerPoolOptions = {}) {
    this.#options = {
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      slowdownFactor: options.slowdownFactor ?? 1,
      kernelModules: options.kernelModules ?? [],
      createWorker: options.createWorker ?? startKernelWorker,
    };
    this.size = options.size ?? 1;
  }

  /** Number of workers; growing serves queued runs, shrinking ends workers once they are free. */
  get size(): number {
    return this.#slots.filter((slot) => !slot.retired).length;
  }

  set size(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size ${size}`);
    while (this.size < size) this.#release(this.#newSlot());
    for (let i = this.#slots.length - 1; i >= 0 && this.size > size; i--) {
      const slot = this.#slots[i]!;
      if (slot.retired) continue;
      slot.retired = true;
      if (!slot.busy) this.#remove(slot);
    }
  }

  /** Workers computing (or holding) a chunk now. */
  get busy(): number {
    return this.#slots.filter((slot) => slot.busy).length;
  }

  /** Workers free to take a chunk now (started or not). */
  get idle(): number {
    return this.#slots.filter((slot) => !slot.busy && !slot.retired).length;
  }

  /** Runs waiting for a free worker. */
  get queued(): number {
    return this.#waiters.length;
  }

  /**
   * Computes one chunk on a free worker, waiting for one if all are busy. Rejects with
   * 'kernel-timeout' or 'kernel-aborted' (the worker is ended and replaced), 'kernel-failed'
   * for a trap (the worker stays), a load error code from the worker, 'kernel-unavailable'
   * when the worker crashes, or 'pool-closed'.
   */
  async run(job: KernelJob, { signal, timeoutMs }: RunOptions): Promise<RunResult> {
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs ${timeoutMs}`);
    const slot = await this.#acquire(signal);
    try {
      const { result, ms } = await this.#runOn(slot, job, timeoutMs, signal);
      const extraMs = (this.#options.slowdownFactor - 1) * ms;
      if (extraMs > 0) await new Promise((resolve) => setTimeout(resolve, extraMs));
      return { result, ms: ms + Math.max(extraMs, 0) };
    } finally {
      this.#release(slot);
    }
  }

  /** Ends every worker; runs in flight or queued reject with 'pool-closed'. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.fail(new PdError('pool-closed'));
    for (const slot of [...this.#slots]) {
      slot.interrupt?.(new PdError('pool-closed'));
      this.#remove(slot);
    }
  }

  #acquire(signal: AbortSignal | undefined): Promise<Slot> {
    if (this.#closed) return Promise.reject(new PdError('pool-closed'));
    if (signal?.aborted) return Promise.reject(aborted(signal));
    const free = this.#slots.find((slot) => !slot.busy && !slot.retired);
    if (free) return Promise.resolve(this.#claim(free));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(aborted(signal!));
      };
      const waiter: Waiter = {
        take: (slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.#claim(slot));
        },
        fail: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #claim(slot: Slot): Slot {
    slot.busy = true;
    clearTimeout(slot.idleTimer);
    return slot;
  }

  /** Hands a slot that finished (or is new) to the next waiter, or lets it idle. */
  #release(slot: Slot): void {
    slot.busy = false;
    if (slot.retired || this.#closed) return this.#remove(slot);
    const waiter = this.#waiters.shift();
    if (waiter) return waiter.take(slot);
    const { idleTimeoutMs } = this.#options;
    if (slot.handle && idleTimeoutMs > 0) {
      slot.idleTimer = setTimeout(() => this.#endWorker(slot), idleTimeoutMs);
    }
  }

  #runOn(
    slot: Slot,
    job: KernelJob,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<ChunkOutput> {
    // The slot was claimed a microtask ago: the pool may have closed or the run been aborted.
    if (this.#closed) return Promise.reject(new PdError('pool-closed'));
    if (signal?.aborted) return Promise.reject(aborted(signal));
    return new Promise<ChunkOutput>((resolve, reject) => {
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        slot.interrupt = undefined;
        return true;
      };
      slot.interrupt = (err) => {
        if (!settle()) return;
        this.#endWorker(slot);
        reject(err);
      };
      const timer = setTimeout(
        () => slot.interrupt?.(new PdError('kernel-timeout', { kernel: job.kernel, timeoutMs })),
        Math.min(timeoutMs, 2 ** 31 - 1), // setTimeout fires at once past a signed 32-bit delay
      );
      const onAbort = (): void => slot.interrupt?.(aborted(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#compute(this.#startWorker(slot), job).then(
        (output) => {
          if (settle()) resolve(output);
        },
        (err: unknown) => {
          if (settle()) reject(err);
        },
      );
    });
  }

  async #compute(handle: WorkerHandle, job: KernelJob): Promise<ChunkOutput> {
    unwrap(await handle.ready);
    const key = `${job.kernel}@${job.sha256}`;
    if (!handle.loaded.has(key)) {
      unwrap(await handle.api.load(job.kernel, job.sha256, job.bytes));
      handle.loaded.add(key);
    }
    return unwrap(
      await handle.api.run(job.kernel, job.sha256, job.params, job.chunk, job.inputs ?? []),
    );
  }

  #startWorker(slot: Slot): WorkerHandle {
    if (slot.handle) return slot.handle;
    const worker = this.#options.createWorker();
    const api = Comlink.wrap<KernelWorkerApi>(worker);
    const handle: WorkerHandle = {
      worker,
      api,
      ready: api.importKernels(this.#options.kernelModules),
      loaded: new Set(),
    };
    // A module that fails to load, or an uncaught error, leaves comlink's calls unanswered.
    const onError = (event: Event): void => {
      if (slot.handle !== handle) return;
      // Read structurally: Node 20 has no global ErrorEvent, and its adapter's events carry
      // the message the same way.
      const { message } = event as Partial<ErrorEvent>;
      if (slot.interrupt) slot.interrupt(new PdError('kernel-unavailable', message ?? event.type));
      else this.#endWorker(slot);
    };
    worker.addEventListener('error', onError);
    worker.addEventListener('messageerror', onError);
    slot.handle = handle;
    return handle;
  }

  #endWorker(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    slot.handle?.worker.terminate();
    slot.handle = undefined;
  }

  #newSlot(): Slot {
    const slot: Slot = { busy: true, retired: false };
    this.#slots.push(slot);
    return slot;
  }

  #remove(slot: Slot): void {
    this.#endWorker(slot);
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
  }
}

function aborted(signal: AbortSignal): PdError {
  return new PdError('kernel-aborted', String(signal.reason));
}

function unwrap<T>(outcome: WorkerOutcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new PdError(outcome.code, outcome.details);
}
