/**
 * The Mandelbrot kernel in Node on one thread: the SIMD WebAssembly build (tile by tile, as
 * workers run it, merged into the image) against the plain-JS scalar loop, for 1920×1080×1000
 * centred on (−0.5, 0), scale 3/1920; both must give the same counts.
 * Alone: npm run build:kernels && node --import tsx bench/kernel-node.ts [runs]
 */
import { pathToFileURL } from 'node:url';
import { instantiateBuiltKernel } from '../client/node/main-thread-kernel.ts';
import { mandelbrot } from '../kernels/mandelbrot/meta.ts';
import { mandelbrotScalar } from '../kernels/mandelbrot/scalar.ts';

export interface NodeKernelBench {
  simdMs: number;
  scalarMs: number;
  tiles: number;
  identical: boolean;
}

/** Best of `runs` for each; the scalar loop is slow, so it runs at most twice. */
export async function benchNodeKernel(runs = 3): Promise<NodeKernelBench> {
  const params = mandelbrot.parseParams({
    width: 1920,
    height: 1080,
    cx: -0.5,
    cy: 0,
    scale: 3 / 1920,
    maxIter: 1000,
  });
  const kernel = await instantiateBuiltKernel(mandelbrot);
  const tiles = mandelbrot.split(params);
  let simd = mandelbrot.createOutput(params);
  let simdMs = Infinity;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const output = mandelbrot.createOutput(params);
    for (const tile of tiles) {
      mandelbrot.merge(output, params, tile, mandelbrot.execute(kernel, params, tile, []));
    }
    simdMs = Math.min(simdMs, performance.now() - started);
    simd = output;
  }
  let scalar: Uint32Array = new Uint32Array(0);
  let scalarMs = Infinity;
  for (let i = 0; i < Math.min(runs, 2); i++) {
    const started = performance.now();
    scalar = mandelbrotScalar(params, { x: 0, y: 0, w: params.width, h: params.height });
    scalarMs = Math.min(scalarMs, performance.now() - started);
  }
  const identical =
    scalar.length === simd.counts.length && scalar.every((count, i) => count === simd.counts[i]);
  return { simdMs, scalarMs, tiles: tiles.length, identical };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchNodeKernel(Number(process.argv[2] ?? 3));
  console.log(
    `Node, one thread: WASM SIMD ${result.simdMs.toFixed(0)} ms (${result.tiles} tiles + merge), scalar JS ${result.scalarMs.toFixed(0)} ms, ${(result.scalarMs / result.simdMs).toFixed(2)}×, counts identical: ${result.identical}`,
  );
}
