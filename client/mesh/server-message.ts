/**
 * Validation of what the signaling server sends, on the client side: the server is a
 * network peer like any other, so its messages are checked before any logic sees them.
 */
import * as v from 'valibot';
import type { ServerMessage } from '../../signaling/protocol.ts';
import { PdError } from '../protocol/errors.ts';

const peerId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/));

const member = v.object({
  peerId,
  name: v.pipe(v.string(), v.maxLength(64)),
  device: v.object({
    cores: v.number(),
    memoryGiB: v.optional(v.number()),
    userAgent: v.pipe(v.string(), v.maxLength(512)),
    benchmark: v.optional(v.number()),
  }),
  donatedCores: v.number(),
  joinedAt: v.number(),
  host: v.optional(v.literal(true)),
});

const iceServer = v.object({
  urls: v.union([v.string(), v.array(v.string())]),
  username: v.optional(v.string()),
  credential: v.optional(v.string()),
});

const serverMessage = v.variant('type', [
  v.object({
    type: v.literal('welcome'),
    v: v.number(),
    room: v.string(),
    peerId,
    members: v.array(member),
    iceServers: v.array(iceServer),
    tokenExpiresAt: v.number(),
    // Older servers had no hosts: their members are not one.
    host: v.optional(v.boolean(), false),
  }),
  v.object({ type: v.literal('member-joined'), member }),
  v.object({ type: v.literal('member-updated'), member }),
  v.object({
    type: v.literal('member-left'),
    peerId,
    reason: v.picklist(['left', 'socket-closed', 'timeout', 'replaced', 'removed']),
  }),
  v.object({ type: v.literal('signal'), from: peerId, data: v.unknown() }),
  v.object({
    type: v.literal('room-token'),
    token: v.pipe(v.string(), v.maxLength(256)),
    expiresAt: v.number(),
  }),
  v.object({
    type: v.literal('error'),
    code: v.string(),
    message: v.string(),
    fatal: v.boolean(),
  }),
]);

/** Parses and validates one text frame from the server; throws PdError `message-invalid`. */
export function parseServerMessage(text: string): ServerMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PdError('message-invalid', 'server sent malformed JSON');
  }
  const result = v.safeParse(serverMessage, json);
  if (!result.success) throw new PdError('message-invalid', result.issues[0].message);
  return result.output as ServerMessage;
}
