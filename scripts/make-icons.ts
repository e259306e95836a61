/**
 * Draws the app icons (the Mandelbrot set on the app's background) into public/icons.
 * Run once when the design changes: `npx tsx scripts/make-icons.ts`; the PNGs are committed
 * as source assets. The maskable icon keeps the set inside the central 80 % safe zone
 * (https://www.w3.org/TR/appmanifest/#icon-masks).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { mandelbrotScalar } from '../kernels/mandelbrot/scalar.ts';

const BACKGROUND = [0x0f, 0x14, 0x20];

function palette(i: number, maxIter: number): number[] {
  if (i >= maxIter) return [0xe8, 0xec, 0xf5];
  const t = Math.sqrt(i / maxIter);
  return [
    BACKGROUND[0] + t * (0x5b - 0x0f) * 2,
    BACKGROUND[1] + t * (0x6c - 0x14) * 2,
    BACKGROUND[2] + t * (0xff - 0x20),
  ].map((c) => Math.min(255, Math.round(c)));
}

/** Renders a size×size icon whose set occupies `fill` of the width; `round` clips to a rounded square. */
function draw(size: number, fill: number, round: boolean): Buffer {
  const png = new PNG({ width: size, height: size });
  const maxIter = 64;
  const scale = 3.2 / (size * fill);
  const radius = size * 0.2;
  const view = { width: size, height: size, cx: -0.65, cy: 0, scale, maxIter };
  const counts = mandelbrotScalar(view, { x: 0, y: 0, w: size, h: size });
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const i = counts[py * size + px]!;
      const [r, g, b] = palette(i, maxIter);
      const o = (py * size + px) * 4;
      const dx = Math.max(0, Math.abs(px + 0.5 - size / 2) - (size / 2 - radius));
      const dy = Math.max(0, Math.abs(py + 0.5 - size / 2) - (size / 2 - radius));
      const inside = !round || dx * dx + dy * dy <= radius * radius;
      png.data[o] = r;
      png.data[o + 1] = g;
      png.data[o + 2] = b;
      png.data[o + 3] = inside ? 255 : 0;
    }
  }
  return PNG.sync.write(png);
}

mkdirSync('public/icons', { recursive: true });
writeFileSync('public/icons/icon-192.png', draw(192, 0.92, true));
writeFileSync('public/icons/icon-512.png', draw(512, 0.92, true));
writeFileSync('public/icons/maskable-512.png', draw(512, 0.7, false));
writeFileSync('public/icons/apple-touch-icon.png', draw(180, 0.8, false));
console.log('icons written to public/icons');
