// Times the Mandelbrot kernel in Node: the SIMD WebAssembly build (tile by tile, as workers run
// it) against the plain-JS scalar loop, for 1920×1080×1000 centred on (-0.5, 0), scale 3/1920.
// Usage: npm run build:kernels && node --import tsx scripts/time-mandelbrot-node.ts [runs]
import { readFileSync } from 'node:fs';
import type { KernelInstance } from '../kernels/kernel-meta.ts';
import { mandelbrot } from '../kernels/mandelbrot/meta.ts';
import { mandelbrotScalar } from '../kernels/mandelbrot/scalar.ts';

/** The slice of the WebAssembly JS API used here (the Node realm's types have no WebAssembly). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (limits: { initial: number; maximum: number }) => KernelInstance['memory'];
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const runs = Number(process.argv[2] ?? 3);
const params = mandelbrot.parseParams({
  width: 1920,
  height: 1080,
  cx: -0.5,
  cy: 0,
  scale: 3 / 1920,
  maxIter: 1000,
});
const bytes = readFileSync(new URL('../kernels/mandelbrot/build/mandelbrot.wasm', import.meta.url));
const memory = new wasm.Memory({ initial: 1, maximum: mandelbrot.maxMemoryPages });
const abort = () => {
  throw new Error('kernel aborted');
};
const instance = new wasm.Instance(new wasm.Module(bytes), {
  env: { memory, abort },
});
const kernel: KernelInstance = { exports: instance.exports as Record<string, unknown>, memory };
const tiles = mandelbrot.split(params);

function best(label: string, run: () => void): number {
  let ms = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    run();
    ms = Math.min(ms, performance.now() - start);
  }
  console.log(`${label.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms (best of ${runs})`);
  return ms;
}

const simd = best(`wasm simd, ${tiles.length} tiles + merge`, () => {
  const output = mandelbrot.createOutput(params);
  for (const tile of tiles) {
    mandelbrot.merge(output, params, tile, mandelbrot.execute(kernel, params, tile));
  }
});
const scalar = best('scalar js, whole image', () => {
  mandelbrotScalar(params, { x: 0, y: 0, w: params.width, h: params.height });
});
console.log(`speed-up ${(scalar / simd).toFixed(2)}×`);
