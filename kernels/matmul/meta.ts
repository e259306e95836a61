/**
 * The matrix multiplication kernel's contract (see README.md): parameters, tiling, the input
 * panels as blobs, the wire encoding of a tile, merging, and the little-endian f64 codec of raw
 * `.f64` files. Realm-neutral: no DOM and no Node APIs.
 */
import * as v from 'valibot';
import { PdError } from '../../client/protocol/errors.ts';
import type { KernelInstance, KernelMeta } from '../kernel-meta.ts';

/** A job: C = A·B with A n × k and B k × m, all f64, row-major. */
export interface MatmulParams {
  readonly n: number;
  readonly k: number;
  readonly m: number;
}

/** A chunk: output tile (i, j), rows [i·T, …) × columns [j·T, …) of C, T = tileSide(params). */
export interface MatmulTile {
  readonly i: number;
  readonly j: number;
}

/** Where a tile lies in C: rows [row, row + h), columns [col, col + w). */
export interface TileBounds {
  readonly row: number;
  readonly col: number;
  readonly h: number;
  readonly w: number;
}

/** The merged job: C, n × m, row-major. */
export interface MatmulOutput {
  readonly n: number;
  readonly m: number;
  readonly c: Float64Array;
}

/**
 * A job's input data, as `blobs` takes it: A (n·k values) and B (k·m values), row-major, either
 * as f64 values or as the little-endian bytes of a raw `.f64` file.
 */
export interface MatmulData {
  readonly a: Uint8Array | Float64Array;
  readonly b: Uint8Array | Float64Array;
}

/** Largest accepted dimension (a 16384 × 16384 f64 matrix is 2 GiB). */
export const MAX_DIM = 16384;
/**
 * Target tile cost in multiply-adds: 2^25 (67 MFLOP) is ~5 ms on a laptop core at 10–15 GFLOP/s
 * and tens of milliseconds on a phone.
 */
export const TARGET_TILE_MACS = 2 ** 25;
/** Tile sides are multiples of 16 within [16, 512]; the kernel computes 2 × 4 blocks. */
export const TILE_SIDE_STEP = 16;
export const MIN_TILE_SIDE = 16;
export const MAX_TILE_SIDE = 512;

const int = (min: number, max: number) =>
  v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

const paramsSchema = v.object({ n: int(1, MAX_DIM), k: int(1, MAX_DIM), m: int(1, MAX_DIM) });
const tileSchema = v.object({ i: int(0, MAX_DIM - 1), j: int(0, MAX_DIM - 1) });

function parse<S extends v.GenericSchema>(schema: S, input: unknown, what: string) {
  const result = v.safeParse(schema, input);
  if (!result.success) {
    throw new PdError('message-invalid', `${what}: ${v.summarize(result.issues)}`);
  }
  return result.output as v.InferOutput<S>;
}

/**
 * Side T of the (square) output tiles: about TARGET_TILE_MACS multiply-adds (T·T·k) each. It
 * depends on k alone, and bounds the kernel's memory: T·k ≤ √(2^25·k) ≤ 2^19.5, so the two
 * panels take at most 11.9 MB (see README.md).
 */
export function tileSide(params: Pick<MatmulParams, 'k'>): number {
  const side = Math.floor(Math.sqrt(TARGET_TILE_MACS / params.k) / TILE_SIDE_STEP) * TILE_SIDE_STEP;
  return Math.min(MAX_TILE_SIDE, Math.max(MIN_TILE_SIDE, side));
}

/** Tiles along the rows (n) and columns (m) of C. */
export function tileCounts(params: MatmulParams): { rows: number; cols: number } {
  const side = tileSide(params);
  return { rows: Math.ceil(params.n / side), cols: Math.ceil(params.m / side) };
}

/** The rows and columns of C a tile covers; edge tiles are smaller. */
export function tileBounds(params: MatmulParams, tile: MatmulTile): TileBounds {
  const side = tileSide(params);
  const row = tile.i * side;
  const col = tile.j * side;
  return { row, col, h: Math.min(side, params.n - row), w: Math.min(side, params.m - col) };
}

/** Bytes of kernel memory a tile needs past static data: A panel, Bᵀ panel and C tile. */
export function tileKernelBytes(params: MatmulParams, tile: MatmulTile): number {
  const { h, w } = tileBounds(params, tile);
  return 8 * (h * params.k + w * params.k + h * w);
}

const hostIsLittleEndian = new Uint8Array(Float64Array.of(1).buffer)[7] === 0x3f;

/**
 * The little-endian bytes of `values` (the raw `.f64` layout), whatever the host's order. On a
 * little-endian host this is a view of `values`' memory, not a copy.
 */
export function encodeF64LE(values: Float64Array): Uint8Array {
  if (hostIsLittleEndian)
    return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = new Uint8Array(values.byteLength);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(8 * i, values[i], true);
  return bytes;
}

/**
 * The f64 values of little-endian bytes (a raw `.f64` file, a tile result). On a little-endian
 * host with 8-byte-aligned bytes this is a view of them, not a copy. Throws PdError
 * 'message-invalid' when the length is not a multiple of 8.
 */
export function decodeF64LE(bytes: Uint8Array): Float64Array {
  if (bytes.byteLength % 8 !== 0) {
    throw new PdError('message-invalid', { reason: 'f64 bytes', length: bytes.byteLength });
  }
  if (hostIsLittleEndian) {
    const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
    return new Float64Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 8);
  }
  const values = new Float64Array(bytes.byteLength / 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat64(8 * i, true);
  return values;
}

/**
 * One matrix of `blobs`' data, checked to hold rows × cols values: a Float64Array or the
 * little-endian bytes of one; throws PdError 'message-invalid' otherwise.
 */
function checkMatrix(
  input: unknown,
  name: string,
  rows: number,
  cols: number,
): Uint8Array | Float64Array {
  const expected = rows * cols * 8;
  const actual =
    input instanceof Float64Array || input instanceof Uint8Array ? input.byteLength : undefined;
  if (actual !== expected) {
    throw new PdError('message-invalid', {
      reason: `matrix ${name} must be ${rows}×${cols} f64 (a Float64Array or its LE bytes)`,
      expected,
      actual: actual ?? typeof input,
    });
  }
  return input as Uint8Array | Float64Array;
}

/** The kernel's exports (see assembly/index.ts); both return addresses in its memory. */
interface MatmulExports {
  reserve(h: number, w: number, k: number): number;
  multiply(h: number, w: number, k: number): number;
}

/** Throws PdError 'message-invalid' unless `actual` bytes is `expected`. */
function checkSize(what: string, expected: number, actual: number): void {
  if (actual !== expected) throw new PdError('message-invalid', { reason: what, expected, actual });
}

/** Matrix multiplication: square output tiles in row-major order, merged into a Float64Array. */
export const matmul: KernelMeta<MatmulParams, MatmulTile, MatmulOutput> = {
  name: 'matmul',
  // The largest tile needs 11,202,816 bytes (k = 14563, T = 48: 171 pages) plus static data;
  // 192 pages (12 MiB) leaves room. The built module declares the same maximum (`asc-flags` in
  // assembly/index.ts; a test checks they agree and that the worst tile fits).
  maxMemoryPages: 192,

  parseParams: (input) => parse(paramsSchema, input, 'matmul params'),

  parseChunk(input, params) {
    const tile = parse(tileSchema, input, 'matmul tile');
    const { rows, cols } = tileCounts(params);
    if (tile.i >= rows || tile.j >= cols) {
      throw new PdError('message-invalid', { reason: 'not a tile of this job', tile });
    }
    return tile;
  },

  split(params) {
    const { rows, cols } = tileCounts(params);
    const tiles: MatmulTile[] = [];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) tiles.push({ i, j });
    }
    return tiles;
  },

  cost(params, tile) {
    const { h, w } = tileBounds(params, tile);
    return h * w * params.k;
  },

  inputsOf: (_params, tile) => [`a/${tile.i}`, `b/${tile.j}`],

  blobs(params, data) {
    const { n, k, m } = params;
    const { a, b } = (data ?? {}) as Partial<Record<keyof MatmulData, unknown>>;
    const aMatrix = checkMatrix(a, 'a', n, k);
    const bMatrix = checkMatrix(b, 'b', k, m);
    const aBytes = aMatrix instanceof Float64Array ? encodeF64LE(aMatrix) : aMatrix;
    const bValues = bMatrix instanceof Float64Array ? bMatrix : decodeF64LE(bMatrix);
    const { rows, cols } = tileCounts(params);
    const side = tileSide(params);
    const blobs = new Map<string, Uint8Array>();
    // A row panel is a contiguous run of A's rows: a copy, so that later changes to the
    // caller's array cannot change a blob after its hash was taken.
    for (let i = 0; i < rows; i++) {
      const h = Math.min(side, n - i * side);
      blobs.set(`a/${i}`, aBytes.slice(i * side * k * 8, (i * side + h) * k * 8));
    }
    // A column panel is stored transposed (w × k): column c of the panel is row c of the blob.
    for (let j = 0; j < cols; j++) {
      const col = j * side;
      const w = Math.min(side, m - col);
      const panel = new Float64Array(w * k);
      for (let p = 0; p < k; p++) {
        const from = p * m + col;
        for (let c = 0, to = p; c < w; c++, to += k) panel[to] = bValues[from + c];
      }
      blobs.set(`b/${j}`, encodeF64LE(panel));
    }
    return blobs;
  },

  execute(kernel: KernelInstance, params, tile, inputs) {
    const { k } = params;
    const { h, w } = tileBounds(params, tile);
    checkSize('panel count', 2, inputs.length);
    checkSize('A panel bytes', h * k * 8, inputs[0].byteLength);
    checkSize('B panel bytes', w * k * 8, inputs[1].byteLength);
    const { reserve, multiply } = kernel.exports as unknown as MatmulExports;
    const base = reserve(h, w, k) >>> 0;
    // Take the buffer after `reserve`: growing memory detaches the old one.
    const memory = new Uint8Array(kernel.memory.buffer);
    memory.set(inputs[0], base);
    memory.set(inputs[1], base + h * k * 8);
    const c = multiply(h, w, k) >>> 0;
    return new Uint8Array(kernel.memory.buffer, c, h * w * 8).slice();
  },

  maxResultBytes(params, tile) {
    const { h, w } = tileBounds(params, tile);
    return h * w * 8;
  },

  validateResult(params, tile, result) {
    const { h, w } = tileBounds(params, tile);
    checkSize('result size', h * w * 8, result.byteLength);
  },

  createOutput: (params) => ({
    n: params.n,
    m: params.m,
    c: new Float64Array(params.n * params.m),
  }),

  merge(output, params, tile, result) {
    const { row, col, h, w } = tileBounds(params, tile);
    const values = decodeF64LE(result);
    for (let r = 0; r < h; r++) {
      output.c.set(values.subarray(r * w, (r + 1) * w), (row + r) * output.m + col);
    }
  },
};
