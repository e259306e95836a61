/**
 * The figures of the `matmul` and `pbkdf2` sections of `processdistro bench`: each kernel on
 * one thread (WASM SIMD; PBKDF2 also against Node's native pbkdf2Sync), and matrix products
 * over a two-peer Node mesh with the bytes they moved.
 */
import { benchMatmulKernel } from './kernel-matmul.ts';
import { benchPbkdf2Kernel } from './kernel-pbkdf2.ts';
import { benchMatmulMesh } from './node-mesh.ts';
import type { Figure } from './sections.ts';

/** Matrix sizes (n × n · n × n) measured on one thread and on the mesh. */
export const MATMUL_SIZES = [1024, 2048] as const;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** matmul: GFLOP/s of the kernel on one thread (target ≥ 4) and over two Node peers. */
export async function matmulFigures(
  add: (figure: Figure) => void,
  raw: Record<string, unknown>,
): Promise<void> {
  const kernel = [];
  for (const n of MATMUL_SIZES) {
    const result = await benchMatmulKernel(n);
    kernel.push(result);
    add({
      section: 'matmul',
      name: `WASM SIMD, 1 thread, n = ${n}`,
      value: result.gflops,
      unit: 'GFLOP/s',
      target: 4,
      detail: `${result.ms.toFixed(0)} ms for 2·n³ flops`,
    });
  }
  raw.matmulKernel = kernel;
  const mesh = await benchMatmulMesh(MATMUL_SIZES);
  raw.matmulMesh = mesh;
  for (const result of mesh) {
    add({
      section: 'matmul',
      name: `2 Node peers, n = ${result.n}`,
      value: result.gflops,
      unit: 'GFLOP/s',
      detail: `${result.ms.toFixed(0)} ms job wall time (+ ${result.publishMs.toFixed(0)} ms cutting and hashing panels)`,
    });
    add({
      section: 'matmul',
      name: `2 Node peers, n = ${result.n}: bytes moved`,
      value: result.bytesMoved / 1e6,
      unit: 'MB',
      detail: result.peers
        .map(
          (peer) =>
            `${peer.name}: ${peer.chunks} chunks, ${mb(peer.inputBytes)} in + ${mb(peer.resultBytes)} out`,
        )
        .join('; '),
    });
  }
}

/** pbkdf2: iterations/s of the WASM kernel and of pbkdf2Sync on one thread, and their ratio. */
export async function pbkdf2Figures(
  add: (figure: Figure) => void,
  raw: Record<string, unknown>,
): Promise<void> {
  const result = await benchPbkdf2Kernel();
  raw.pbkdf2Kernel = result;
  const work = `${result.pairs} pairs × ${result.iterations} iterations, 32-byte keys`;
  add({
    section: 'pbkdf2',
    name: 'WASM SIMD, 1 thread',
    value: result.wasmIterationsPerSecond / 1e6,
    unit: 'M it/s',
    detail: work,
  });
  add({
    section: 'pbkdf2',
    name: 'Node crypto.pbkdf2Sync, 1 thread',
    value: result.nativeIterationsPerSecond / 1e6,
    unit: 'M it/s',
    detail: 'OpenSSL, same pairs and keys',
  });
  add({
    section: 'pbkdf2',
    name: 'WASM / native',
    value: result.ratio,
    unit: '×',
    target: 0.4,
  });
}
