import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { instantiateBuiltKernel } from '../../../../client/node/main-thread-kernel.ts';
import { isPdError } from '../../../../client/protocol/errors.ts';
import { kernelByName } from '../../../../kernels/registry.ts';
import {
  bytesPerCount,
  countsToRgba,
  encodeU32LE,
  mandelbrot,
  tileSide,
  type MandelbrotParams,
  type MandelbrotTile,
} from '../../../../kernels/mandelbrot/meta.ts';
import { mandelbrotScalar } from '../../../../kernels/mandelbrot/scalar.ts';
import { referenceCount } from '../../../support/mandelbrot-reference.ts';
import { itChecksTheKernelModule, random } from './support.ts';

const kernel = await instantiateBuiltKernel(mandelbrot);

function referenceTile(p: MandelbrotParams, tile: MandelbrotTile): Uint32Array {
  const out = new Uint32Array(tile.w * tile.h);
  for (let r = 0; r < tile.h; r++) {
    for (let c = 0; c < tile.w; c++)
      out[r * tile.w + c] = referenceCount(p, tile.x + c, tile.y + r);
  }
  return out;
}

/** Decodes a wire result here, independently of meta.ts's merge. */
function decode(result: Uint8Array, bytes: 2 | 4): Uint32Array {
  const view = new DataView(result.buffer, result.byteOffset, result.byteLength);
  const out = new Uint32Array(result.byteLength / bytes);
  for (let i = 0; i < out.length; i++) {
    out[i] = bytes === 2 ? view.getUint16(2 * i, true) : view.getUint32(4 * i, true);
  }
  return out;
}

const seahorse = { cx: -0.743643887037151, cy: 0.13182590420533 };
const views: { name: string; params: MandelbrotParams; tiles?: MandelbrotTile[] }[] = [
  {
    name: 'full set',
    params: { width: 160, height: 90, cx: -0.5, cy: 0, scale: 3 / 160, maxIter: 1000 },
  },
  {
    name: 'seahorse valley',
    params: { width: 96, height: 64, ...seahorse, scale: 1e-7, maxIter: 5000 },
  },
  {
    name: 'deep zoom 1e-13',
    params: { width: 64, height: 48, ...seahorse, scale: 1e-13, maxIter: 20000 },
  },
  {
    name: 'odd size 37×23',
    params: { width: 37, height: 23, cx: -0.5, cy: 0.1, scale: 0.09, maxIter: 300 },
  },
  {
    name: 'u32 counts (maxIter > 65535)',
    params: { width: 23, height: 17, cx: -0.75, cy: 0.05, scale: 0.004, maxIter: 70000 },
  },
  {
    name: 'hand-picked edge tiles of a 1000×700 image',
    params: { width: 1000, height: 700, cx: -0.7, cy: 0.2, scale: 0.003, maxIter: 2000 },
    tiles: [
      { x: 992, y: 0, w: 8, h: 5 },
      { x: 0, y: 693, w: 13, h: 7 },
      { x: 989, y: 689, w: 11, h: 11 },
      { x: 500, y: 300, w: 1, h: 1 },
    ],
  },
];

describe('mandelbrot kernel module', () => {
  itChecksTheKernelModule(mandelbrot);

  it('fits the largest tile within the cap, and aborts instead of growing past it', async () => {
    // Far outside the set every count is 1, so the largest (u32) tile is quick.
    const params = { width: 256, height: 256, cx: 100, cy: 0, scale: 0.01, maxIter: 70000 };
    const tile = { x: 0, y: 0, w: 256, h: 256 };
    const capped = (maxMemoryPages: number) =>
      instantiateBuiltKernel({ name: mandelbrot.name, maxMemoryPages });
    const roomy = await capped(mandelbrot.maxMemoryPages);
    assert.deepEqual(
      decode(mandelbrot.execute(roomy, params, tile, []), 4).slice(-3),
      Uint32Array.of(1, 1, 1),
    );
    const cramped = await capped(4);
    assert.throws(
      () => mandelbrot.execute(cramped, params, tile, []),
      (err) => isPdError(err, 'kernel-failed'),
    );
  });
});

describe('mandelbrot tiles equal the reference bit for bit', () => {
  for (const { name, params, tiles } of views) {
    it(name, () => {
      const bytes = bytesPerCount(params.maxIter);
      const output = mandelbrot.createOutput(params);
      for (const tile of tiles ?? mandelbrot.split(params)) {
        const result = mandelbrot.execute(kernel, params, tile, []);
        mandelbrot.validateResult(params, tile, result);
        const expected = referenceTile(params, tile);
        assert.deepEqual(decode(result, bytes), expected, `wasm tile ${JSON.stringify(tile)}`);
        assert.deepEqual(
          mandelbrotScalar(params, tile),
          expected,
          `scalar.ts ${JSON.stringify(tile)}`,
        );
        mandelbrot.merge(output, params, tile, result);
      }
      if (tiles) return;
      const whole = { x: 0, y: 0, w: params.width, h: params.height };
      assert.deepEqual(output.counts, referenceTile(params, whole), 'merged output');
    });
  }

  it('chooses u16 counts up to maxIter 65535 and u32 above', () => {
    assert.equal(bytesPerCount(65535), 2);
    assert.equal(bytesPerCount(65536), 4);
    const tile = { x: 0, y: 0, w: 3, h: 2 };
    const base = { width: 3, height: 2, cx: -0.2, cy: 0, scale: 0.01 };
    assert.equal(mandelbrot.execute(kernel, { ...base, maxIter: 65535 }, tile, []).byteLength, 12);
    const wide = { ...base, maxIter: 65536 };
    const result = mandelbrot.execute(kernel, wide, tile, []);
    assert.equal(result.byteLength, 24);
    const output = mandelbrot.createOutput(wide);
    mandelbrot.merge(output, wide, tile, result);
    assert.deepEqual([...output.counts], new Array(6).fill(65536), 'points of the set hit maxIter');
  });

  it('1920×1080×1000 split + execute + merge matches 2,000 random pixels', () => {
    const params = mandelbrot.parseParams({
      width: 1920,
      height: 1080,
      cx: -0.5,
      cy: 0,
      scale: 3 / 1920,
      maxIter: 1000,
    });
    const tiles = mandelbrot.split(params);
    assert.ok(tiles.length >= 100 && tiles.length <= 300, `${tiles.length} tiles`);
    const output = mandelbrot.createOutput(params);
    for (const tile of tiles)
      mandelbrot.merge(output, params, tile, mandelbrot.execute(kernel, params, tile, []));
    const next = random(42);
    for (let k = 0; k < 2000; k++) {
      const px = Math.floor(next() * 1920);
      const py = Math.floor(next() * 1080);
      assert.equal(
        output.counts[py * 1920 + px],
        referenceCount(params, px, py),
        `pixel ${px},${py}`,
      );
    }
  });
});

describe('mandelbrot meta', () => {
  const size = fc.record({
    width: fc.integer({ min: 1, max: 7680 }),
    height: fc.integer({ min: 1, max: 4320 }),
    maxIter: fc.integer({ min: 1, max: 1_000_000 }),
  });

  it('split covers every pixel exactly once, and parseChunk accepts exactly its tiles', () => {
    fc.assert(
      fc.property(size, ({ width, height, maxIter }) => {
        const params = { width, height, cx: 0, cy: 0, scale: 1, maxIter };
        const covered = new Uint8Array(width * height);
        const tiles = mandelbrot.split(params);
        const step = Math.ceil(tiles.length / 500); // parseChunk on a sample of big splits
        tiles.forEach((tile, index) => {
          assert.ok(
            tile.w > 0 && tile.h > 0 && tile.x + tile.w <= width && tile.y + tile.h <= height,
          );
          if (index % step === 0) {
            assert.deepEqual(mandelbrot.parseChunk(JSON.parse(JSON.stringify(tile)), params), tile);
          }
          for (let r = tile.y; r < tile.y + tile.h; r++) {
            for (let c = tile.x; c < tile.x + tile.w; c++) covered[r * width + c]++;
          }
        });
        assert.ok(covered.every((n) => n === 1));
        const side = tileSide(params);
        assert.ok(side % 8 === 0 && side >= 8 && side <= 256);
        const shifted = { x: 1, y: 0, w: 1, h: 1 };
        if (width > 1) assert.throws(() => mandelbrot.parseChunk(shifted, params), isPdError);
      }),
      { numRuns: 40 },
    );
  });

  it('splits in row-major order and costs pixels × maxIter', () => {
    const params = { width: 300, height: 200, cx: 0, cy: 0, scale: 1, maxIter: 1000 };
    const tiles = mandelbrot.split(params);
    assert.deepEqual(tiles.slice(0, 4), [
      { x: 0, y: 0, w: 128, h: 128 },
      { x: 128, y: 0, w: 128, h: 128 },
      { x: 256, y: 0, w: 44, h: 128 },
      { x: 0, y: 128, w: 128, h: 72 },
    ]);
    assert.equal(mandelbrot.cost(params, tiles[2]), 44 * 128 * 1000);
  });

  it('rejects invalid params with PdError message-invalid', () => {
    const good = { width: 100, height: 50, cx: -0.5, cy: 0, scale: 0.01, maxIter: 100 };
    assert.deepEqual(mandelbrot.parseParams({ ...good, extra: 1 }), good);
    const bad: Record<string, unknown>[] = [
      { width: 0 },
      { width: 7681 },
      { width: 1.5 },
      { height: 4321 },
      { height: '50' },
      { cx: NaN },
      { cy: Infinity },
      { scale: 0 },
      { scale: -1 },
      { scale: Infinity },
      { maxIter: 0 },
      { maxIter: 1_000_001 },
      { maxIter: 10.5 },
      { maxIter: undefined },
    ];
    for (const change of bad) {
      assert.throws(
        () => mandelbrot.parseParams({ ...good, ...change }),
        (err) => isPdError(err, 'message-invalid'),
        JSON.stringify(change),
      );
    }
    for (const input of [null, 42, 'params', []]) {
      assert.throws(
        () => mandelbrot.parseParams(input),
        (err) => isPdError(err, 'message-invalid'),
      );
    }
  });

  it('rejects results of the wrong size', () => {
    const params = { width: 10, height: 10, cx: 0, cy: 0, scale: 1, maxIter: 100 };
    const tile = { x: 0, y: 0, w: 10, h: 10 };
    mandelbrot.validateResult(params, tile, new Uint8Array(200));
    assert.throws(() => mandelbrot.validateResult(params, tile, new Uint8Array(400)), isPdError);
  });

  it('encodes the raw file as little-endian u32 and paints the set black', () => {
    assert.deepEqual([...encodeU32LE(Uint32Array.of(1, 0x01020304))], [1, 0, 0, 0, 4, 3, 2, 1]);
    const rgba = countsToRgba(Uint32Array.of(100, 3, 99999), 100);
    assert.equal(rgba.length, 12);
    assert.deepEqual([...rgba.subarray(0, 4)], [0, 0, 0, 255]);
    assert.notDeepEqual([...rgba.subarray(4, 8)], [0, 0, 0, 255]);
    assert.deepEqual([...rgba.subarray(8, 12)], [0, 0, 0, 255]);
  });

  it('is found in the registry by name', () => {
    assert.equal(kernelByName('mandelbrot'), mandelbrot);
    assert.throws(
      () => kernelByName('nope'),
      (err) => isPdError(err, 'kernel-unknown'),
    );
  });
});
