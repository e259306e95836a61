/**
 * The matrix multiplication kernel in Node on one thread: every tile of an n×n · n×n product
 * (random inputs), as workers run them (execute on the blobs a tile names, then merge), timed
 * without cutting the blobs. 2·n³ flops; spot-checked against dot products of A and B.
 * Alone: npm run build:kernels && node --import tsx bench/kernel-matmul.ts [n]
 */
import { pathToFileURL } from 'node:url';
import { instantiateBuiltKernel } from '../client/node/main-thread-kernel.ts';
import { matmul } from '../kernels/matmul/meta.ts';

export interface MatmulKernelBench {
  n: number;
  /** Best wall time of all tiles + merge, in milliseconds. */
  ms: number;
  /** 2·n³ / best time. */
  gflops: number;
}

/** Stop repeating once the runs so far took this long (n = 2048 is ~17 GFLOP a run). */
const TIME_BUDGET_MS = 10_000;

/** Best of up to 3 runs (fewer when a run is slow). */
export async function benchMatmulKernel(n: number): Promise<MatmulKernelBench> {
  const params = matmul.parseParams({ n, k: n, m: n });
  const a = Float64Array.from({ length: n * n }, () => 2 * Math.random() - 1);
  const b = Float64Array.from({ length: n * n }, () => 2 * Math.random() - 1);
  const blobs = matmul.blobs!(params, { a, b });
  const kernel = await instantiateBuiltKernel(matmul);
  const jobs = matmul.split(params).map((tile) => ({
    tile,
    inputs: matmul.inputsOf!(params, tile).map((name) => blobs.get(name)!),
  }));
  let ms = Infinity;
  let output = matmul.createOutput(params);
  for (let run = 0, spent = 0; run < 3 && spent < TIME_BUDGET_MS; run++) {
    const started = performance.now();
    output = matmul.createOutput(params);
    for (const { tile, inputs } of jobs) {
      matmul.merge(output, params, tile, matmul.execute(kernel, params, tile, inputs));
    }
    const elapsed = performance.now() - started;
    ms = Math.min(ms, elapsed);
    spent += elapsed;
  }
  for (let sample = 0; sample < 100; sample++) {
    const i = Math.floor(Math.random() * n);
    const j = Math.floor(Math.random() * n);
    let expected = 0;
    for (let p = 0; p < n; p++) expected += a[i * n + p] * b[p * n + j];
    const error = Math.abs(output.c[i * n + j] - expected) / Math.max(1, Math.abs(expected));
    if (!(error <= 1e-9))
      throw new Error(`C[${i}][${j}] is ${output.c[i * n + j]}, not ${expected}`);
  }
  return { n, ms, gflops: (2 * n ** 3) / (ms * 1e6) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = process.argv[2] ? [Number(process.argv[2])] : [1024, 2048];
  for (const n of sizes) {
    const { ms, gflops } = await benchMatmulKernel(n);
    console.log(
      `matmul ${n}×${n}·${n}×${n}, Node, one thread: ${ms.toFixed(0)} ms, ${gflops.toFixed(2)} GFLOP/s`,
    );
  }
}
