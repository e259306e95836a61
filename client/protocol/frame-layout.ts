/**
 * The byte layout of one fragment on the wire (see frame.ts for how frames become fragments).
 * Every fragment starts with a fixed 20-byte header, big-endian (network order):
 *
 * | offset | size | field                                                                  |
 * |--------|------|------------------------------------------------------------------------|
 * | 0      | 1    | version, `FRAME_VERSION` (1)                                           |
 * | 1      | 1    | flags: bit 0 `FLAG_HAS_BODY`, bit 1 `FLAG_CANCEL`; other bits 0        |
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
 */

/** The fragment layout version this code writes and accepts. */
export const FRAME_VERSION = 1;
/** Bytes of the fixed header in front of every fragment. */
export const FRAGMENT_HEADER_BYTES = 20;
/** Flag: the frame has a body (possibly empty). */
export const FLAG_HAS_BODY = 1;
/** Flag: drop the partly received message with this id. */
export const FLAG_CANCEL = 2;
/** Every flag this version knows; any other bit means a layout this code cannot read. */
export const KNOWN_FLAGS = FLAG_HAS_BODY | FLAG_CANCEL;
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
