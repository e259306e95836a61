/**
 * The Node kernel worker: a worker_threads entry exposing the same kernel worker API as the
 * browser's module worker (`client/runtime/kernel-worker.ts`), so Node runs kernels under the
 * same rules (hash check, import allow-list, memory cap). Started by `worker-threads.ts`.
 */
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { kernelWorkerApi } from '../runtime/kernel-worker-api.ts';

if (!parentPort) throw new Error('node-kernel-worker.ts runs as a worker thread');
Comlink.expose(kernelWorkerApi, nodeEndpoint(parentPort));
