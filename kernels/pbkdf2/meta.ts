/**
 * The PBKDF2 kernel's contract (see README.md): PBKDF2-HMAC-SHA256 of many (password, salt)
 * pairs with one iteration count and key length. The pairs travel as blobs `p/<b>`; a chunk
 * is a run of pairs within one blob; the output is every pair's derived key, in input order.
 * Realm-neutral: no DOM and no Node APIs.
 */
import * as v from 'valibot';
import { PdError } from '../../client/protocol/errors.ts';
import type { KernelInstance, KernelMeta } from '../kernel-meta.ts';
import { MAX_FIELD_BYTES, encodePairs, pairBytes, pairOffsets, utf8Length } from './pair-blob.ts';
import type { Pair } from './pair-blob.ts';

/** A PBKDF2 job: `count` pairs, cut into blobs p/0, p/1, … of `blobPairs[b]` pairs each. */
export interface Pbkdf2Params {
  readonly iterations: number;
  /** Derived bytes per pair (dkLen): ceil(keyLength / 32) PBKDF2 blocks. */
  readonly keyLength: number;
  readonly count: number;
  readonly blobPairs: readonly number[];
}

/** A chunk: pairs [start, start + count) of blob `blob`. */
export interface Pbkdf2Chunk {
  readonly blob: number;
  readonly start: number;
  readonly count: number;
}

export const MAX_ITERATIONS = 10_000_000;
export const MAX_KEY_LENGTH = 1024;
/** A blob holds at most this many pairs, and at most MAX_BLOB_BYTES unless one pair alone. */
export const MAX_BLOB_PAIRS = 1024;
export const MAX_BLOB_BYTES = 256 * 1024;
/** At most this many blobs, so params stay under ~41 KB of JSON (8192 × "1024,"). */
export const MAX_BLOBS = 8192;
/** The merged output (count · keyLength bytes) is at most 512 MiB. */
export const MAX_OUTPUT_BYTES = 512 * 1024 * 1024;
/** Pairs the kernel hashes at once (i32x4 lanes); a chunk of fewer takes as long. */
export const LANES = 4;
/**
 * Target chunk cost in pair·iteration·blocks: one is two SHA-256 compressions of one lane. The
 * kernel does ~4 million a second on a laptop-class core, so a chunk is ~8 ms there and tens of
 * milliseconds on a phone (32 pairs at 1000 iterations).
 */
export const TARGET_CHUNK_COST = 2 ** 15;

const int = (min: number, max: number) =>
  v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

const paramsSchema = v.object({
  iterations: int(1, MAX_ITERATIONS),
  keyLength: int(1, MAX_KEY_LENGTH),
  count: int(1, MAX_BLOBS * MAX_BLOB_PAIRS),
  blobPairs: v.pipe(
    v.array(int(1, MAX_BLOB_PAIRS)),
    v.minLength(1),
    v.maxLength(MAX_BLOBS),
    v.readonly(),
  ),
});

const chunkSchema = v.object({
  blob: int(0, MAX_BLOBS - 1),
  start: int(0, MAX_BLOB_PAIRS - 1),
  count: int(1, MAX_BLOB_PAIRS),
});

function invalid(reason: string, details: Record<string, unknown> = {}): PdError {
  return new PdError('message-invalid', { reason, ...details });
}

function parse<S extends v.GenericSchema>(schema: S, input: unknown, what: string) {
  const result = v.safeParse(schema, input);
  if (!result.success) throw invalid(`${what}: ${v.summarize(result.issues)}`);
  return result.output as v.InferOutput<S>;
}

/** PBKDF2 output blocks of a key length: ceil(keyLength / 32). */
export function blockCount(keyLength: number): number {
  return Math.ceil(keyLength / 32);
}

/**
 * Pairs per chunk: about TARGET_CHUNK_COST / (iterations · blocks), a multiple of LANES, at
 * least LANES (a group of four takes as long as one pair) and at most MAX_BLOB_PAIRS.
 */
export function pairsPerChunk(params: Pick<Pbkdf2Params, 'iterations' | 'keyLength'>): number {
  const pairs = TARGET_CHUNK_COST / (params.iterations * blockCount(params.keyLength));
  return Math.min(MAX_BLOB_PAIRS, Math.max(LANES, Math.floor(pairs / LANES) * LANES));
}

/** The name of blob b: 'p/<b>'. */
export function blobName(blob: number): string {
  return `p/${blob}`;
}

/** Index of the first pair of each blob, memoised per params (merge needs it per chunk). */
const firstPairs = new WeakMap<readonly number[], number[]>();

function firstPairOf(params: Pbkdf2Params, blob: number): number {
  let starts = firstPairs.get(params.blobPairs);
  if (!starts) {
    starts = [0];
    for (const pairs of params.blobPairs) starts.push(starts[starts.length - 1] + pairs);
    firstPairs.set(params.blobPairs, starts);
  }
  return starts[blob];
}

/** Checks untrusted job data: `{ pairs: [{ password, salt }, …] }` of strings within limits. */
function parseData(data: unknown): readonly Pair[] {
  const pairs = (data as { pairs?: unknown } | null)?.pairs;
  if (!Array.isArray(pairs)) throw invalid('pbkdf2 data: expected { pairs: [...] }');
  pairs.forEach((pair: unknown, index) => {
    const { password, salt } = (pair ?? {}) as Record<string, unknown>;
    if (typeof password !== 'string' || typeof salt !== 'string') {
      throw invalid('pbkdf2 data: a pair needs string password and salt', { pair: index });
    }
    for (const [field, text] of [
      ['password', password],
      ['salt', salt],
    ] as const) {
      // UTF-8 has at most 3 bytes per UTF-16 unit, so most strings need no count.
      if (text.length * 3 > MAX_FIELD_BYTES && utf8Length(text) > MAX_FIELD_BYTES) {
        throw invalid(`pbkdf2 data: ${field} longer than ${MAX_FIELD_BYTES} UTF-8 bytes`, {
          pair: index,
        });
      }
    }
  });
  return pairs as Pair[];
}

/**
 * Pairs per blob for these pairs: consecutive runs of at most MAX_BLOB_PAIRS pairs and
 * MAX_BLOB_BYTES bytes (a pair larger than that alone). Throws like `blobs` on bad data.
 */
export function planBlobs(data: unknown): number[] {
  return blobPlan(parseData(data));
}

function blobPlan(pairs: readonly Pair[]): number[] {
  const blobPairs: number[] = [];
  let inBlob = 0;
  let bytes = 0;
  for (const pair of pairs) {
    const size = pairBytes(pair);
    if (inBlob > 0 && (inBlob === MAX_BLOB_PAIRS || bytes + size > MAX_BLOB_BYTES)) {
      blobPairs.push(inBlob);
      inBlob = 0;
      bytes = 0;
    }
    inBlob++;
    bytes += size;
  }
  if (inBlob > 0) blobPairs.push(inBlob);
  return blobPairs;
}

/** The validated params of a job over `pairs` (throws PdError 'message-invalid'). */
export function paramsForPairs(
  pairs: readonly Pair[],
  options: { iterations: number; keyLength: number },
): Pbkdf2Params {
  const blobPairs = planBlobs({ pairs });
  return pbkdf2.parseParams({ ...options, count: pairs.length, blobPairs });
}

/** The kernel's exports (see assembly/index.ts); addresses are returned as i32. */
interface Pbkdf2Exports {
  inputAddress(inputBytes: number, count: number, keyLength: number): number;
  derive(inputBytes: number, count: number, iterations: number, keyLength: number): number;
}

/** The PBKDF2 kernel: chunks of pairs within a blob, keys merged into one Uint8Array. */
export const pbkdf2: KernelMeta<Pbkdf2Params, Pbkdf2Chunk, Uint8Array> = {
  name: 'pbkdf2',
  // Input ≤ 256 KiB and output ≤ 1024 pairs × 1024 bytes = 1 MiB, plus ~2 KiB of scratch:
  // 21 pages at most. The built module declares the same maximum (`asc-flags` in
  // assembly/index.ts; a test checks they agree).
  maxMemoryPages: 32,

  parseParams(input) {
    const params = parse(paramsSchema, input, 'pbkdf2 params');
    const sum = params.blobPairs.reduce((total, pairs) => total + pairs, 0);
    if (sum !== params.count) {
      throw invalid('pbkdf2 params: blobPairs do not add up to count', {
        count: params.count,
        sum,
      });
    }
    if (params.count * params.keyLength > MAX_OUTPUT_BYTES) {
      throw invalid(`pbkdf2 params: output over ${MAX_OUTPUT_BYTES} bytes`);
    }
    return params;
  },

  parseChunk(input, params) {
    const chunk = parse(chunkSchema, input, 'pbkdf2 chunk');
    const perChunk = pairsPerChunk(params);
    const inBlob = params.blobPairs[chunk.blob];
    const exact =
      inBlob !== undefined &&
      chunk.start % perChunk === 0 &&
      chunk.start < inBlob &&
      chunk.count === Math.min(perChunk, inBlob - chunk.start);
    if (!exact) throw invalid('not a chunk of this job', { chunk });
    return chunk;
  },

  split(params) {
    const perChunk = pairsPerChunk(params);
    const chunks: Pbkdf2Chunk[] = [];
    params.blobPairs.forEach((inBlob, blob) => {
      for (let start = 0; start < inBlob; start += perChunk) {
        chunks.push({ blob, start, count: Math.min(perChunk, inBlob - start) });
      }
    });
    return chunks;
  },

  cost: (params, chunk) => chunk.count * params.iterations * blockCount(params.keyLength),

  inputsOf: (_params, chunk) => [blobName(chunk.blob)],

  blobs(params, data) {
    const pairs = parseData(data);
    const planned = blobPlan(pairs);
    if (
      pairs.length !== params.count ||
      planned.length !== params.blobPairs.length ||
      planned.some((inBlob, b) => inBlob !== params.blobPairs[b])
    ) {
      throw invalid('pbkdf2 data: pairs do not match params.count / params.blobPairs');
    }
    const blobs = new Map<string, Uint8Array>();
    let first = 0;
    planned.forEach((inBlob, blob) => {
      blobs.set(blobName(blob), encodePairs(pairs.slice(first, first + inBlob)));
      first += inBlob;
    });
    return blobs;
  },

  execute(kernel: KernelInstance, params, chunk, inputs) {
    const blob = inputs[0];
    if (inputs.length !== 1 || blob === undefined) {
      throw invalid('pbkdf2 chunk: expected one input blob', { inputs: inputs.length });
    }
    // A pair is at most 8 + 2 · MAX_FIELD_BYTES bytes, so every blob fits MAX_BLOB_BYTES.
    if (blob.byteLength > MAX_BLOB_BYTES) {
      throw invalid('pbkdf2 chunk: input blob too large', { bytes: blob.byteLength });
    }
    const offsets = pairOffsets(blob, params.blobPairs[chunk.blob]);
    const begin = offsets[chunk.start];
    const inputBytes = offsets[chunk.start + chunk.count] - begin;
    const { inputAddress, derive } = kernel.exports as unknown as Pbkdf2Exports;
    const at = inputAddress(inputBytes, chunk.count, params.keyLength) >>> 0;
    // The buffer is read after the call: growing memory detaches the old one.
    new Uint8Array(kernel.memory.buffer, at, inputBytes).set(
      blob.subarray(begin, begin + inputBytes),
    );
    const out = derive(inputBytes, chunk.count, params.iterations, params.keyLength) >>> 0;
    return new Uint8Array(kernel.memory.buffer, out, chunk.count * params.keyLength).slice();
  },

  maxResultBytes: (params, chunk) => chunk.count * params.keyLength,

  validateResult(params, chunk, result) {
    const expected = chunk.count * params.keyLength;
    if (result.byteLength !== expected) {
      throw invalid('result size', { expected, actual: result.byteLength });
    }
  },

  createOutput: (params) => new Uint8Array(params.count * params.keyLength),

  merge(output, params, chunk, result) {
    output.set(result, (firstPairOf(params, chunk.blob) + chunk.start) * params.keyLength);
  },
};
