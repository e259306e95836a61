// asc-flags: --initialMemory 1 --maximumMemory 8
// (read by scripts/build-kernels.js; the maximum must equal `maxMemoryPages` in ../meta.ts)

/**
 * Mandelbrot tile kernel (see ../README.md for the contract).
 *
 * `renderTile` computes the escape counts of one tile of a width × height image and returns
 * the address of tileW·tileH counts, row-major: u16 little-endian when maxIter ≤ 65535, else
 * u32. Each count equals the reference definition bit for bit: re/im are computed with exactly
 * the reference expression, and the f64x2 iteration performs the same IEEE operations in the
 * same order as the scalar loop (WebAssembly has no fused multiply-add).
 *
 * Eight pixels are in flight as four independent f64x2 vectors, so that the multiply/add
 * latency of one vector hides behind the others. Which lanes are still iterating is a scalar
 * bit mask: a lane that fails the test gets its count then and is never taken back (its x/y
 * go on holding garbage), and the loop ends when no lane is left or maxIter is reached.
 *
 * Memory after static data (stub runtime, no GC): LANES (the 8 re then 8 im of the current
 * group), RE (re of every tile column), IM (im of every tile row), then the output.
 */

const LANES: usize = (__heap_base + 15) & ~(<usize>15);
const RE: usize = LANES + 128;

/** Grows the imported memory so that [0, end) is addressable; aborts past the cap. */
function ensureMemory(end: usize): void {
  const have = (<usize>memory.size()) << 16;
  if (end <= have) return;
  const pages = <i32>((end - have + 0xffff) >>> 16);
  if (memory.grow(pages) < 0) abort('tile buffer exceeds the memory cap');
}

/** Stores `count` for every pixel g + k whose bit k is set in `lanes` (and inside the tile). */
function putCounts(out: usize, g: i32, n: i32, lanes: i32, count: i32, wide: bool): void {
  for (let k = 0; k < 8; k++) {
    const i = g + k;
    if ((lanes & (1 << k)) == 0 || i >= n) continue;
    if (wide) store<u32>(out + ((<usize>i) << 2), count);
    else store<u16>(out + ((<usize>i) << 1), <u16>count);
  }
}

/**
 * Computes the tile at (x0, y0) of size tileW × tileH of a width × height image centred on
 * (cx, cy) with `scale` units per pixel. Returns the address of its counts.
 */
export function renderTile(
  x0: i32,
  y0: i32,
  tileW: i32,
  tileH: i32,
  width: i32,
  height: i32,
  cx: f64,
  cy: f64,
  scale: f64,
  maxIter: i32,
): usize {
  const n = tileW * tileH;
  const wide = maxIter > 0xffff;
  const im = RE + ((<usize>tileW) << 3);
  const out = (im + ((<usize>tileH) << 3) + 15) & ~(<usize>15);
  ensureMemory(out + ((<usize>n) << (wide ? 2 : 1)));

  // The reference expressions, once per column and per row.
  for (let c = 0; c < tileW; c++) {
    store<f64>(RE + ((<usize>c) << 3), cx + (<f64>(x0 + c) + 0.5 - <f64>width / 2) * scale);
  }
  for (let r = 0; r < tileH; r++) {
    store<f64>(im + ((<usize>r) << 3), cy - (<f64>(y0 + r) + 0.5 - <f64>height / 2) * scale);
  }

  const four = f64x2.splat(4.0);
  const zero = f64x2.splat(0.0);
  let col = 0;
  let row = 0;
  for (let g = 0; g < n; g += 8) {
    // Lane k is pixel g + k of the tile (row-major); lanes past the end repeat the last pixel.
    for (let k = 0; k < 8; k++) {
      store<f64>(LANES + ((<usize>k) << 3), load<f64>(RE + ((<usize>col) << 3)));
      store<f64>(LANES + 64 + ((<usize>k) << 3), load<f64>(im + ((<usize>row) << 3)));
      if (g + k + 1 < n && ++col == tileW) {
        col = 0;
        row++;
      }
    }
    // Loaded from memory (not built from scalars here) so that the optimising compiler cannot
    // sink their computation into the loop below, as V8 11's TurboFan did.
    const cr0 = v128.load(LANES);
    const cr1 = v128.load(LANES, 16);
    const cr2 = v128.load(LANES, 32);
    const cr3 = v128.load(LANES, 48);
    const ci0 = v128.load(LANES, 64);
    const ci1 = v128.load(LANES, 80);
    const ci2 = v128.load(LANES, 96);
    const ci3 = v128.load(LANES, 112);
    let x0v = zero,
      y0v = zero,
      x1v = zero,
      y1v = zero;
    let x2v = zero,
      y2v = zero,
      x3v = zero,
      y3v = zero;
    // Bit k set: pixel g + k has not escaped yet.
    let live = 0xff;
    for (let it = 0; it < maxIter; it++) {
      let xx = f64x2.mul(x0v, x0v);
      let yy = f64x2.mul(y0v, y0v);
      let bits = i64x2.bitmask(f64x2.le(f64x2.add(xx, yy), four));
      y0v = f64x2.add(f64x2.mul(f64x2.add(x0v, x0v), y0v), ci0);
      x0v = f64x2.add(f64x2.sub(xx, yy), cr0);

      xx = f64x2.mul(x1v, x1v);
      yy = f64x2.mul(y1v, y1v);
      bits |= i64x2.bitmask(f64x2.le(f64x2.add(xx, yy), four)) << 2;
      y1v = f64x2.add(f64x2.mul(f64x2.add(x1v, x1v), y1v), ci1);
      x1v = f64x2.add(f64x2.sub(xx, yy), cr1);

      xx = f64x2.mul(x2v, x2v);
      yy = f64x2.mul(y2v, y2v);
      bits |= i64x2.bitmask(f64x2.le(f64x2.add(xx, yy), four)) << 4;
      y2v = f64x2.add(f64x2.mul(f64x2.add(x2v, x2v), y2v), ci2);
      x2v = f64x2.add(f64x2.sub(xx, yy), cr2);

      xx = f64x2.mul(x3v, x3v);
      yy = f64x2.mul(y3v, y3v);
      bits |= i64x2.bitmask(f64x2.le(f64x2.add(xx, yy), four)) << 6;
      y3v = f64x2.add(f64x2.mul(f64x2.add(x3v, x3v), y3v), ci3);
      x3v = f64x2.add(f64x2.sub(xx, yy), cr3);

      // Lanes that failed the test at this step did `it` iterations.
      const escaped = live & ~bits;
      if (escaped != 0) {
        putCounts(out, g, n, escaped, it, wide);
        live ^= escaped;
        if (live == 0) break;
      }
    }
    if (live != 0) putCounts(out, g, n, live, maxIter, wide);
  }
  return out;
}
