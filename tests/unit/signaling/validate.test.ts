import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseClientMessage, parseCreateRoomRequest } from '../../../signaling/validate.ts';
import { joinMessage } from './support/test-client.ts';

const join = joinMessage('room123456', '123.abc', 'peer-0001');

describe('parseClientMessage', () => {
  it('accepts every valid message and drops unknown keys', () => {
    for (const message of [
      join,
      { ...join, device: { cores: 8, memoryGiB: 4, userAgent: 'x', benchmark: 12.5 } },
      { type: 'signal', to: 'peer-0002', data: { candidate: 'c' } },
      { type: 'signal', to: 'peer-0002', data: null },
      { type: 'update', name: 'n' },
      { type: 'update' },
      { type: 'leave' },
      { ...join, hostToken: '123.abc' },
      { type: 'rotate-token' },
      { type: 'remove-member', peerId: 'peer-0002' },
    ]) {
      const parsed = parseClientMessage(JSON.stringify(message));
      assert.deepEqual(parsed, { ok: true, message }, JSON.stringify(message));
    }
    const extra = parseClientMessage(JSON.stringify({ type: 'leave', evil: true }));
    assert.deepEqual(extra, { ok: true, message: { type: 'leave' } });
  });

  it('tells malformed JSON from invalid messages', () => {
    const broken = parseClientMessage('{');
    assert.equal(broken.ok ? 'ok' : broken.code, 'bad-json');
    const invalid = [
      'null',
      '"join"',
      '{"type":"nope"}',
      JSON.stringify({ ...join, peerId: 'short' }),
      JSON.stringify({ ...join, peerId: 'has space in it' }),
      JSON.stringify({ ...join, peerId: 'x'.repeat(65) }),
      JSON.stringify({ ...join, room: '../..' }),
      JSON.stringify({ ...join, donatedCores: -1 }),
      JSON.stringify({ ...join, donatedCores: 1.5 }),
      JSON.stringify({ ...join, device: { cores: 2 } }),
      JSON.stringify({ ...join, name: 'x'.repeat(65) }),
      JSON.stringify({ type: 'signal', to: 'peer-0002' }),
      JSON.stringify({ type: 'update', donatedCores: '2' }),
      JSON.stringify({ ...join, hostToken: 'x'.repeat(257) }),
      JSON.stringify({ type: 'remove-member' }),
      JSON.stringify({ type: 'remove-member', peerId: 'short' }),
    ];
    for (const text of invalid) {
      const parsed = parseClientMessage(text);
      assert.equal(parsed.ok ? 'ok' : parsed.code, 'bad-message', text);
    }
  });
});

describe('parseCreateRoomRequest', () => {
  it('accepts an empty body or a TTL within 7 days', () => {
    assert.deepEqual(parseCreateRoomRequest(''), { ok: true, request: {} });
    assert.deepEqual(parseCreateRoomRequest('{"ttlSeconds":3600}'), {
      ok: true,
      request: { ttlSeconds: 3600 },
    });
    for (const body of ['{"ttlSeconds":0}', '{"ttlSeconds":604801}', '[', '{"ttlSeconds":1.5}']) {
      assert.equal(parseCreateRoomRequest(body).ok, false, body);
    }
  });
});
