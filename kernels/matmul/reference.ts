/**
 * The reference product in plain JavaScript: the definition C[i][j] = Σₚ A[i][p]·B[p][j] in f64,
 * summed in order of p, with nothing clever. The tests' second implementation; the kernel must
 * match it to 1e-9 (see README.md).
 */
import type { MatmulParams } from './meta.ts';

/** C = A·B for row-major A (n × k) and B (k × m); returns C (n × m, row-major). */
export function matmulReference(
  params: MatmulParams,
  a: Float64Array,
  b: Float64Array,
): Float64Array {
  const { n, k, m } = params;
  const c = new Float64Array(n * m);
  // i, p, j order: each C[i][j] still sums its terms in order of p, and B is read by rows.
  for (let i = 0; i < n; i++) {
    const row = i * m;
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p];
      const from = p * m;
      for (let j = 0; j < m; j++) c[row + j] += x * b[from + j];
    }
  }
  return c;
}
