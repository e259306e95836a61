/**
 * The PBKDF2 kernel in Node on one thread: 64 pairs × 20,000 iterations (dkLen 32) through the
 * SIMD WebAssembly build (chunk by chunk, as workers run it, merged) against Node's native
 * crypto.pbkdf2Sync (OpenSSL) on the same pairs; both must give the same keys.
 * Alone: npm run build:kernels && node --import tsx bench/kernel-pbkdf2.ts [runs]
 */
import { pbkdf2Sync } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { instantiateBuiltKernel } from '../client/node/main-thread-kernel.ts';
import { paramsForPairs, pbkdf2 } from '../kernels/pbkdf2/meta.ts';

export interface Pbkdf2KernelBench {
  /** Pair·iterations a second through the WASM kernel (best run). */
  wasmIterationsPerSecond: number;
  /** Pair·iterations a second through crypto.pbkdf2Sync (best run). */
  nativeIterationsPerSecond: number;
  /** wasm / native. */
  ratio: number;
  pairs: number;
  iterations: number;
}

/** Best of `runs` for each; throws if the keys differ. */
export async function benchPbkdf2Kernel(
  runs = 3,
  pairCount = 64,
  iterations = 20_000,
): Promise<Pbkdf2KernelBench> {
  const keyLength = 32;
  const pairs = Array.from({ length: pairCount }, (_, i) => ({
    password: `correct horse battery staple ${i}`,
    salt: `salt-${i}`,
  }));
  const params = paramsForPairs(pairs, { iterations, keyLength });
  const blobs = pbkdf2.blobs!(params, { pairs });
  const chunks = pbkdf2.split(params);
  const kernel = await instantiateBuiltKernel(pbkdf2);

  // Runs alternate between the two, so that a burst of load elsewhere hits both alike.
  let wasm: Uint8Array = new Uint8Array(0);
  const native = new Uint8Array(pairCount * keyLength);
  let wasmMs = Infinity;
  let nativeMs = Infinity;
  for (let run = 0; run < runs; run++) {
    let started = performance.now();
    const output = pbkdf2.createOutput(params);
    for (const chunk of chunks) {
      const inputs = pbkdf2.inputsOf!(params, chunk).map((name) => blobs.get(name)!);
      pbkdf2.merge(output, params, chunk, pbkdf2.execute(kernel, params, chunk, inputs));
    }
    wasmMs = Math.min(wasmMs, performance.now() - started);
    wasm = output;

    started = performance.now();
    pairs.forEach(({ password, salt }, i) => {
      native.set(pbkdf2Sync(password, salt, iterations, keyLength, 'sha256'), i * keyLength);
    });
    nativeMs = Math.min(nativeMs, performance.now() - started);
  }
  if (!wasm.every((byte, i) => byte === native[i])) {
    throw new Error('the WASM kernel and crypto.pbkdf2Sync derived different keys');
  }

  const work = pairCount * iterations;
  const wasmIterationsPerSecond = work / (wasmMs / 1000);
  const nativeIterationsPerSecond = work / (nativeMs / 1000);
  return {
    wasmIterationsPerSecond,
    nativeIterationsPerSecond,
    ratio: wasmIterationsPerSecond / nativeIterationsPerSecond,
    pairs: pairCount,
    iterations,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchPbkdf2Kernel(Number(process.argv[2] ?? 3));
  const rate = (perSecond: number) => `${(perSecond / 1e6).toFixed(2)} M iterations/s`;
  console.log(
    `Node, one thread, ${result.pairs} pairs × ${result.iterations} iterations: WASM SIMD ${rate(result.wasmIterationsPerSecond)}, native pbkdf2Sync ${rate(result.nativeIterationsPerSecond)}, ratio ${result.ratio.toFixed(2)}×`,
  );
}
