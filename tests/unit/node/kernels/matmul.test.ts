import { randomMatrices } from '../../../../kernels/matmul/random.ts';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { instantiateBuiltKernel } from '../../../../client/node/main-thread-kernel.ts';
import { isPdError } from '../../../../client/protocol/errors.ts';
import type { KernelInstance } from '../../../../kernels/kernel-meta.ts';
import { kernelByName } from '../../../../kernels/registry.ts';
import {
  MAX_DIM,
  decodeF64LE,
  encodeF64LE,
  matmul,
  tileBounds,
  tileCounts,
  tileKernelBytes,
  tileSide,
  type MatmulParams,
} from '../../../../kernels/matmul/meta.ts';
import { matmulReference } from '../../../../kernels/matmul/reference.ts';
import { itChecksTheKernelModule, random } from './support.ts';

const kernel = await instantiateBuiltKernel(matmul);

/** rows × cols values uniform in [−1, 1). */
function randomMatrix(rows: number, cols: number, seed: number): Float64Array {
  const next = random(seed);
  return Float64Array.from({ length: rows * cols }, () => 2 * next() - 1);
}

/** A whole job the way the mesh runs it: blobs → inputsOf → execute → validateResult → merge. */
function runJob(
  params: MatmulParams,
  a: Float64Array | Uint8Array,
  b: Float64Array | Uint8Array,
  instance: KernelInstance = kernel,
): Float64Array {
  const checked = matmul.parseParams(params);
  const blobs = matmul.blobs!(checked, { a, b });
  const used = new Set<string>();
  const output = matmul.createOutput(checked);
  for (const tile of matmul.split(checked)) {
    const chunk = matmul.parseChunk(JSON.parse(JSON.stringify(tile)), checked);
    const inputs = matmul.inputsOf!(checked, chunk).map((name) => {
      const blob = blobs.get(name);
      assert.ok(blob, `blob ${name} of tile ${JSON.stringify(tile)}`);
      used.add(name);
      return blob;
    });
    const result = matmul.execute(instance, checked, chunk, inputs);
    assert.equal(result.byteLength, matmul.maxResultBytes!(checked, chunk));
    matmul.validateResult(checked, chunk, result);
    matmul.merge(output, checked, chunk, result);
  }
  assert.deepEqual([...used].sort(), [...blobs.keys()].sort(), 'every blob is some tile’s input');
  return output.c;
}

/**
 * The error bound: every element within 1e-9 of the reference, relative to max(1, |ref|)
 * (absolute for small elements, whose cancellation makes a relative bound meaningless).
 */
function assertClose(actual: Float64Array, expected: Float64Array, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    // Negated, so that NaN fails too.
    if (!(error <= 1e-9)) {
      assert.fail(`${label}: element ${i} is ${actual[i]}, reference ${expected[i]} (${error})`);
    }
  }
}

function checkProduct(params: MatmulParams, seed: number): void {
  const a = randomMatrix(params.n, params.k, seed);
  const b = randomMatrix(params.k, params.m, seed + 1);
  const label = `${params.n}×${params.k}·${params.k}×${params.m}`;
  assertClose(runJob(params, a, b), matmulReference(params, a, b), label);
}

const invalid = (err: unknown) => isPdError(err, 'message-invalid');

describe('matmul kernel module', () => {
  itChecksTheKernelModule(matmul);

  it('fits the largest tile of any job within the cap, with a page to spare for static data', () => {
    let worst = { bytes: 0, k: 0 };
    for (let k = 1; k <= MAX_DIM; k++) {
      const side = tileSide({ k });
      const bytes = tileKernelBytes({ n: side, k, m: side }, { i: 0, j: 0 });
      if (bytes > worst.bytes) worst = { bytes, k };
    }
    assert.ok(
      worst.bytes + 65536 <= matmul.maxMemoryPages * 65536,
      `k = ${worst.k} needs ${worst.bytes} bytes`,
    );
  });

  it('runs the most memory-hungry tile, and aborts instead of growing past a smaller cap', async () => {
    const k = 14563; // the worst k found above: T = 48, 171 pages
    const side = tileSide({ k });
    const params = { n: side, k, m: side };
    assert.equal(matmul.split(params).length, 1);
    const a = randomMatrix(side, k, 7);
    const b = randomMatrix(k, side, 8);
    const roomy = await instantiateBuiltKernel(matmul);
    assertClose(runJob(params, a, b, roomy), matmulReference(params, a, b), 'largest tile');
    const cramped = await instantiateBuiltKernel({ name: matmul.name, maxMemoryPages: 160 });
    assert.throws(
      () => runJob(params, a, b, cramped),
      (err) => isPdError(err, 'kernel-failed'),
    );
  });
});

describe('matmul products match the reference to 1e-9', () => {
  it('1000×777 · 777×1203 (edge tiles on both sides)', () => {
    const params = { n: 1000, k: 777, m: 1203 };
    const { rows, cols } = tileCounts(params);
    assert.ok(rows > 1 && cols > 1 && 1000 % tileSide(params) !== 0, 'several uneven tiles');
    checkProduct(params, 1);
  });

  const shapes: [string, MatmulParams][] = [
    ['1×1 · 1×1', { n: 1, k: 1, m: 1 }],
    ['3×5 · 5×2', { n: 3, k: 5, m: 2 }],
    ['n < T: 7×100 · 100×9', { n: 7, k: 100, m: 9 }],
    ['k large: 5×16384 · 16384×3', { n: 5, k: 16384, m: 3 }],
    ['k large and odd: 37×9999 · 9999×41', { n: 37, k: 9999, m: 41 }],
    ['2×2 tiles, a 1-column edge: 130×3001 · 3001×97', { n: 130, k: 3001, m: 97 }],
    ['a single column: 600×3 · 3×1', { n: 600, k: 3, m: 1 }],
    ['a single row: 1×2 · 2×1025', { n: 1, k: 2, m: 1025 }],
  ];
  shapes.forEach(([name, params], index) => it(name, () => checkProduct(params, 100 + index)));

  it('multiplies by the identity exactly, from raw little-endian bytes', () => {
    const params = { n: 70, k: 33, m: 33 };
    const a = randomMatrix(70, 33, 5);
    const identity = new Float64Array(33 * 33);
    for (let i = 0; i < 33; i++) identity[i * 33 + i] = 1;
    // Unaligned copies of the raw bytes, as a file read into a larger buffer may give them.
    const unaligned = (values: Float64Array) => {
      const bytes = new Uint8Array(values.byteLength + 3);
      bytes.set(encodeF64LE(values), 3);
      return bytes.subarray(3);
    };
    assert.deepEqual(runJob(params, unaligned(a), unaligned(identity)), a);
  });

  it('the error bound is tight enough to catch a slightly wrong element', () => {
    const expected = Float64Array.of(0, 1e-3, 5e3);
    assertClose(Float64Array.of(5e-10, 1e-3, 5e3 * (1 + 5e-10)), expected, 'within');
    assert.throws(() => assertClose(Float64Array.of(2e-9, 1e-3, 5e3), expected, 'off'));
    assert.throws(() => assertClose(Float64Array.of(0, 1e-3, 5e3 * (1 + 2e-9)), expected, 'off'));
    assert.throws(() => assertClose(Float64Array.of(0, NaN, 5e3), expected, 'NaN'));
  });
});

describe('matmul meta', () => {
  it('cuts A into row panels and B into transposed column panels', () => {
    const params = { n: 2, k: 2, m: 3 };
    const a = Float64Array.of(1, 2, 3, 4);
    const b = Float64Array.of(1, 2, 3, 4, 5, 6); // rows [1 2 3] and [4 5 6]
    const blobs = matmul.blobs!(params, { a, b });
    assert.deepEqual([...blobs.keys()], ['a/0', 'b/0']);
    assert.deepEqual(decodeF64LE(blobs.get('a/0')!), a);
    assert.deepEqual(decodeF64LE(blobs.get('b/0')!), Float64Array.of(1, 4, 2, 5, 3, 6));
    // Blobs are copies: changing the data afterwards does not change them.
    a[0] = 99;
    assert.equal(decodeF64LE(blobs.get('a/0')!)[0], 1);
  });

  it('names one blob per row panel and column panel, and a tile needs a/i and b/j', () => {
    const params = { n: 1000, k: 777, m: 1203 };
    const side = tileSide(params);
    const a = new Float64Array(1000 * 777);
    const b = new Float64Array(777 * 1203);
    const blobs = matmul.blobs!(params, { a, b });
    const { rows, cols } = tileCounts(params);
    assert.equal(blobs.size, rows + cols);
    assert.equal(blobs.get(`a/${rows - 1}`)!.byteLength, (1000 - (rows - 1) * side) * 777 * 8);
    assert.equal(blobs.get(`b/${cols - 1}`)!.byteLength, (1203 - (cols - 1) * side) * 777 * 8);
    assert.deepEqual(matmul.inputsOf!(params, { i: 2, j: 5 }), ['a/2', 'b/5']);
  });

  it('split covers C exactly once, in row-major order, and costs h·w·k', () => {
    const dim = fc.integer({ min: 1, max: MAX_DIM });
    fc.assert(
      fc.property(dim, dim, dim, (n, k, m) => {
        const params = { n, k, m };
        const side = tileSide(params);
        assert.ok(side % 16 === 0 && side >= 16 && side <= 512, `side ${side}`);
        assert.ok(side * side * k <= 2 ** 25 || side === 16, 'about 2^25 multiply-adds at most');
        const tiles = matmul.split(params);
        const { rows, cols } = tileCounts(params);
        assert.equal(tiles.length, rows * cols);
        let area = 0;
        let cost = 0;
        tiles.forEach((tile, index) => {
          assert.deepEqual(tile, { i: Math.floor(index / cols), j: index % cols });
          const { row, col, h, w } = tileBounds(params, tile);
          assert.ok(h >= 1 && w >= 1 && row + h <= n && col + w <= m);
          assert.ok((h === side || row + h === n) && (w === side || col + w === m));
          area += h * w;
          cost += matmul.cost(params, tile);
        });
        assert.equal(area, n * m);
        assert.equal(cost, n * m * k);
      }),
      { numRuns: 60 },
    );
  });

  it('rejects invalid params with PdError message-invalid', () => {
    const good = { n: 10, k: 20, m: 30 };
    assert.deepEqual(matmul.parseParams({ ...good, extra: 1 }), good);
    assert.deepEqual(matmul.parseParams({ n: 16384, k: 16384, m: 1 }), {
      n: 16384,
      k: 16384,
      m: 1,
    });
    const bad: Record<string, unknown>[] = [
      { n: 0 },
      { n: 16385 },
      { n: 1.5 },
      { k: -1 },
      { k: '20' },
      { k: NaN },
      { m: Infinity },
      { m: undefined },
      { m: null },
    ];
    for (const change of bad) {
      assert.throws(
        () => matmul.parseParams({ ...good, ...change }),
        invalid,
        JSON.stringify(change),
      );
    }
    for (const input of [null, 42, 'params', [], undefined]) {
      assert.throws(() => matmul.parseParams(input), invalid);
    }
  });

  it('accepts exactly the tiles of the job as chunks', () => {
    const params = { n: 1000, k: 777, m: 1203 };
    const { rows, cols } = tileCounts(params);
    assert.deepEqual(matmul.parseChunk({ i: rows - 1, j: cols - 1, extra: 1 }, params), {
      i: rows - 1,
      j: cols - 1,
    });
    const bad: unknown[] = [
      { i: rows, j: 0 },
      { i: 0, j: cols },
      { i: -1, j: 0 },
      { i: 0.5, j: 0 },
      { i: '0', j: 0 },
      { i: 0 },
      { i: 0, j: MAX_DIM },
      null,
      [0, 0],
      3,
    ];
    for (const chunk of bad) {
      assert.throws(() => matmul.parseChunk(chunk, params), invalid, JSON.stringify(chunk));
    }
  });

  it('rejects input data of the wrong shape or type', () => {
    const params = { n: 3, k: 4, m: 5 };
    const a = new Float64Array(12);
    const b = new Float64Array(20);
    assert.equal(matmul.blobs!(params, { a, b }).size, 2);
    assert.equal(matmul.blobs!(params, { a: new Uint8Array(96), b: new Uint8Array(160) }).size, 2);
    const bad: unknown[] = [
      { a: new Float64Array(11), b },
      { a, b: new Float64Array(21) },
      { a: new Uint8Array(95), b },
      { a, b: new Uint8Array(168) },
      { a: Array.from(a), b },
      { a, b: new Float32Array(40) },
      { a },
      {},
      null,
      undefined,
    ];
    for (const data of bad) assert.throws(() => matmul.blobs!(params, data), invalid);
  });

  it('rejects results and panels of the wrong size', () => {
    const params = { n: 1000, k: 777, m: 1203 };
    const { rows, cols } = tileCounts(params);
    const edge = { i: rows - 1, j: cols - 1 };
    const { h, w } = tileBounds(params, edge);
    assert.equal(matmul.maxResultBytes!(params, edge), h * w * 8);
    matmul.validateResult(params, edge, new Uint8Array(h * w * 8));
    for (const size of [0, h * w * 8 - 8, h * w * 8 + 8, tileSide(params) ** 2 * 8]) {
      assert.throws(
        () => matmul.validateResult(params, edge, new Uint8Array(size)),
        invalid,
        `${size}`,
      );
    }
    const aPanel = new Uint8Array(h * 777 * 8);
    const bPanel = new Uint8Array(w * 777 * 8);
    assert.equal(matmul.execute(kernel, params, edge, [aPanel, bPanel]).byteLength, h * w * 8);
    for (const inputs of [[aPanel], [bPanel, aPanel], [aPanel, bPanel.subarray(8)], []]) {
      assert.throws(() => matmul.execute(kernel, params, edge, inputs), invalid);
    }
  });

  it('encodes raw files as little-endian f64', () => {
    const bytes = encodeF64LE(Float64Array.of(1, -2.5));
    assert.deepEqual([...bytes], [0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0x04, 0xc0]);
    assert.deepEqual(decodeF64LE(bytes), Float64Array.of(1, -2.5));
    assert.throws(() => decodeF64LE(new Uint8Array(12)), invalid);
  });

  it('is found in the registry by name', () => {
    assert.equal(kernelByName('matmul'), matmul);
  });
});

describe('matmul: seeded random inputs', () => {
  it('gives the same matrices for the same seed, others for another, all in [-1, 1)', () => {
    const shape = { n: 7, k: 5, m: 3 };
    const one = randomMatrices(shape, 42);
    assert.equal(one.a.length, 35);
    assert.equal(one.b.length, 15);
    assert.deepEqual(randomMatrices(shape, 42), one);
    assert.notDeepEqual(randomMatrices(shape, 43).a, one.a);
    for (const x of [...one.a, ...one.b]) assert.ok(x >= -1 && x < 1);
    assert.throws(() => randomMatrices(shape, -1), RangeError);
    assert.throws(() => randomMatrices(shape, 2 ** 32), RangeError);
  });
});
