/**
 * The frame fuzzer's material: a corpus of valid frames cut into small fragments, the
 * mutations applied to them (bit flips, truncation, splices, wrong header fields, huge
 * lengths, shuffles, hostile JSON headers, packing with wrong flags), and helpers to measure
 * what the receiver holds. Used by frame-fuzz.test.ts.
 */
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { isPdError } from '../../../../client/protocol/errors.ts';
import {
  FRAGMENT_HEADER_BYTES,
  encodeCancelFragment,
  encodeFrame,
  type Frame,
} from '../../../../client/protocol/frame.ts';
import {
  FLAG_HAS_BODY,
  FLAG_PACKED,
  FRAME_VERSION,
  MAX_U32,
  writeFragmentHeader,
} from '../../../../client/protocol/frame-layout.ts';
import { parsePeerMessage } from '../../../../client/protocol/messages.ts';
import type { ChannelLike } from '../../../../client/mesh/framed-channel.ts';

export const SEED = 20_260_101;
export const INPUTS = 100_000;

/** Small limits, so that the fuzzer reaches them often. */
export const limits = { maxMessageBytes: 64 * 1024, maxPendingMessages: 16 };
export const maxPendingBytes = 2 * limits.maxMessageBytes;

/** Message ids of the valid frames that must get through; garbage lives elsewhere. */
export const CHECK_ID_BASE = 0xc0de_0000;

export function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 131 + seed * 7) & 0xff);
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Valid frames of the kinds peers exchange, encoded in small fragments: the seed corpus. */
export const corpusFrames: Frame[] = [
  { header: { type: 'heartbeat', v: 1, seq: 3, sentAt: 1234.5, queueLength: 2 } },
  { header: { type: 'heartbeat-ack', v: 1, seq: 3, echoSentAt: 1234.5 } },
  {
    header: {
      type: 'hello',
      v: 1,
      peerId: 'peer-a',
      name: 'Ada',
      device: { cores: 8, userAgent: 'fuzz' },
      donatedCores: 4,
    },
  },
  {
    header: { type: 'chunk-result', v: 1, jobId: 'job-1', chunkId: 7, moves: 1, computeMs: 3 },
    body: bytes(700, 1),
  },
  {
    header: { type: 'kernel-bytes', v: 1, sha256: 'ab'.repeat(32), bytes: 90 },
    body: bytes(90, 2),
  },
  { header: { type: 'x' }, body: new Uint8Array(0) },
  { header: { type: 'é🙂', nested: { a: [1, 'two', null] } } },
];
export const corpusSequences: Uint8Array[][] = corpusFrames.flatMap((frame, i) =>
  [24, 48, 100, 1000].map((size, j) => encodeFrame(frame, i * 4 + j, size)),
);
export const corpusFragments = corpusSequences.flat();
export const pick = <T>(list: readonly T[], n: number): T => list[n % list.length]!;

export const U32_EDGES = [
  0,
  1,
  2,
  3,
  19,
  20,
  21,
  255,
  256,
  65_535,
  65_536,
  65_537,
  131_072,
  0x7fff_ffff,
  0x8000_0000,
  MAX_U32 - 1,
  MAX_U32,
];
export const u32 = fc.oneof(
  fc.constantFrom(...U32_EDGES),
  fc.nat({ max: 64 }),
  fc.integer({ min: 0, max: MAX_U32 }),
);
/** Offset and width of each header field (frame-layout.ts). */
export const FIELDS = {
  version: [0, 1],
  flags: [1, 1],
  reserved: [2, 2],
  messageId: [4, 4],
  index: [8, 4],
  count: [12, 4],
  total: [16, 4],
} as const;
export type FieldName = keyof typeof FIELDS;

/** JSON header bytes a hostile peer might send inside a well-formed fragment. */
export const hostileJson = fc.oneof(
  fc.jsonValue().map((value) => utf8(JSON.stringify(value) ?? 'null')),
  fc
    .record({ type: fc.jsonValue(), rest: fc.dictionary(fc.string(), fc.jsonValue()) })
    .map(({ type, rest }) => utf8(JSON.stringify({ ...rest, type }))),
  fc
    .record({ type: fc.constantFrom('heartbeat', 'hello', 'chunk-assign', 'job-announce') })
    .chain((base) =>
      fc
        .dictionary(fc.string(), fc.jsonValue())
        .map((rest) => utf8(JSON.stringify({ ...rest, ...base }))),
    ),
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom(
    new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]), // not UTF-8
    new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]), // an encoded lone surrogate
    utf8(`{"type":"job-announce","params":${'['.repeat(5000)}${']'.repeat(5000)}}`),
    utf8('{"type":"x","__proto__":{"polluted":true}}'),
    utf8('{"type":1e999}'),
  ),
);

export type Mutation =
  | { kind: 'valid'; seq: number }
  | { kind: 'sequence'; seq: number; order: number[] }
  | { kind: 'flip'; src: number; bits: number[]; inHeader: boolean }
  | { kind: 'truncate'; src: number; at: number }
  | { kind: 'extend'; src: number; extra: Uint8Array }
  | { kind: 'splice'; a: number; b: number; cutA: number; cutB: number }
  | { kind: 'field'; src: number; field: FieldName; value: number }
  | { kind: 'huge'; src: number; total: number; count: number; index: number }
  | { kind: 'random'; bytes: Uint8Array }
  | { kind: 'cancel'; id: number; payload: Uint8Array }
  | {
      kind: 'logical';
      flags: number;
      headerLength: number | null;
      json: Uint8Array;
      body: Uint8Array;
    };

export const index = fc.nat({ max: 10_000 });
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('valid' as const), seq: index }),
  fc.record({
    kind: fc.constant('sequence' as const),
    seq: index,
    order: fc.array(fc.nat({ max: 40 }), { maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('flip' as const),
    src: index,
    bits: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
    inHeader: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('truncate' as const), src: index, at: fc.nat() }),
  fc.record({
    kind: fc.constant('extend' as const),
    src: index,
    extra: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  }),
  fc.record({
    kind: fc.constant('splice' as const),
    a: index,
    b: index,
    cutA: fc.nat(),
    cutB: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('field' as const),
    src: index,
    field: fc.constantFrom(...(Object.keys(FIELDS) as FieldName[])),
    value: u32,
  }),
  fc.record({
    kind: fc.constant('huge' as const),
    src: index,
    total: fc.constantFrom(
      MAX_U32,
      limits.maxMessageBytes,
      limits.maxMessageBytes + 1,
      maxPendingBytes,
      0x7fff_ffff,
    ),
    count: u32,
    index: fc.constantFrom(0, 0, 0, 1, 2),
  }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 120 }) }),
  fc.record({
    kind: fc.constant('cancel' as const),
    id: fc.nat({ max: 40 }),
    payload: fc.uint8Array({ maxLength: 2 }),
  }),
  fc.record({
    kind: fc.constant('logical' as const),
    flags: fc.constantFrom(0, FLAG_HAS_BODY, FLAG_HAS_BODY | FLAG_PACKED, 0xff),
    headerLength: fc.option(u32, { nil: null, freq: 3 }),
    json: hostileJson,
    body: fc.uint8Array({ maxLength: 16 }),
  }),
);

export function withField(fragment: Uint8Array, field: FieldName, value: number): Uint8Array {
  const out = fragment.slice();
  if (out.byteLength < FRAGMENT_HEADER_BYTES) return out;
  const [offset, width] = FIELDS[field];
  const view = new DataView(out.buffer);
  if (width === 1) view.setUint8(offset, value & 0xff);
  else if (width === 2) view.setUint16(offset, value & 0xffff);
  else view.setUint32(offset, value >>> 0);
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** The fragments one mutation stands for (fresh copies, except unmodified valid ones). */
export function fragmentsOf(m: Mutation): Uint8Array[] {
  switch (m.kind) {
    case 'valid':
      return pick(corpusSequences, m.seq);
    case 'sequence': {
      const sequence = pick(corpusSequences, m.seq);
      return m.order.map((i) => pick(sequence, i));
    }
    case 'flip': {
      const out = pick(corpusFragments, m.src).slice();
      const span = m.inHeader ? Math.min(out.byteLength, 24) : out.byteLength;
      for (const bit of m.bits) out[Math.floor(bit / 8) % span]! ^= 1 << (bit % 8);
      return [out];
    }
    case 'truncate': {
      const src = pick(corpusFragments, m.src);
      return [src.slice(0, m.at % src.byteLength)];
    }
    case 'extend':
      return [concat([pick(corpusFragments, m.src), m.extra])];
    case 'splice': {
      const a = pick(corpusFragments, m.a);
      const b = pick(corpusFragments, m.b);
      return [
        concat([a.subarray(0, m.cutA % (a.byteLength + 1)), b.subarray(m.cutB % b.byteLength)]),
      ];
    }
    case 'field':
      return [withField(pick(corpusFragments, m.src), m.field, m.value)];
    case 'huge': {
      let out = withField(pick(corpusFragments, m.src), 'total', m.total);
      out = withField(out, 'count', m.count);
      return [withField(out, 'index', m.index)];
    }
    case 'random':
      return [m.bytes];
    case 'cancel':
      return [concat([encodeCancelFragment(m.id), m.payload])];
    case 'logical': {
      const payload = new Uint8Array(4 + m.json.byteLength + m.body.byteLength);
      new DataView(payload.buffer).setUint32(0, m.headerLength ?? m.json.byteLength);
      payload.set(m.json, 4);
      payload.set(m.body, 4 + m.json.byteLength);
      const out = new Uint8Array(FRAGMENT_HEADER_BYTES + payload.byteLength);
      const total = payload.byteLength;
      writeFragmentHeader(out, {
        version: FRAME_VERSION,
        flags: m.flags,
        messageId: 77,
        index: 0,
        count: 1,
        total,
      });
      out.set(payload, FRAGMENT_HEADER_BYTES);
      return [out];
    }
  }
}

/** Whatever a garbage frame that happened to decode carries, validation rejects it in kind. */
export function assertValidatesInKind(frame: Frame): void {
  try {
    parsePeerMessage(frame.header);
  } catch (err) {
    assert.ok(isPdError(err), `parsePeerMessage threw a non-PdError: ${String(err)}`);
  }
}

/** Runs the garbage collector, so that heap figures mean what is still reachable. */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

export function retainedBytes(): number {
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** A receiving channel: FramedChannel needs one, the fuzzer never sends through it. */
export class SilentChannel implements ChannelLike {
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  send(): void {}
  addEventListener(): void {}
  removeEventListener(): void {}
}

export const checkFrame = (n: number): Frame => ({
  header: {
    type: 'chunk-result',
    v: 1,
    jobId: 'job-ok',
    chunkId: n % 1000,
    moves: 0,
    computeMs: 1,
  },
  body: bytes(2500 + (n % 50), n),
});
export const smallCheckFrame = (n: number): Frame => ({
  header: { type: 'heartbeat', v: 1, seq: n, sentAt: n / 3 },
});

/** The announced length of a fragment's logical message. */
export function frameTotal(fragment: Uint8Array): number {
  return new DataView(fragment.buffer, fragment.byteOffset).getUint32(16);
}
