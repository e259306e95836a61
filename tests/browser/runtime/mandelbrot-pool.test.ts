/// <reference types="mocha" />
// The real Mandelbrot kernel (built by `npm run build:kernels`) through the worker pool,
// compared pixel for pixel with the scalar reference loop.
import { expect } from '@esm-bundle/chai';
import { sha256Hex } from '../../../client/protocol/sha256.ts';
import { WorkerPool } from '../../../client/runtime/worker-pool.ts';
import { mandelbrot, type MandelbrotParams } from '../../../kernels/mandelbrot/meta.ts';
import { mandelbrotScalar } from '../../../kernels/mandelbrot/scalar.ts';

const wasmUrl = new URL('../../../kernels/mandelbrot/build/mandelbrot.wasm', import.meta.url);

describe('runtime/worker-pool with the Mandelbrot kernel', () => {
  let pool: WorkerPool;
  afterEach(() => pool?.close());

  async function renderAndCompare(params: MandelbrotParams, bytes: Uint8Array): Promise<void> {
    const sha256 = await sha256Hex(bytes);
    const tiles = mandelbrot.split(params);
    const output = mandelbrot.createOutput(params);
    await Promise.all(
      tiles.map(async (chunk) => {
        const job = { kernel: 'mandelbrot', sha256, bytes, params, chunk };
        const { result } = await pool.run(job, { timeoutMs: 20_000 });
        mandelbrot.validateResult(params, chunk, result);
        mandelbrot.merge(output, params, chunk, result);
      }),
    );
    const reference = mandelbrot.createOutput(params);
    for (const tile of tiles) {
      const counts = mandelbrotScalar(params, tile);
      for (let row = 0; row < tile.h; row++) {
        const at = (tile.y + row) * params.width + tile.x;
        reference.counts.set(counts.subarray(row * tile.w, (row + 1) * tile.w), at);
      }
    }
    expect(output.counts).to.deep.equal(reference.counts);
  }

  it('renders tiles that match the scalar reference (u16 and u32 counts)', async function () {
    const response = await fetch(wasmUrl);
    // Built by `npm run build:kernels`, which `npm test` runs before the browser tests.
    if (!response.ok) this.skip();
    const bytes = new Uint8Array(await response.arrayBuffer());
    pool = new WorkerPool({ size: 2 });
    const view = { cx: -0.75, cy: 0.1, scale: 3 / 100 };
    // maxIter 5000 splits 100 × 60 into four tiles of side 56, with partial edge tiles.
    const wide = { width: 100, height: 60, maxIter: 5000, ...view };
    expect(mandelbrot.split(wide)).to.have.length(4);
    await renderAndCompare(wide, bytes);
    // Past 65535 iterations the counts travel as u32.
    await renderAndCompare({ width: 24, height: 16, maxIter: 70_000, ...view, scale: 0.1 }, bytes);
  });
});
