/**
 * Relayed frames: the fallback path for a pair of members whose data channel cannot open
 * (a strict firewall, mDNS that does not resolve). Such frames travel as binary WebSocket
 * messages through the signaling server, which forwards them only between members of one
 * room. Shared by the server and the client, so it must stay free of Node and DOM APIs.
 *
 * Layout: one byte `RELAY_FRAME_KIND`, one byte N, N bytes of the peer id (UTF-8), then the
 * payload. From a client the id names the member to deliver to; the server rewrites it to
 * the sender's id before forwarding, so the receiver learns who sent it from the server.
 */

/** First byte of every relayed frame (room for other binary kinds later). */
export const RELAY_FRAME_KIND = 0x01;

/** Payload bytes of one relayed frame at most: with its header, within the server's limit. */
export const RELAY_MAX_PAYLOAD_BYTES = 48 * 1024;

/**
 * Default byte budget of one connection's relayed frames (per second, and burst). Clients
 * pace themselves at `RELAY_CLIENT_BYTES_PER_SECOND`, half of it, so a healthy client never
 * meets the limit; the limit is there for clients that do not.
 */
export const RELAY_DEFAULT_RATE = { ratePerSecond: 4 * 1024 * 1024, burst: 4 * 1024 * 1024 };

/** What a client sends per second at most over the relay (all its relayed members together). */
export const RELAY_CLIENT_BYTES_PER_SECOND = 2 * 1024 * 1024;

/** Bytes a relayed frame costs beyond its length, so that floods of tiny frames cost too. */
export const RELAY_FRAME_OVERHEAD_BYTES = 256;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Builds a relayed frame addressed to (client → server) or from (server → client) `peerId`. */
export function encodeRelayFrame(peerId: string, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const id = encoder.encode(peerId);
  if (id.byteLength > 255) throw new RangeError('peer id longer than 255 bytes');
  const frame = new Uint8Array(2 + id.byteLength + payload.byteLength);
  frame[0] = RELAY_FRAME_KIND;
  frame[1] = id.byteLength;
  frame.set(id, 2);
  frame.set(payload, 2 + id.byteLength);
  return frame;
}

/** Reads a relayed frame; undefined when it is not one (wrong kind, truncated, bad UTF-8). */
export function decodeRelayFrame(
  frame: Uint8Array,
): { peerId: string; payload: Uint8Array } | undefined {
  if (frame.byteLength < 2 || frame[0] !== RELAY_FRAME_KIND) return undefined;
  const idEnd = 2 + frame[1]!;
  if (frame[1] === 0 || frame.byteLength < idEnd) return undefined;
  let peerId: string;
  try {
    peerId = decoder.decode(frame.subarray(2, idEnd));
  } catch {
    return undefined;
  }
  return { peerId, payload: frame.subarray(idEnd) };
}
