/**
 * The byte layout of one fragment on the wire (see frame.ts for how frames become fragments).
 * Every fragment starts with a fixed 20-byte header, big-endian (network order):
 *
 * | offset | size | field                                                                  |
 * |--------|------|------------------------------------------------------------------------|
 * | 0      | 1    | version, `FRAME_VERSION` (1)                                           |
 * | 1      | 1    | flags: bit 0 `FLAG_HAS_BODY`, bit 1 `FLAG_CANCEL`, bit 2 `FLAG_PACKED`;  |
 * |        |      | other bits 0                                                           |
 * | 2      | 2    | reserved, 0 (keeps the u32 fields aligned)                             |
 * | 4      | 4    | message id (the sender's counter, wraps at 2^32)                       |
 * | 8      | 4    | fragment index, 0-based                                                |
 * | 12     | 4    | fragment count, at least 1                                             |
 * | 16     | 4    | length of the whole logical message, so the receiver can refuse early  |
 * | 20     | ...  | this fragment's slice of the logical message, never empty              |
 *
 * The logical message is `u32 headerLength | header as UTF-8 JSON | body`. `FLAG_HAS_BODY` tells
 * an absent body from an empty one. A `FLAG_CANCEL` fragment (index, count and length 0, no
 * payload) tells the receiver to drop a partly sent message whose sender gave up, so that
 * aborted sends leave no pending state behind.
 *
 * Packing: one data-channel message may carry several whole single-fragment frames back to
 * back (a sender packs the small frames it has queued, since each message costs a WebRTC
 * stack far more than its bytes). Every fragment but the last of such a message has
 * `FLAG_PACKED` set; it must be a whole frame (index 0, count 1), so its length is
 * `20 + total`, which is where the next fragment starts.
 */
import { PdError } from './errors.ts';

/** The fragment layout version this code writes and accepts. */
export const FRAME_VERSION = 1;
/** Bytes of the fixed header in front of every fragment. */
export const FRAGMENT_HEADER_BYTES = 20;
/** Flag: the frame has a body (possibly empty). */
export const FLAG_HAS_BODY = 1;
/** Flag: drop the partly received message with this id. */
export const FLAG_CANCEL = 2;
/** Flag: another fragment follows this one (a whole frame) in the same channel message. */
export const FLAG_PACKED = 4;
/** Every flag this version knows; any other bit means a layout this code cannot read. */
export const KNOWN_FLAGS = FLAG_HAS_BODY | FLAG_CANCEL | FLAG_PACKED;
/** Largest value of a u32 field (message id, lengths). */
export const MAX_U32 = 0xffff_ffff;

/** The fields of a fragment header, as read (not yet checked beyond their widths). */
export interface FragmentHeader {
  version: number;
  flags: number;
  reserved: number;
  messageId: number;
  index: number;
  count: number;
  /** Length of the whole logical message. */
  total: number;
}

/** Writes `header` into the first `FRAGMENT_HEADER_BYTES` bytes of `out`. */
export function writeFragmentHeader(
  out: Uint8Array,
  header: Omit<FragmentHeader, 'reserved'>,
): void {
  const view = new DataView(out.buffer, out.byteOffset, FRAGMENT_HEADER_BYTES);
  view.setUint8(0, header.version);
  view.setUint8(1, header.flags);
  view.setUint16(2, 0);
  view.setUint32(4, header.messageId);
  view.setUint32(8, header.index);
  view.setUint32(12, header.count);
  view.setUint32(16, header.total);
}

/** Reads the header of `fragment`, which must hold at least `FRAGMENT_HEADER_BYTES` bytes. */
export function readFragmentHeader(fragment: Uint8Array): FragmentHeader {
  const view = new DataView(fragment.buffer, fragment.byteOffset, FRAGMENT_HEADER_BYTES);
  return {
    version: view.getUint8(0),
    flags: view.getUint8(1),
    reserved: view.getUint16(2),
    messageId: view.getUint32(4),
    index: view.getUint32(8),
    count: view.getUint32(12),
    total: view.getUint32(16),
  };
}

/**
 * The length of the fragment at `offset` of a channel message that may pack several: the rest
 * of the message, unless the fragment is flagged `FLAG_PACKED`. Throws PdError
 * 'frame-bad-fragment' when a packed fragment is not a whole frame or overruns the message
 * (then nothing after it can be found).
 */
export function packedFragmentLength(message: Uint8Array, offset: number): number {
  const rest = message.byteLength - offset;
  if (rest < FRAGMENT_HEADER_BYTES) return rest; // too short: the assembler says so
  const view = new DataView(message.buffer, message.byteOffset + offset, FRAGMENT_HEADER_BYTES);
  if ((view.getUint8(1) & FLAG_PACKED) === 0) return rest;
  const index = view.getUint32(8);
  const count = view.getUint32(12);
  const length = FRAGMENT_HEADER_BYTES + view.getUint32(16);
  if (index !== 0 || count !== 1 || length > rest) {
    throw new PdError('frame-bad-fragment', {
      reason: 'a packed fragment must be a whole frame within its message',
      index,
      count,
      length,
      rest,
    });
  }
  return length;
}
