/**
 * The Mandelbrot reference loop in plain JavaScript: the benchmark's scalar baseline and the
 * tests' second implementation. It must stay the literal reference definition (see README.md):
 * the same f64 expressions in the same order as the WebAssembly kernel.
 */
import type { MandelbrotParams, MandelbrotTile } from './meta.ts';

/** Escape counts of one tile, row-major, as the reference definition gives them. */
export function mandelbrotScalar(params: MandelbrotParams, tile: MandelbrotTile): Uint32Array {
  const { width, height, cx, cy, scale, maxIter } = params;
  const counts = new Uint32Array(tile.w * tile.h);
  for (let row = 0; row < tile.h; row++) {
    const py = tile.y + row;
    const im = cy - (py + 0.5 - height / 2) * scale;
    for (let col = 0; col < tile.w; col++) {
      const px = tile.x + col;
      const re = cx + (px + 0.5 - width / 2) * scale;
      let x = 0;
      let y = 0;
      let i = 0;
      while (x * x + y * y <= 4 && i < maxIter) {
        const t = x * x - y * y + re;
        y = 2 * x * y + im;
        x = t;
        i++;
      }
      counts[row * tile.w + col] = i;
    }
  }
  return counts;
}
