/**
 * The Mandelbrot kernel's contract (see README.md): parameters, tiling, the compact wire
 * encoding of a tile's counts, merging, and helpers to paint counts and write the raw file.
 * Realm-neutral: no DOM and no Node APIs.
 */
import * as v from 'valibot';
import { PdError } from '../../client/protocol/errors.ts';
import type { KernelInstance, KernelMeta } from '../kernel-meta.ts';

/** A Mandelbrot job: a width × height image centred on (cx, cy), `scale` units per pixel. */
export interface MandelbrotParams {
  readonly width: number;
  readonly height: number;
  readonly cx: number;
  readonly cy: number;
  readonly scale: number;
  readonly maxIter: number;
}

/** A chunk: the tile of pixels [x, x + w) × [y, y + h), row 0 at the top. */
export interface MandelbrotTile {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** The merged job: one escape count per pixel, row-major, top row first. */
export interface MandelbrotOutput {
  readonly width: number;
  readonly height: number;
  readonly counts: Uint32Array;
}

/** Largest accepted image (8K UHD) and iteration cap. */
export const MAX_WIDTH = 7680;
export const MAX_HEIGHT = 4320;
export const MAX_ITER = 1_000_000;
/** Counts travel as u16 up to this maxIter, as u32 above it. */
export const MAX_U16_ITER = 0xffff;
/** Tile sides are multiples of 8 (the kernel computes 8 pixels at a time) within [8, 256]. */
export const MIN_TILE_SIDE = 8;
export const MAX_TILE_SIDE = 256;
/**
 * Target tile cost in pixel·iterations (an upper bound: most pixels escape early): 2^24 gives
 * 128 × 128 tiles at maxIter 1000, so a 1920 × 1080 job is 135 tiles of ~4 ms each on a laptop
 * core and tens of milliseconds on a phone.
 */
export const TARGET_TILE_COST = 2 ** 24;

const int = (min: number, max: number) =>
  v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

const paramsSchema = v.object({
  width: int(1, MAX_WIDTH),
  height: int(1, MAX_HEIGHT),
  cx: v.pipe(v.number(), v.finite()),
  cy: v.pipe(v.number(), v.finite()),
  scale: v.pipe(v.number(), v.finite(), v.gtValue(0)),
  maxIter: int(1, MAX_ITER),
});

const tileSchema = v.object({
  x: int(0, MAX_WIDTH - 1),
  y: int(0, MAX_HEIGHT - 1),
  w: int(1, MAX_TILE_SIDE),
  h: int(1, MAX_TILE_SIDE),
});

function parse<S extends v.GenericSchema>(schema: S, input: unknown, what: string) {
  const result = v.safeParse(schema, input);
  if (!result.success) {
    throw new PdError('message-invalid', `${what}: ${v.summarize(result.issues)}`);
  }
  return result.output as v.InferOutput<S>;
}

/** Side of the (square) tiles of a job: about TARGET_TILE_COST pixel·iterations each. */
export function tileSide(params: MandelbrotParams): number {
  const side = Math.floor(Math.sqrt(TARGET_TILE_COST / params.maxIter) / 8) * 8;
  return Math.min(MAX_TILE_SIDE, Math.max(MIN_TILE_SIDE, side));
}

/** Bytes per count on the wire: 2 (u16 LE) when maxIter ≤ 65535, else 4 (u32 LE). */
export function bytesPerCount(maxIter: number): 2 | 4 {
  return maxIter <= MAX_U16_ITER ? 2 : 4;
}

/** The kernel's `renderTile` export (see assembly/index.ts); returns the buffer address. */
type RenderTile = (
  x0: number,
  y0: number,
  tileW: number,
  tileH: number,
  width: number,
  height: number,
  cx: number,
  cy: number,
  scale: number,
  maxIter: number,
) => number;

/** Decodes a tile result (u16 or u32 little-endian counts) and writes it into `counts`. */
function writeTile(
  counts: Uint32Array,
  width: number,
  tile: MandelbrotTile,
  result: Uint8Array,
  bytes: 2 | 4,
): void {
  const view = new DataView(result.buffer, result.byteOffset, result.byteLength);
  let offset = 0;
  for (let row = 0; row < tile.h; row++) {
    let at = (tile.y + row) * width + tile.x;
    for (let col = 0; col < tile.w; col++, at++, offset += bytes) {
      counts[at] = bytes === 2 ? view.getUint16(offset, true) : view.getUint32(offset, true);
    }
  }
}

/** The Mandelbrot kernel: square tiles in row-major order, counts merged into a Uint32Array. */
export const mandelbrot: KernelMeta<MandelbrotParams, MandelbrotTile, MandelbrotOutput> = {
  name: 'mandelbrot',
  // A 256 × 256 u32 tile is 4 pages; with static data, lane scratch and the 4 KiB of re/im
  // tables the kernel needs 5. The built module declares the same maximum (`asc-flags` in
  // assembly/index.ts; a test checks they agree).
  maxMemoryPages: 8,

  parseParams: (input) => parse(paramsSchema, input, 'mandelbrot params'),

  parseChunk(input, params) {
    const tile = parse(tileSchema, input, 'mandelbrot tile');
    const side = tileSide(params);
    const exact =
      tile.x % side === 0 &&
      tile.y % side === 0 &&
      tile.x < params.width &&
      tile.y < params.height &&
      tile.w === Math.min(side, params.width - tile.x) &&
      tile.h === Math.min(side, params.height - tile.y);
    if (!exact) throw new PdError('message-invalid', { reason: 'not a tile of this job', tile });
    return tile;
  },

  split(params) {
    const side = tileSide(params);
    const tiles: MandelbrotTile[] = [];
    for (let y = 0; y < params.height; y += side) {
      for (let x = 0; x < params.width; x += side) {
        tiles.push({
          x,
          y,
          w: Math.min(side, params.width - x),
          h: Math.min(side, params.height - y),
        });
      }
    }
    return tiles;
  },

  cost: (params, tile) => tile.w * tile.h * params.maxIter,

  execute(kernel: KernelInstance, params, tile) {
    const renderTile = (kernel.exports as unknown as { renderTile: RenderTile }).renderTile;
    const { width, height, cx, cy, scale, maxIter } = params;
    const ptr = renderTile(tile.x, tile.y, tile.w, tile.h, width, height, cx, cy, scale, maxIter);
    const length = tile.w * tile.h * bytesPerCount(maxIter);
    // Read the buffer after the call: the kernel may have grown memory (detaching the old one).
    return new Uint8Array(kernel.memory.buffer, ptr, length).slice();
  },

  maxResultBytes: (params, tile) => tile.w * tile.h * bytesPerCount(params.maxIter),

  validateResult(params, tile, result) {
    const expected = tile.w * tile.h * bytesPerCount(params.maxIter);
    if (result.byteLength !== expected) {
      throw new PdError('message-invalid', {
        reason: 'result size',
        expected,
        actual: result.byteLength,
      });
    }
  },

  createOutput: (params) => ({
    width: params.width,
    height: params.height,
    counts: new Uint32Array(params.width * params.height),
  }),

  merge(output, params, tile, result) {
    writeTile(output.counts, output.width, tile, result, bytesPerCount(params.maxIter));
  },
};

/** Gradient stops (position, r, g, b) of a cyclic blue–white–gold palette. */
const STOPS = [
  [0, 0, 7, 100],
  [0.16, 32, 107, 203],
  [0.42, 237, 255, 255],
  [0.6425, 255, 170, 0],
  [0.8575, 0, 2, 0],
  [1, 0, 7, 100],
] as const;

/** Writes the colour of escape count `i` at out[o..o+3]; the phase follows √i so bands stay
 * smooth at every zoom depth. */
function paint(i: number, out: Uint8ClampedArray, o: number): void {
  const phase = (Math.sqrt(i) / 6) % 1;
  let k = 1;
  while (STOPS[k][0] < phase) k++;
  const [p0, r0, g0, b0] = STOPS[k - 1];
  const [p1, r1, g1, b1] = STOPS[k];
  const f = (phase - p0) / (p1 - p0);
  out[o] = r0 + (r1 - r0) * f;
  out[o + 1] = g0 + (g1 - g0) * f;
  out[o + 2] = b0 + (b1 - b0) * f;
  out[o + 3] = 255;
}

let palette: { maxIter: number; lut: Uint8ClampedArray } | undefined;

/** The colours of counts below min(maxIter, 4096), kept for the last maxIter (tiles of a job share it). */
function paletteFor(maxIter: number): Uint8ClampedArray {
  if (palette?.maxIter !== maxIter) {
    const lut = new Uint8ClampedArray(4 * Math.min(maxIter, 4096));
    for (let i = 0; i < lut.length / 4; i++) paint(i, lut, 4 * i);
    palette = { maxIter, lut };
  }
  return palette.lut;
}

/**
 * Paints counts as RGBA (ImageData layout): points in the set (count = maxIter) black, the
 * others on a smooth cyclic palette. Writes into `out` when given (length ≥ 4 × counts).
 */
export function countsToRgba(
  counts: Uint32Array,
  maxIter: number,
  out = new Uint8ClampedArray(counts.length * 4),
): Uint8ClampedArray {
  const lut = paletteFor(maxIter);
  const cached = lut.length / 4;
  for (let p = 0, o = 0; p < counts.length; p++, o += 4) {
    const i = counts[p];
    if (i >= maxIter) {
      out[o] = out[o + 1] = out[o + 2] = 0;
      out[o + 3] = 255;
    } else if (i < cached) {
      out[o] = lut[4 * i];
      out[o + 1] = lut[4 * i + 1];
      out[o + 2] = lut[4 * i + 2];
      out[o + 3] = 255;
    } else {
      paint(i, out, o);
    }
  }
  return out;
}

/** The raw `.u32` file: every count as a little-endian uint32, whatever the host's order. */
export function encodeU32LE(counts: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(counts.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < counts.length; i++) view.setUint32(4 * i, counts[i], true);
  return bytes;
}
