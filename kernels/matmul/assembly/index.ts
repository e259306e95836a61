// asc-flags: --initialMemory 1 --maximumMemory 192
// (read by scripts/build-kernels.js; the maximum must equal `maxMemoryPages` in ../meta.ts)

/**
 * Matrix multiplication tile kernel (see ../README.md for the contract).
 *
 * Computes one h × w tile C = A·B from a row panel A (h × k, row-major) and a column panel of
 * B stored transposed (Bᵀ: w × k, row-major, so each column of B is contiguous). Every output
 * element is then a dot product of two contiguous runs of k f64, which f64x2 loads read
 * straight from memory: no broadcasts and no strided access in the inner loop.
 *
 * Register block: 2 rows of A × 4 columns of B = 8 f64x2 accumulators (lane 0 sums the even
 * terms, lane 1 the odd ones), plus 2 A vectors and 1 B vector in flight: 11 of the 16 vector
 * registers x64 has (V8 keeps one as scratch), so nothing spills. Per step of two k: 6 loads
 * for 16 multiplies and 16 adds. The outer loop walks column groups, so the 4 columns in use
 * (4·k·8 bytes: 32 KiB at k = 1024) stay in L1 while the rows of A stream past. Edge blocks
 * repeat the last row/column (clamped pointers) and store only the elements inside the tile.
 * WebAssembly has no fused multiply-add, so each term is rounded after the multiply.
 *
 * Memory after static data (stub runtime, no GC), from BASE: A (h·k f64), Bᵀ (w·k f64),
 * C (h·w f64). The host copies the panels in at `reserve`'s address, then calls `multiply`.
 */

const BASE: usize = (__heap_base + 63) & ~(<usize>63);

/** Grows the imported memory so that [0, end) is addressable; aborts past the cap. */
function ensureMemory(end: u64): void {
  const have = (<u64>memory.size()) << 16;
  if (end <= have) return;
  const pages = (end - have + 0xffff) >> 16;
  if (pages > 0xffff || memory.grow(<i32>pages) < 0) abort('panels exceed the memory cap');
}

/**
 * Makes room for an h × w tile with inner dimension k and returns the address of A; Bᵀ
 * follows at A + h·k·8 and C at Bᵀ + w·k·8.
 */
export function reserve(h: i32, w: i32, k: i32): usize {
  if (h < 1 || w < 1 || k < 1) abort('tile dimensions must be positive');
  const elements = <u64>h * <u64>k + <u64>w * <u64>k + <u64>h * <u64>w;
  ensureMemory(<u64>BASE + (elements << 3));
  return BASE;
}

/** Sum of the two lanes: even terms + odd terms of a dot product (inlined by -O3). */
function lanes(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/**
 * C = A·B for the panels laid out by `reserve(h, w, k)` (which must have been called with the
 * same dimensions). Returns the address of C (h × w f64, row-major).
 */
export function multiply(h: i32, w: i32, k: i32): usize {
  const rowBytes = (<usize>k) << 3;
  const a = BASE;
  const bt = a + <usize>h * rowBytes;
  const c = bt + <usize>w * rowBytes;
  const evenBytes = (<usize>(k & ~1)) << 3;
  const lastRow = h - 1;
  const lastCol = w - 1;
  for (let j = 0; j < w; j += 4) {
    const b0 = bt + <usize>j * rowBytes;
    const b1 = bt + <usize>min(j + 1, lastCol) * rowBytes;
    const b2 = bt + <usize>min(j + 2, lastCol) * rowBytes;
    const b3 = bt + <usize>min(j + 3, lastCol) * rowBytes;
    const cols = w - j;
    for (let i = 0; i < h; i += 2) {
      const a0 = a + <usize>i * rowBytes;
      const a1 = a + <usize>min(i + 1, lastRow) * rowBytes;
      let s00 = f64x2.splat(0);
      let s01 = s00,
        s02 = s00,
        s03 = s00,
        s10 = s00,
        s11 = s00,
        s12 = s00,
        s13 = s00;
      for (let p: usize = 0; p < evenBytes; p += 16) {
        const x0 = v128.load(a0 + p);
        const x1 = v128.load(a1 + p);
        let y = v128.load(b0 + p);
        s00 = f64x2.add(s00, f64x2.mul(x0, y));
        s10 = f64x2.add(s10, f64x2.mul(x1, y));
        y = v128.load(b1 + p);
        s01 = f64x2.add(s01, f64x2.mul(x0, y));
        s11 = f64x2.add(s11, f64x2.mul(x1, y));
        y = v128.load(b2 + p);
        s02 = f64x2.add(s02, f64x2.mul(x0, y));
        s12 = f64x2.add(s12, f64x2.mul(x1, y));
        y = v128.load(b3 + p);
        s03 = f64x2.add(s03, f64x2.mul(x0, y));
        s13 = f64x2.add(s13, f64x2.mul(x1, y));
      }
      let c00 = lanes(s00),
        c01 = lanes(s01),
        c02 = lanes(s02),
        c03 = lanes(s03);
      let c10 = lanes(s10),
        c11 = lanes(s11),
        c12 = lanes(s12),
        c13 = lanes(s13);
      if (k & 1) {
        // The last term of an odd k.
        const x0 = load<f64>(a0 + evenBytes);
        const x1 = load<f64>(a1 + evenBytes);
        const y0 = load<f64>(b0 + evenBytes);
        const y1 = load<f64>(b1 + evenBytes);
        const y2 = load<f64>(b2 + evenBytes);
        const y3 = load<f64>(b3 + evenBytes);
        c00 += x0 * y0;
        c01 += x0 * y1;
        c02 += x0 * y2;
        c03 += x0 * y3;
        c10 += x1 * y0;
        c11 += x1 * y1;
        c12 += x1 * y2;
        c13 += x1 * y3;
      }
      const o0 = c + ((<usize>i * <usize>w + <usize>j) << 3);
      store<f64>(o0, c00);
      if (cols > 1) store<f64>(o0, c01, 8);
      if (cols > 2) store<f64>(o0, c02, 16);
      if (cols > 3) store<f64>(o0, c03, 24);
      if (i < lastRow) {
        const o1 = o0 + ((<usize>w) << 3);
        store<f64>(o1, c10);
        if (cols > 1) store<f64>(o1, c11, 8);
        if (cols > 2) store<f64>(o1, c12, 16);
        if (cols > 3) store<f64>(o1, c13, 24);
      }
    }
  }
  return c;
}
