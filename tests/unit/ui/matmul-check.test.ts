import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkProduct, samplePositions } from '../../../client/ui/matmul-check.ts';
import { uploadProblem } from '../../../client/ui/matmul-inputs.ts';
import { randomMatrices } from '../../../kernels/matmul/random.ts';
import { matmulReference } from '../../../kernels/matmul/reference.ts';

const shape = { n: 37, k: 53, m: 29 };

describe('the matmul panel’s sampled check', () => {
  it('samples the corners first, then the same spread of positions every time', () => {
    const positions = samplePositions(5, 7, 40);
    assert.deepEqual(positions.slice(0, 4), [
      { row: 0, col: 0 },
      { row: 0, col: 6 },
      { row: 4, col: 0 },
      { row: 4, col: 6 },
    ]);
    assert.deepEqual(samplePositions(5, 7, 40), positions);
    assert.ok(positions.every(({ row, col }) => row >= 0 && row < 5 && col >= 0 && col < 7));
    assert.ok(new Set(positions.map((p) => `${p.row},${p.col}`)).size > 20, 'spread out');
    assert.equal(samplePositions(1, 1, 2).length, 2);
  });

  it('passes the exact product, with a tiny error from a different summation order', () => {
    const { a, b } = randomMatrices(shape, 11);
    const c = matmulReference(shape, a, b);
    assert.deepEqual(checkProduct(shape, a, b, c), { samples: 64, maxError: 0, ok: true });
    const reordered = c.map((x) => x * (1 + 2 ** -50));
    const check = checkProduct(shape, a, b, reordered, 16);
    assert.ok(check.ok && check.maxError > 0 && check.maxError < 1e-14, String(check.maxError));
  });

  it('fails a product with one wrong sampled element, or a NaN', () => {
    const { a, b } = randomMatrices(shape, 12);
    const c = matmulReference(shape, a, b);
    const [, corner] = samplePositions(shape.n, shape.m, 2);
    const wrong = c.slice();
    wrong[corner!.row * shape.m + corner!.col]! += 1e-6;
    const check = checkProduct(shape, a, b, wrong);
    assert.equal(check.ok, false);
    assert.ok(check.maxError >= 1e-7 / 10, String(check.maxError));
    const nan = c.slice();
    nan[0] = NaN;
    nan[5] = 1e9; // a later, larger error must not hide the NaN
    assert.equal(checkProduct(shape, a, b, nan).ok, false);
  });

  it('rejects matrices that do not fit the shape', () => {
    const { a, b } = randomMatrices(shape, 13);
    assert.throws(() => checkProduct(shape, a, b, new Float64Array(3)), RangeError);
  });
});

describe('the matmul panel’s upload sizes', () => {
  it('accepts exactly rows × cols f64 values and says why otherwise', () => {
    assert.equal(uploadProblem('A', 3 * 5 * 8, 3, 5), undefined);
    assert.match(
      uploadProblem('A', 3 * 5 * 8 - 8, 3, 5)!,
      /A must be 3 × 5 .*120 bytes.*112 bytes \(14 values\)/,
    );
    assert.match(uploadProblem('B', 13, 1, 1)!, /not a whole number of f64 values/);
  });
});
