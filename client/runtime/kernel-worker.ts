/**
 * The browser's kernel worker (a module worker; one per donated core): it exposes the kernel
 * worker API (`kernel-worker-api.ts`) to the pool with comlink. The pool starts it with
 * `new Worker(new URL('./kernel-worker.ts', import.meta.url))`, the form Vite bundles.
 */
import * as Comlink from 'comlink';
import { kernelWorkerApi } from './kernel-worker-api.ts';

Comlink.expose(kernelWorkerApi);
