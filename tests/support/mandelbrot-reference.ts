/**
 * The Mandelbrot reference definition of DESIGN.md, written out for the tests independently of
 * the kernels (kernels/mandelbrot) so that a test compares two implementations, not one.
 */
export interface ReferenceView {
  width: number;
  height: number;
  cx: number;
  cy: number;
  scale: number;
  maxIter: number;
}

/** The escape count of pixel (px, py). */
export function referenceCount(view: ReferenceView, px: number, py: number): number {
  const re = view.cx + (px + 0.5 - view.width / 2) * view.scale;
  const im = view.cy - (py + 0.5 - view.height / 2) * view.scale;
  let x = 0;
  let y = 0;
  let i = 0;
  while (x * x + y * y <= 4 && i < view.maxIter) {
    const t = x * x - y * y + re;
    y = 2 * x * y + im;
    x = t;
    i++;
  }
  return i;
}

/** Where `counts` (the reference layout) first differs from the reference, or undefined. */
export function firstMismatch(counts: Uint32Array, view: ReferenceView): string | undefined {
  if (counts.length !== view.width * view.height) {
    return `${counts.length} counts for ${view.width} × ${view.height} pixels`;
  }
  for (let y = 0; y < view.height; y++) {
    for (let x = 0; x < view.width; x++) {
      const got = counts[y * view.width + x];
      const want = referenceCount(view, x, y);
      if (got !== want) return `pixel (${x}, ${y}): ${got}, reference ${want}`;
    }
  }
  return undefined;
}
