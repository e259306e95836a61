/**
 * How a chunk result travels: one tag byte, then the kernel's bytes either as they are or
 * deflated. Counts of a fractal compress several-fold (interior tiles are one value), and on
 * a LAN moving them can cost as much as computing them. Compression is synchronous (fflate),
 * so a result is decoded in the order its peer's messages arrived — an async
 * DecompressionStream would let it overtake the messages after it.
 */
import { deflateSync, Inflate, inflateSync } from 'fflate';
import { PdError } from './errors.ts';

const RAW = 0;
const DEFLATE = 1;

/** Results smaller than this are sent as they are: deflating them gains nothing. */
const MIN_COMPRESSIBLE = 1024;

/** Tags and, where it saves at least an eighth, deflates a result for the wire. */
export function encodeResult(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  if (raw.byteLength >= MIN_COMPRESSIBLE) {
    const deflated = deflateSync(raw, { level: 1 });
    if (deflated.byteLength < raw.byteLength * 0.875) return tagged(DEFLATE, deflated);
  }
  return tagged(RAW, raw);
}

/**
 * Reverses encodeResult. `maxBytes` bounds the decoded size, so a small hostile body cannot
 * inflate into gigabytes. Throws PdError `message-invalid` on anything malformed.
 */
export function decodeResult(body: Uint8Array, maxBytes: number): Uint8Array {
  if (body.byteLength === 0) throw new PdError('message-invalid', 'empty result');
  const payload = body.subarray(1);
  if (body[0] === RAW) {
    if (payload.byteLength > maxBytes) throw new PdError('message-invalid', 'result too large');
    return payload;
  }
  if (body[0] !== DEFLATE)
    throw new PdError('message-invalid', `unknown result encoding ${body[0]}`);
  let inflated: Uint8Array;
  try {
    inflated =
      maxBytes <= DIRECT_INFLATE_MAX
        ? // fflate writes into the given buffer and fails rather than grow it past maxBytes.
          inflateSync(payload, { out: new Uint8Array(maxBytes + 1) })
        : inflateBounded(payload, maxBytes);
  } catch (err) {
    if (err instanceof PdError) throw err;
    throw new PdError('message-invalid', `result does not inflate: ${String(err)}`);
  }
  if (inflated.byteLength > maxBytes) throw new PdError('message-invalid', 'result too large');
  return inflated;
}

/**
 * Up to this bound the output buffer is allocated whole; above it, it would cost more to
 * allocate and zero (per result!) than to inflate in steps.
 */
const DIRECT_INFLATE_MAX = 1 << 20;
/** Input fed per step: deflate expands at most ~1032×, so a step yields at most ~4 MiB. */
const INFLATE_STEP = 4096;

/** Inflates step by step, stopping as soon as the output passes `maxBytes`. */
function inflateBounded(payload: Uint8Array, maxBytes: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  const inflater = new Inflate((data) => {
    total += data.byteLength;
    if (total > maxBytes) throw new PdError('message-invalid', 'result too large');
    parts.push(data);
  });
  for (let at = 0; at < payload.byteLength; at += INFLATE_STEP) {
    const end = Math.min(at + INFLATE_STEP, payload.byteLength);
    inflater.push(payload.subarray(at, end), end === payload.byteLength);
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Tags a result without compressing it (for a loopback that never crosses a network). */
export function encodeRawResult(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  return tagged(RAW, raw);
}

function tagged(tag: number, bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.byteLength + 1);
  out[0] = tag;
  out.set(bytes, 1);
  return out;
}
