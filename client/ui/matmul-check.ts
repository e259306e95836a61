/**
 * A check a person can read next to a finished matrix product: a few elements of C recomputed
 * here as plain dot products, and the largest error among them. Pure; no DOM.
 */

/** What `checkProduct` found. */
export interface ProductCheck {
  /** Elements recomputed. */
  samples: number;
  /**
   * The largest |C − reference| / max(1, |reference|) among them: relative for elements of
   * size 1 or more, absolute below (the kernel's contract, kernels/matmul/README.md).
   */
  maxError: number;
  /** Every sampled element within the contract's bound. */
  ok: boolean;
}

/** The bound of the kernel's contract: 1e-9 · max(1, |reference|). */
export const PRODUCT_TOLERANCE = 1e-9;

/**
 * The positions of `count` elements of an n × m matrix: the four corners, then positions
 * spread by a fixed-seed generator, so that a check looks at the same elements every time.
 */
export function samplePositions(
  n: number,
  m: number,
  count: number,
): Array<{ row: number; col: number }> {
  const corners = [
    { row: 0, col: 0 },
    { row: 0, col: m - 1 },
    { row: n - 1, col: 0 },
    { row: n - 1, col: m - 1 },
  ];
  const positions = corners.slice(0, Math.min(count, 4));
  let state = 0x9e3779b9;
  const next = (limit: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return Math.floor((state / 2 ** 32) * limit);
  };
  while (positions.length < count) positions.push({ row: next(n), col: next(m) });
  return positions;
}

/**
 * Recomputes `samples` elements of C = A·B (A n × k, B k × m, C n × m, all row-major f64) as
 * dot products summed in order, and compares C with them.
 */
export function checkProduct(
  shape: { n: number; k: number; m: number },
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  samples = 64,
): ProductCheck {
  const { n, k, m } = shape;
  if (a.length !== n * k || b.length !== k * m || c.length !== n * m) {
    throw new RangeError(`matrices do not fit ${n}×${k} · ${k}×${m}`);
  }
  let maxError = 0;
  const positions = samplePositions(n, m, samples);
  for (const { row, col } of positions) {
    let reference = 0;
    for (let p = 0; p < k; p++) reference += a[row * k + p]! * b[p * m + col]!;
    const error = Math.abs(c[row * m + col]! - reference) / Math.max(1, Math.abs(reference));
    // NaN compares false: a NaN in C must fail the check, not vanish from the maximum.
    maxError = error > maxError || Number.isNaN(error) ? error : maxError;
  }
  return { samples: positions.length, maxError, ok: maxError <= PRODUCT_TOLERANCE };
}
