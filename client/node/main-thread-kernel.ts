/**
 * A built kernel instantiated on the calling thread, for Node code that runs a kernel without
 * a worker (benchmarks, unit tests). It goes through the runtime's loader, so the import
 * allow-list and the memory cap apply exactly as in a worker.
 */
import { readFile } from 'node:fs/promises';
import type { KernelInstance, KernelMeta } from '../../kernels/kernel-meta.ts';
import { compileKernel, instantiateKernel } from '../runtime/kernel-loader.ts';
import { kernelWasmPath } from './kernel-files.ts';

/**
 * Compiles and checks `kernels/<name>/build/<name>.wasm` (memoised per hash by the loader).
 * Rejects with a hint when the kernels have not been built (`npm run build:kernels`).
 */
export async function compileBuiltKernel(name: string): Promise<WebAssembly.Module> {
  const path = kernelWasmPath(name);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new Error(`cannot read ${path}; run \`npm run build:kernels\` first`, { cause: err });
  }
  return compileKernel(bytes);
}

/**
 * The built kernel of `meta.name`, instantiated here with a fresh memory capped at
 * `meta.maxMemoryPages` (a test may pass a smaller cap); rejects with the loader's PdError.
 */
export async function instantiateBuiltKernel(
  meta: Pick<KernelMeta<unknown, unknown, unknown>, 'name' | 'maxMemoryPages'>,
): Promise<KernelInstance> {
  return instantiateKernel(await compileBuiltKernel(meta.name), meta);
}
