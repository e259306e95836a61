/**
 * The worker pool: one kernel worker per donated core, started lazily and ended when idle
 * (as squoosh's worker bridge does). Each worker loads a kernel once and reuses it. A chunk
 * past its time limit, or aborted, ends its worker mid-chunk (JavaScript cannot interrupt a
 * running WebAssembly loop any other way); a fresh worker takes the next chunk.
 */
import * as Comlink from 'comlink';
import { PdError } from '../protocol/errors.ts';
import type { ChunkOutput, KernelWorkerApi, WorkerOutcome } from './kernel-worker-api.ts';
import type {
  KernelJob,
  KernelWorker,
  RunOptions,
  RunResult,
  WorkerPoolOptions,
} from './worker-pool-types.ts';

/** A started worker and what it has loaded; a replaced worker's handle is simply dropped. */
interface WorkerHandle {
  worker: KernelWorker;
  api: Comlink.Remote<KernelWorkerApi>;
  /** Settles once the worker has imported `kernelModules`. */
  ready: Promise<WorkerOutcome<void>>;
  /** `${name}@${sha256}` of the kernels this worker has loaded. */
  loaded: Set<string>;
}

/** A run posted to a slot's worker (or waiting out a test slowdown there). */
interface Run {
  /** Not yet settled. */
  active(): boolean;
  /** Ends the run with the given error, ending its worker (and reposting the others). */
  interrupt(err: PdError): void;
  /** Its worker was ended for another run: post it again to the fresh worker. */
  repost(): void;
  /** The run before it on its worker ended: its time limit starts now. */
  restartTimer(): void;
}

/** One worker (started lazily) and the runs posted to it. */
interface Slot {
  handle?: WorkerHandle;
  /** Runs claimed on this worker, in the order they were posted. */
  runs: Run[];
  /** Claims not yet turned into a Run (between `#acquire` and `#runOn`). */
  claims: number;
  /** Removed by shrinking `size` while busy: ended when its chunks are done. */
  retired: boolean;
  idleTimer?: ReturnType<typeof setTimeout>;
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
    const slowdownFactor = options.slowdownFactor ?? 1;
    const runsPerWorker = options.runsPerWorker ?? 1;
    if (!Number.isInteger(runsPerWorker) || runsPerWorker < 1) {
      throw new RangeError(`runsPerWorker ${runsPerWorker}`);
    }
    this.#options = {
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      slowdownFactor,
      kernelModules: options.kernelModules ?? [],
      createWorker: options.createWorker ?? startKernelWorker,
      runsPerWorker: slowdownFactor > 1 ? 1 : runsPerWorker,
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
      if (!busy(slot)) this.#remove(slot);
    }
  }

  /** Workers computing (or holding) a chunk now. */
  get busy(): number {
    return this.#slots.filter(busy).length;
  }

  /** Workers with no chunk now (started or not). */
  get idle(): number {
    return this.#slots.filter((slot) => !busy(slot) && !slot.retired).length;
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
    let run: Run | undefined;
    try {
      const { result, ms } = await this.#runOn(slot, job, timeoutMs, signal, (posted) => {
        run = posted;
      });
      const extraMs = (this.#options.slowdownFactor - 1) * ms;
      if (extraMs > 0) await new Promise((resolve) => setTimeout(resolve, extraMs));
      return { result, ms: ms + Math.max(extraMs, 0) };
    } finally {
      this.#release(slot, run);
    }
  }

  /** Ends every worker; runs in flight or queued reject with 'pool-closed'. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.fail(new PdError('pool-closed'));
    for (const slot of [...this.#slots]) {
      for (const run of [...slot.runs]) run.interrupt(new PdError('pool-closed'));
      this.#remove(slot);
    }
  }

  #acquire(signal: AbortSignal | undefined): Promise<Slot> {
    if (this.#closed) return Promise.reject(new PdError('pool-closed'));
    if (signal?.aborted) return Promise.reject(aborted(signal));
    const free = this.#freeSlot();
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

  /** The least loaded worker with room for another run, if any. */
  #freeSlot(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot.retired || load(slot) >= this.#options.runsPerWorker) continue;
      if (!best || load(slot) < load(best)) best = slot;
    }
    return best;
  }

  #claim(slot: Slot): Slot {
    slot.claims++;
    clearTimeout(slot.idleTimer);
    return slot;
  }

  /** A run on `slot` ended (or a claim was given up): hand the room to a waiter, or idle. */
  #release(slot: Slot, run?: Run): void {
    if (run) {
      const at = slot.runs.indexOf(run);
      if (at >= 0) slot.runs.splice(at, 1);
      if (at === 0) slot.runs[0]?.restartTimer();
    } else if (slot.claims > 0) {
      slot.claims--;
    }
    if (slot.retired || this.#closed) {
      if (!busy(slot)) this.#remove(slot);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) return waiter.take(slot);
    const { idleTimeoutMs } = this.#options;
    if (!busy(slot) && slot.handle && idleTimeoutMs > 0) {
      slot.idleTimer = setTimeout(() => this.#endWorker(slot), idleTimeoutMs);
    }
  }

  #runOn(
    slot: Slot,
    job: KernelJob,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    posted: (run: Run) => void,
  ): Promise<ChunkOutput> {
    // The slot was claimed a microtask ago: the pool may have closed or the run been aborted.
    if (this.#closed) return Promise.reject(new PdError('pool-closed'));
    if (signal?.aborted) return Promise.reject(aborted(signal));
    return new Promise<ChunkOutput>((resolve, reject) => {
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      /** Answers from a worker this run was taken off (ended for another run) are ignored. */
      let attempt = 0;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const post = (): void => {
        const mine = ++attempt;
        this.#compute(this.#startWorker(slot), job).then(
          (output) => {
            if (mine === attempt && settle()) resolve(output);
          },
          (err: unknown) => {
            if (mine === attempt && settle()) reject(err);
          },
        );
      };
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(
          () => run.interrupt(new PdError('kernel-timeout', { kernel: job.kernel, timeoutMs })),
          Math.min(timeoutMs, 2 ** 31 - 1), // setTimeout fires at once past a signed 32-bit delay
        );
      };
      const run: Run = {
        active: () => !settled,
        interrupt: (err) => {
          if (!settle()) return;
          this.#endWorker(slot);
          reject(err);
        },
        repost: () => {
          if (settled) return;
          arm();
          post();
        },
        restartTimer: () => {
          if (!settled) arm();
        },
      };
      const onAbort = (): void => run.interrupt(aborted(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      slot.claims--;
      slot.runs.push(run);
      posted(run);
      arm();
      post();
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
      // The run it was computing is the first one still active; the others are posted again.
      const current = slot.runs.find((run) => run.active());
      if (current) current.interrupt(new PdError('kernel-unavailable', message ?? event.type));
      else this.#endWorker(slot);
    };
    worker.addEventListener('error', onError);
    worker.addEventListener('messageerror', onError);
    slot.handle = handle;
    return handle;
  }

  /** Ends the slot's worker; the runs still active on it are posted to a fresh one. */
  #endWorker(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    slot.handle?.worker.terminate();
    slot.handle = undefined;
    if (this.#closed) return; // close() interrupts every run
    for (const run of [...slot.runs]) run.repost();
  }

  /** A new slot, claimed (the caller releases it to a waiter or to idleness). */
  #newSlot(): Slot {
    const slot: Slot = { runs: [], claims: 1, retired: false };
    this.#slots.push(slot);
    return slot;
  }

  #remove(slot: Slot): void {
    this.#endWorker(slot);
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
  }
}

/** Runs and claims on the slot's worker. */
function load(slot: Slot): number {
  return slot.runs.length + slot.claims;
}

function busy(slot: Slot): boolean {
  return load(slot) > 0;
}

function aborted(signal: AbortSignal): PdError {
  return new PdError('kernel-aborted', String(signal.reason));
}

function unwrap<T>(outcome: WorkerOutcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new PdError(outcome.code, outcome.details);
}
