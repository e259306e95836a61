/**
 * The binary layout of (password, salt) pairs in a PBKDF2 job's blobs, as the kernel reads it:
 * per pair, a u32 little-endian byte length and the UTF-8 bytes of the password, then the same
 * for the salt. Realm-neutral and dependency-free, so workers (which import meta.ts) do not
 * load the CSV parser of pairs.ts.
 */
import { PdError } from '../../client/protocol/errors.ts';

/** One input of a PBKDF2 job. Strings are hashed as UTF-8 (lone surrogates become U+FFFD). */
export interface Pair {
  readonly password: string;
  readonly salt: string;
}

/** Longest password, and longest salt, in UTF-8 bytes: a pair then always fits one blob. */
export const MAX_FIELD_BYTES = 64 * 1024;

/** Bytes of `text` in UTF-8, as TextEncoder writes it (a lone surrogate as U+FFFD, 3 bytes). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 2; // 4 bytes for the two units
      i++;
    } else bytes += 2;
  }
  return bytes;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** Bytes a pair takes in a blob. */
export function pairBytes(pair: Pair): number {
  return 8 + utf8Length(pair.password) + utf8Length(pair.salt);
}

/** The pairs in the blob layout. */
export function encodePairs(pairs: readonly Pair[]): Uint8Array {
  let total = 0;
  for (const pair of pairs) total += pairBytes(pair);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  const encoder = new TextEncoder();
  let at = 0;
  for (const pair of pairs) {
    for (const field of [pair.password, pair.salt]) {
      const { written } = encoder.encodeInto(field, bytes.subarray(at + 4));
      view.setUint32(at, written, true);
      at += 4 + written;
    }
  }
  return bytes;
}

function malformed(reason: string, details: Record<string, unknown> = {}): PdError {
  return new PdError('message-invalid', { reason: `pair blob: ${reason}`, ...details });
}

/**
 * Byte offsets of the pairs of a blob: offsets[i] is where pair i starts, offsets[n] the end.
 * Throws PdError 'message-invalid' unless the blob is exactly a sequence of well-formed pairs
 * (each field at most MAX_FIELD_BYTES), `expectedPairs` of them when given.
 */
export function pairOffsets(bytes: Uint8Array, expectedPairs?: number): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets = [0];
  let at = 0;
  while (at < bytes.byteLength) {
    for (let field = 0; field < 2; field++) {
      if (at + 4 > bytes.byteLength) throw malformed('truncated length', { at });
      const length = view.getUint32(at, true);
      if (length > MAX_FIELD_BYTES) throw malformed('field too long', { at, length });
      at += 4 + length;
      if (at > bytes.byteLength) throw malformed('truncated field', { at });
    }
    offsets.push(at);
  }
  const pairs = offsets.length - 1;
  if (expectedPairs !== undefined && pairs !== expectedPairs) {
    throw malformed('wrong number of pairs', { expected: expectedPairs, actual: pairs });
  }
  return offsets;
}

/** The pairs of a blob (throws like pairOffsets). */
export function decodePairs(bytes: Uint8Array): Pair[] {
  const offsets = pairOffsets(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const pairs: Pair[] = [];
  for (let i = 0; i + 1 < offsets.length; i++) {
    const pwAt = offsets[i] + 4;
    const pwEnd = pwAt + view.getUint32(offsets[i], true);
    const saltAt = pwEnd + 4;
    pairs.push({
      password: decoder.decode(bytes.subarray(pwAt, pwEnd)),
      salt: decoder.decode(bytes.subarray(saltAt, offsets[i + 1])),
    });
  }
  return pairs;
}
