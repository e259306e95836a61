/**
 * The frame codec: how one peer message (a JSON header plus an optional binary body) travels
 * over a data channel whose messages are capped at `maxMessageSize` bytes. Realm-neutral (no
 * DOM, no Node APIs) so that browsers, workers and Node peers share it. A frame becomes one
 * logical message cut into fragments; frame-layout.ts documents the bytes, frame-assembler.ts
 * puts fragments back together.
 */
import { PdError } from './errors.ts';
import {
  FLAG_CANCEL,
  FLAG_HAS_BODY,
  FRAGMENT_HEADER_BYTES,
  FRAME_VERSION,
  MAX_U32,
  writeFragmentHeader,
} from './frame-layout.ts';

export { FrameAssembler, type FrameAssemblerLimits } from './frame-assembler.ts';
export { FRAGMENT_HEADER_BYTES, packedFragmentLength } from './frame-layout.ts';

/** The JSON part of a frame; `type` selects the schema the message layer validates it with. */
export interface FrameHeader {
  type: string;
  [key: string]: unknown;
}

/** One peer message. A decoded body may be a view into a received fragment (no copy). */
export interface Frame {
  header: FrameHeader;
  body?: Uint8Array;
}

/**
 * The fragments of one encoded frame, produced on demand: a sender of a 20 MiB body then holds
 * only what the channel has not yet taken, instead of a second copy of the whole body.
 */
export interface FrameFragments {
  readonly messageId: number;
  /** How many fragments the frame takes; 1 for every frame that fits. */
  readonly count: number;
  /** Bytes of the logical message (a single fragment is this plus its header). */
  readonly total: number;
  /** Encodes fragment `index` (0 ≤ index < count); each call copies its slice once. */
  fragment(index: number): Uint8Array<ArrayBuffer>;
}

const encoder = new TextEncoder();
const empty = new Uint8Array(0);

/**
 * Prepares `frame` for sending as message `messageId` in fragments of at most
 * `maxFragmentBytes` bytes (fragment header included). The header is serialised now, so one
 * that cannot be (a BigInt, a cycle) throws here rather than halfway through a send; the body
 * is read lazily, so it must not change until every fragment has been taken.
 */
export function fragmentFrame(
  frame: Frame,
  messageId: number,
  maxFragmentBytes: number,
): FrameFragments {
  if (!Number.isInteger(messageId) || messageId < 0 || messageId > MAX_U32) {
    throw new RangeError(`message id ${messageId} is not a u32`);
  }
  if (!Number.isInteger(maxFragmentBytes) || maxFragmentBytes <= FRAGMENT_HEADER_BYTES) {
    throw new RangeError(`maxFragmentBytes must be an integer above ${FRAGMENT_HEADER_BYTES}`);
  }
  // The receiver would reject it anyway; failing here points at the sender's bug instead.
  if (typeof frame.header?.type !== 'string') throw new PdError('frame-bad-header', 'no type');
  const json = JSON.stringify(frame.header);
  // UTF-8 takes at most 3 bytes per UTF-16 code unit, so this buffer always suffices.
  const prefixBuffer = new Uint8Array(4 + json.length * 3);
  const { written } = encoder.encodeInto(json, prefixBuffer.subarray(4));
  const prefix = prefixBuffer.subarray(0, 4 + written);
  new DataView(prefix.buffer).setUint32(0, written);

  const body = frame.body ?? empty;
  const total = prefix.byteLength + body.byteLength;
  if (total > MAX_U32) throw new RangeError(`a frame of ${total} bytes exceeds the u32 length`);
  const perFragment = maxFragmentBytes - FRAGMENT_HEADER_BYTES;
  const count = Math.ceil(total / perFragment);
  const flags = frame.body === undefined ? 0 : FLAG_HAS_BODY;

  return {
    messageId,
    count,
    total,
    fragment(index: number): Uint8Array<ArrayBuffer> {
      if (!Number.isInteger(index) || index < 0 || index >= count) {
        throw new RangeError(`fragment ${index} of ${count}`);
      }
      const start = index * perFragment;
      const end = Math.min(total, start + perFragment);
      const out = new Uint8Array(FRAGMENT_HEADER_BYTES + end - start);
      writeFragmentHeader(out, { version: FRAME_VERSION, flags, messageId, index, count, total });
      // The logical message is never materialised: copy straight from the prefix and the body.
      let at = FRAGMENT_HEADER_BYTES;
      let pos = start;
      if (pos < prefix.byteLength) {
        const stop = Math.min(end, prefix.byteLength);
        out.set(prefix.subarray(pos, stop), at);
        at += stop - pos;
        pos = stop;
      }
      if (pos < end) {
        out.set(body.subarray(pos - prefix.byteLength, end - prefix.byteLength), at);
      }
      return out;
    },
  };
}

/**
 * Encodes `frame` as message `messageId` into fragments of at most `maxFragmentBytes` bytes.
 * A frame that fits is one fragment, built with a single copy of its body.
 */
export function encodeFrame(
  frame: Frame,
  messageId: number,
  maxFragmentBytes: number,
): Uint8Array<ArrayBuffer>[] {
  const fragments = fragmentFrame(frame, messageId, maxFragmentBytes);
  return Array.from({ length: fragments.count }, (_, index) => fragments.fragment(index));
}

/** The fragment telling the receiver to forget the partly sent message `messageId`. */
export function encodeCancelFragment(messageId: number): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(messageId) || messageId < 0 || messageId > MAX_U32) {
    throw new RangeError(`message id ${messageId} is not a u32`);
  }
  const out = new Uint8Array(FRAGMENT_HEADER_BYTES);
  const header = { version: FRAME_VERSION, flags: FLAG_CANCEL, messageId, index: 0, count: 0 };
  writeFragmentHeader(out, { ...header, total: 0 });
  return out;
}
