import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  ROOM_ID_LENGTH,
  createHostToken,
  createRoomToken,
  generateRoomId,
  verifyHostToken,
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
      generation: 0,
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

describe('rotated room tokens', () => {
  it('carries its generation, and generation 0 is the token of a new room', () => {
    assert.equal(
      createRoomToken(secret, 'room1', inAnHour, 0),
      createRoomToken(secret, 'room1', inAnHour),
    );
    const third = createRoomToken(secret, 'room1', inAnHour, 3);
    assert.match(third, /^\d+\.3\.[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(verifyRoomToken(secret, 'room1', third, now), {
      ok: true,
      expiresAt: inAnHour,
      generation: 3,
    });
  });

  it('refuses a token whose generation was edited, added or dropped', () => {
    const third = createRoomToken(secret, 'room1', inAnHour, 3);
    const [expiry, , mac] = third.split('.');
    for (const forged of [`${expiry}.4.${mac}`, `${expiry}.${mac}`, `${expiry}.0.${mac}`]) {
      assert.deepEqual(verifyRoomToken(secret, 'room1', forged, now), {
        ok: false,
        code: 'bad-token',
      });
    }
    const [e0, mac0] = createRoomToken(secret, 'room1', inAnHour).split('.');
    assert.equal(verifyRoomToken(secret, 'room1', `${e0}.1.${mac0}`, now).ok, false);
  });
});

describe('host tokens', () => {
  it('are valid for their room until they expire', () => {
    const token = createHostToken(secret, 'room1', inAnHour);
    assert.deepEqual(verifyHostToken(secret, 'room1', token, now), {
      ok: true,
      expiresAt: inAnHour,
      generation: 0,
    });
    assert.equal(verifyHostToken(secret, 'room2', token, now).ok, false);
    assert.deepEqual(verifyHostToken(secret, 'room1', token, inAnHour), {
      ok: false,
      code: 'token-expired',
    });
    assert.equal(verifyHostToken(randomBytes(32), 'room1', token, now).ok, false);
  });

  it('never pass for join tokens, nor join tokens for host tokens', () => {
    const host = createHostToken(secret, 'room1', inAnHour);
    const join = createRoomToken(secret, 'room1', inAnHour);
    assert.notEqual(host, join);
    assert.deepEqual(verifyRoomToken(secret, 'room1', host, now), { ok: false, code: 'bad-token' });
    assert.deepEqual(verifyHostToken(secret, 'room1', join, now), { ok: false, code: 'bad-token' });
  });
});
