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
