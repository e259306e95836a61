import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  ROOM_ID_LENGTH,
  createRoomToken,
  generateRoomId,
  verifyRoomToken,
} from '../../../signaling/tokens.ts';

const secret = randomBytes(32);
const now = Date.UTC(2030, 0, 1);
const inAnHour = now + 3600_000;

describe('room tokens', () => {
  it('generates distinct URL-safe room ids', () => {
    const ids = new Set(Array.from({ length: 200 }, generateRoomId));
    assert.equal(ids.size, 200);
    for (const id of ids) assert.match(id, new RegExp(`^[A-Za-z0-9_-]{${ROOM_ID_LENGTH}}$`));
  });

  it('accepts a valid token and reports its expiry', () => {
    const token = createRoomToken(secret, 'room1', inAnHour + 999);
    assert.deepEqual(verifyRoomToken(secret, 'room1', token, now), {
      ok: true,
      expiresAt: inAnHour,
    });
  });

  it('refuses a token made with another secret', () => {
    const forged = createRoomToken(randomBytes(32), 'room1', inAnHour);
    assert.deepEqual(verifyRoomToken(secret, 'room1', forged, now), {
      ok: false,
      code: 'bad-token',
    });
  });

  it('refuses a token for another room', () => {
    const token = createRoomToken(secret, 'room1', inAnHour);
    assert.deepEqual(verifyRoomToken(secret, 'room2', token, now), {
      ok: false,
      code: 'bad-token',
    });
  });

  it('reports an expired token as expired', () => {
    const token = createRoomToken(secret, 'room1', now - 1000);
    assert.deepEqual(verifyRoomToken(secret, 'room1', token, now), {
      ok: false,
      code: 'token-expired',
    });
    const justNow = createRoomToken(secret, 'room1', now);
    assert.equal(verifyRoomToken(secret, 'room1', justNow, now).ok, false);
  });

  it('refuses a tampered expiry as forged, not as expired or valid', () => {
    const token = createRoomToken(secret, 'room1', now - 1000);
    const [, mac] = token.split('.');
    const extended = `${Math.floor(inAnHour / 1000)}.${mac}`;
    assert.deepEqual(verifyRoomToken(secret, 'room1', extended, now), {
      ok: false,
      code: 'bad-token',
    });
  });

  it('refuses every single-character change of the signature', () => {
    const token = createRoomToken(secret, 'room1', inAnHour);
    const dot = token.indexOf('.');
    for (let i = dot + 1; i < token.length; i++) {
      const changed = token[i] === 'A' ? 'B' : 'A';
      const tampered = `${token.slice(0, i)}${changed}${token.slice(i + 1)}`;
      assert.equal(verifyRoomToken(secret, 'room1', tampered, now).ok, false, tampered);
    }
  });

  it('refuses malformed tokens', () => {
    const token = createRoomToken(secret, 'room1', inAnHour);
    for (const bad of ['', '.', 'abc', token.slice(0, -1), `${token}A`, `0${token}`, ` ${token}`]) {
      assert.deepEqual(verifyRoomToken(secret, 'room1', bad, now), {
        ok: false,
        code: 'bad-token',
      });
    }
  });
});
