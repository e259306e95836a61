/**
 * Kernel workers as Node worker threads: `createNodeKernelWorker` starts
 * `node-kernel-worker.ts` and adapts it to what the pool expects of a DOM `Worker` (a comlink
 * endpoint with 'error' events, and `terminate`), so Node computes chunks with the same
 * WorkerPool, the same worker API and the same time limit as a tab.
 */
import { Worker } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { WorkerPool } from '../runtime/worker-pool.ts';
import type { KernelWorker, WorkerPoolOptions } from '../runtime/worker-pool-types.ts';

const entry = new URL('./node-kernel-worker.ts', import.meta.url);

/**
 * Preloaded in each worker to register tsx, so the .ts entry runs whatever the cwd and however
 * the main thread loaded TypeScript. A worker inherits no loader hooks from the main thread in
 * Node 20, and `--import tsx` registers them only on the main thread before Node 22.22.3
 * (tsx's `loader.mjs` checks `isMainThread`); tsx's API registers in any thread. A data: URL
 * needs no JavaScript file beside this one; the tsx module is named by absolute URL.
 */
const registerTsx = `data:text/javascript,${encodeURIComponent(
  `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register();`,
)}`;

/**
 * Starts a kernel worker thread. A crash (an uncaught error, or an exit that `terminate` did
 * not ask for) is reported as an 'error' event carrying a `message`, as a Web Worker reports
 * one, so that the pool fails the chunk in flight with 'kernel-unavailable' instead of
 * waiting for an answer that will never come.
 */
export function createNodeKernelWorker(): KernelWorker {
  const worker = new Worker(entry, { execArgv: ['--import', registerTsx] });
  const endpoint = nodeEndpoint(worker);
  const failures = new EventTarget();
  let ended = false;
  const report = (type: 'error' | 'messageerror', message: string): void => {
    failures.dispatchEvent(Object.assign(new Event(type), { message }));
  };
  worker.on('error', (err: unknown) => {
    if (ended) return;
    ended = true;
    report('error', String(err));
  });
  worker.on('messageerror', (err: unknown) => report('messageerror', String(err)));
  worker.on('exit', (code: number) => {
    if (ended) return;
    ended = true;
    report('error', `the kernel worker exited with code ${code}`);
  });
  return {
    postMessage: (message, transfer) => endpoint.postMessage(message, transfer),
    addEventListener(type, listener) {
      const target = type === 'message' ? endpoint : failures;
      target.addEventListener(type, listener);
    },
    removeEventListener(type, listener) {
      const target = type === 'message' ? endpoint : failures;
      target.removeEventListener(type, listener);
    },
    terminate() {
      ended = true;
      void worker.terminate();
    },
  };
}

/** A WorkerPool whose workers are Node worker threads (see WorkerPoolOptions). */
export function createNodeWorkerPool(
  options: Omit<WorkerPoolOptions, 'createWorker'> = {},
): WorkerPool {
  return new WorkerPool({ ...options, createWorker: createNodeKernelWorker });
}
