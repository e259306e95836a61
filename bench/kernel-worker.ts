/**
 * Benchmark worker: renders a whole image in one worker with the WASM SIMD kernel and with
 * the scalar JS loop, and reports the best time of each. Bundled by bench/mandelbrot.ts.
 */
import { mandelbrot, type MandelbrotParams } from '../kernels/mandelbrot/meta.ts';
import { mandelbrotScalar } from '../kernels/mandelbrot/scalar.ts';
import { instantiateKernel } from '../client/runtime/kernel-loader.ts';

interface Request {
  wasm: ArrayBuffer;
  params: MandelbrotParams;
  simdRuns: number;
  scalarRuns: number;
}

function best(runs: number, render: () => void): number {
  let fastest = Infinity;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    render();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}

self.onmessage = async (event: MessageEvent<Request>) => {
  const { wasm, params, simdRuns, scalarRuns } = event.data;
  const kernel = await instantiateKernel(new Uint8Array(wasm), mandelbrot);
  const tiles = mandelbrot.split(params);
  let simdOutput = mandelbrot.createOutput(params);
  const simdMs = best(simdRuns, () => {
    simdOutput = mandelbrot.createOutput(params);
    for (const tile of tiles)
      mandelbrot.merge(simdOutput, params, tile, mandelbrot.execute(kernel, params, tile, []));
  });
  const whole = { x: 0, y: 0, w: params.width, h: params.height };
  let scalarCounts: Uint32Array = new Uint32Array(0);
  const scalarMs = best(scalarRuns, () => {
    scalarCounts = mandelbrotScalar(params, whole);
  });
  const identical = scalarCounts.every((count, i) => count === simdOutput.counts[i]);
  self.postMessage({ simdMs, scalarMs, identical, tiles: tiles.length });
};
