/**
 * Seeded random matrices for `run matmul --random N --seed S` and the UI's "random" inputs:
 * the same seed gives the same matrices in every realm, so a job needs only its seed to be
 * rebuilt (after a controller reload) and a test can recompute its inputs independently.
 */
import { seededRandom } from '../../client/scheduler/seeded-random.ts';

/** Largest seed accepted (an unsigned 32-bit integer). */
export const MAX_SEED = 0xffff_ffff;

/**
 * Values uniform in [-1, 1) from mulberry32 seeded with `seed`: A (n × k) first, then B (k × m),
 * row-major, one draw per element.
 */
export function randomMatrices(
  shape: { n: number; k: number; m: number },
  seed: number,
): { a: Float64Array; b: Float64Array } {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`seed must be an integer in [0, ${MAX_SEED}], not ${seed}`);
  }
  const random = seededRandom(seed);
  const next = () => random() * 2 - 1;
  const a = new Float64Array(shape.n * shape.k);
  for (let i = 0; i < a.length; i++) a[i] = next();
  const b = new Float64Array(shape.k * shape.m);
  for (let i = 0; i < b.length; i++) b[i] = next();
  return { a, b };
}
