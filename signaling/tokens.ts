/**
 * Room ids, join tokens and host tokens. A join token is `<expirySeconds>.<base64url MAC>`
 * (generation 0) or `<expirySeconds>.<generation>.<MAC>` (after the host rotated it): an
 * HMAC-SHA256 over the room id, the expiry and the generation, keyed with the server secret.
 * The server keeps no list of rooms or tokens, so a room survives a restart as long as the
 * secret does; only the generation a room has reached is stored (see room-records.ts).
 * A host token is the same shape under another domain tag, so neither can pass for the other.
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

// The domain tags keep these MACs from ever being valid for another use of the same secret.
// Generation 0 signs exactly what tokens did before generations existed, so old links work.
function signJoin(secret: Buffer, roomId: string, expirySeconds: number, generation: number) {
  const extra = generation === 0 ? '' : `\n${generation}`;
  return createHmac('sha256', secret)
    .update(`processdistro-room-token-v1\n${roomId}\n${expirySeconds}${extra}`)
    .digest('base64url');
}

function signHost(secret: Buffer, roomId: string, expirySeconds: number) {
  return createHmac('sha256', secret)
    .update(`processdistro-host-token-v1\n${roomId}\n${expirySeconds}`)
    .digest('base64url');
}

/**
 * Issues a join token for `roomId` that expires at `expiresAtMs` (rounded down to a second),
 * of `generation` (0 for a new room; each rotation adds one).
 */
export function createRoomToken(
  secret: Buffer,
  roomId: string,
  expiresAtMs: number,
  generation = 0,
): string {
  const expirySeconds = Math.floor(expiresAtMs / 1000);
  const mac = signJoin(secret, roomId, expirySeconds, generation);
  return generation === 0 ? `${expirySeconds}.${mac}` : `${expirySeconds}.${generation}.${mac}`;
}

/** Issues the host token of `roomId`, valid until `expiresAtMs` (rounded down to a second). */
export function createHostToken(secret: Buffer, roomId: string, expiresAtMs: number): string {
  const expirySeconds = Math.floor(expiresAtMs / 1000);
  return `${expirySeconds}.${signHost(secret, roomId, expirySeconds)}`;
}

/** Outcome of checking a token. */
export type TokenCheck =
  | { ok: true; expiresAt: number; generation: number }
  | { ok: false; code: 'bad-token' | 'token-expired' };

// Compare the text, not decoded bytes: the last base64url character carries two unused
// bits, so several spellings decode alike and a tampered token could otherwise pass.
function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'ascii');
  const b = Buffer.from(expected, 'ascii');
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkExpiry(expirySeconds: number, generation: number, nowMs: number): TokenCheck {
  const expiresAt = expirySeconds * 1000;
  if (expiresAt <= nowMs) return { ok: false, code: 'token-expired' };
  return { ok: true, expiresAt, generation };
}

/**
 * Checks that `token` was issued by this server for `roomId` and has not expired at
 * `nowMs`. The signature is checked first, so an edited expiry reads as forged, not expired.
 * Whether its generation is still current is the caller's question.
 */
export function verifyRoomToken(
  secret: Buffer,
  roomId: string,
  token: string,
  nowMs: number,
): TokenCheck {
  const match = /^([1-9]\d{0,11})\.(?:([1-9]\d{0,8})\.)?([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return { ok: false, code: 'bad-token' };
  const expirySeconds = Number(match[1]);
  const generation = match[2] === undefined ? 0 : Number(match[2]);
  if (!sameText(match[3]!, signJoin(secret, roomId, expirySeconds, generation))) {
    return { ok: false, code: 'bad-token' };
  }
  return checkExpiry(expirySeconds, generation, nowMs);
}

/** Checks a host token for `roomId` as {@link verifyRoomToken} checks a join token. */
export function verifyHostToken(
  secret: Buffer,
  roomId: string,
  token: string,
  nowMs: number,
): TokenCheck {
  const match = /^([1-9]\d{0,11})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return { ok: false, code: 'bad-token' };
  const expirySeconds = Number(match[1]);
  if (!sameText(match[2]!, signHost(secret, roomId, expirySeconds))) {
    return { ok: false, code: 'bad-token' };
  }
  return checkExpiry(expirySeconds, 0, nowMs);
}
