/**
 * The built kernels on disk, for a controller in Node: `kernels/<name>/build/<name>.wasm`,
 * built on first use (and after a source change) with the project's kernel build.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newestMtime } from '../../signaling/build-if-needed.ts';
import { PACKAGE_ROOT } from '../../signaling/config.ts';

export function kernelWasmPath(name: string): string {
  return join(PACKAGE_ROOT, 'kernels', name, 'build', `${name}.wasm`);
}

/** Why kernel `name` needs building, or undefined when its .wasm is current. */
export function staleKernelReason(name: string): string | undefined {
  const built = newestMtime(kernelWasmPath(name));
  if (built === 0) return `kernels/${name}/build/${name}.wasm is missing`;
  if (newestMtime(join(PACKAGE_ROOT, 'kernels', name, 'assembly')) > built) {
    return `kernels/${name}/assembly changed since the build`;
  }
  return undefined;
}

/** The kernel's WebAssembly, building the kernels first when needed. */
export async function loadKernelBytes(
  name: string,
  log: (text: string) => void = () => {},
): Promise<Uint8Array> {
  const reason = staleKernelReason(name);
  if (reason) {
    log(`Building the kernels (${reason})...`);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'scripts/build-kernels.js')], {
        cwd: PACKAGE_ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`the kernel build failed (exit code ${code})`)),
      );
    });
  }
  return new Uint8Array(await readFile(kernelWasmPath(name)));
}
