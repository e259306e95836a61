/**
 * Room ids and join tokens. A token is `<expirySeconds>.<base64url HMAC-SHA256>` over the
 * room id and the expiry, keyed with the server secret: the server keeps no list of rooms
 * or tokens, so a room survives a restart as long as the secret does.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Length of a generated room id. */
export const ROOM_ID_LENGTH = 10;

/** Default token lifetime: 24 h. */
export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 60 * 60;

/** Longest token lifetime a client may ask for: 7 days. */
export const MAX_TOKEN_TTL_SECONDS = 7 * 24 * 60 * 60;

/** A fresh URL-safe room id (60 random bits). */
export function generateRoomId(): string {
  return randomBytes(8).toString('base64url').slice(0, ROOM_ID_LENGTH);
}

// The domain tag keeps these MACs from ever being valid for another use of the same secret.
function sign(secret: Buffer, roomId: string, expirySeconds: number): Buffer {
  return createHmac('sha256', secret)
    .update(`processdistro-room-token-v1\n${roomId}\n${expirySeconds}`)
    .digest();
}

/** Issues a token for `roomId` that expires at `expiresAtMs` (rounded down to a second). */
export function createRoomToken(secret: Buffer, roomId: string, expiresAtMs: number): string {
  const expirySeconds = Math.floor(expiresAtMs / 1000);
  return `${expirySeconds}.${sign(secret, roomId, expirySeconds).toString('base64url')}`;
}

/** Outcome of checking a token. */
export type TokenCheck =
  { ok: true; expiresAt: number } | { ok: false; code: 'bad-token' | 'token-expired' };

/**
 * Checks that `token` was issued by this server for `roomId` and has not expired at
 * `nowMs`. The signature is checked first, so an edited expiry reads as forged, not expired.
 */
export function verifyRoomToken(
  secret: Buffer,
  roomId: string,
  token: string,
  nowMs: number,
): TokenCheck {
  const match = /^([1-9]\d{0,11})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return { ok: false, code: 'bad-token' };
  const expirySeconds = Number(match[1]);
  // Compare the text, not decoded bytes: the last base64url character carries two unused
  // bits, so several spellings decode alike and a tampered token could otherwise pass.
  const given = Buffer.from(match[2]!, 'ascii');
  const expected = Buffer.from(sign(secret, roomId, expirySeconds).toString('base64url'), 'ascii');
  if (!timingSafeEqual(given, expected)) return { ok: false, code: 'bad-token' };
  const expiresAt = expirySeconds * 1000;
  if (expiresAt <= nowMs) return { ok: false, code: 'token-expired' };
  return { ok: true, expiresAt };
}
