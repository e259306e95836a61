import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RATE_STRIKES, SignalingHub, type HubOptions } from '../../../signaling/hub.ts';
import { CloseCode } from '../../../signaling/connection.ts';
import { createMetrics } from '../../../signaling/metrics.ts';
import { MAX_SIGNAL_MESSAGE_BYTES } from '../../../signaling/protocol.ts';
import { createRoomToken } from '../../../signaling/tokens.ts';
import { FakeConnection } from './support/fake-connection.ts';
import { joinMessage } from './support/test-client.ts';

const secret = randomBytes(32);
const NOW = Date.UTC(2030, 0, 1);

function setup(overrides: Partial<HubOptions> = {}) {
  // The gauges read the hub lazily, at scrape time, after it exists.
  const metrics = createMetrics({
    rooms: () => hub.roomCount(),
    members: () => hub.memberCount(),
  });
  const hub: SignalingHub = new SignalingHub({
    secret,
    maxMembersPerRoom: 3,
    maxConnectionsPerAddress: 100,
    connectionMessageRate: { ratePerSecond: 1000, burst: 1000 },
    messageRate: { ratePerSecond: 1000, burst: 1000 },
    joinRate: { ratePerSecond: 1000, burst: 1000 },
    metrics,
    iceServersFor: (conn) => [{ urls: `stun:${conn.hostname}:3478` }],
    now: () => NOW,
    ...overrides,
  });
  const token = (room: string, expiresAt = NOW + 60_000) =>
    createRoomToken(secret, room, expiresAt);
  const send = (conn: FakeConnection, message: unknown) =>
    hub.receive(conn, Buffer.from(typeof message === 'string' ? message : JSON.stringify(message)));
  const join = (conn: FakeConnection, room: string, peerId: string, tok = token(room)) =>
    send(conn, joinMessage(room, tok, peerId));
  return { hub, metrics, token, send, join };
}

describe('SignalingHub', () => {
  it('welcomes a member with the others, ICE servers and token expiry, and tells the others', () => {
    const { hub, join } = setup();
    const a = new FakeConnection();
    const b = new FakeConnection('10.0.0.2', 'other.test');
    join(a, 'room1', 'peer-aaaa');
    const welcomeA = a.take();
    assert.equal(welcomeA.length, 1);
    assert.deepEqual(welcomeA[0], {
      type: 'welcome',
      v: 1,
      room: 'room1',
      peerId: 'peer-aaaa',
      members: [],
      iceServers: [{ urls: 'stun:host.test:3478' }],
      tokenExpiresAt: NOW + 60_000,
      host: false,
    });
    join(b, 'room1', 'peer-bbbb');
    const [welcomeB] = b.take();
    assert.equal(welcomeB?.type === 'welcome' && welcomeB.members[0]?.peerId, 'peer-aaaa');
    assert.equal(
      welcomeB?.type === 'welcome' && welcomeB.iceServers[0]?.urls,
      'stun:other.test:3478',
    );
    const [joined] = a.take();
    assert.equal(joined?.type === 'member-joined' && joined.member.peerId, 'peer-bbbb');
    assert.equal(hub.memberCount(), 2);
  });

  it('relays signals within a room only', () => {
    const { send, join } = setup();
    const [a, b, c] = [new FakeConnection(), new FakeConnection(), new FakeConnection()];
    join(a, 'room1', 'peer-aaaa');
    join(b, 'room1', 'peer-bbbb');
    join(c, 'room2', 'peer-cccc');
    [a, b, c].forEach((conn) => conn.take());
    send(a, { type: 'signal', to: 'peer-bbbb', data: { sdp: 'x' } });
    assert.deepEqual(b.take(), [{ type: 'signal', from: 'peer-aaaa', data: { sdp: 'x' } }]);
    send(c, { type: 'signal', to: 'peer-aaaa', data: 1 });
    assert.deepEqual(c.takeTypes(), ['error:unknown-peer']);
    assert.deepEqual(a.take(), []);
    assert.equal(c.closedWith, undefined, 'unknown-peer is not fatal');
  });

  it('replaces a member that joins again under the same id, without a leave', () => {
    const { hub, join } = setup();
    const [old, other, fresh] = [new FakeConnection(), new FakeConnection(), new FakeConnection()];
    join(old, 'room1', 'peer-aaaa');
    join(other, 'room1', 'peer-bbbb');
    [old, other].forEach((conn) => conn.take());
    join(fresh, 'room1', 'peer-aaaa');
    assert.deepEqual(fresh.takeTypes(), ['welcome']);
    assert.deepEqual(old.take(), [
      { type: 'member-left', peerId: 'peer-aaaa', reason: 'replaced' },
    ]);
    assert.deepEqual(old.closedWith, { code: CloseCode.replaced, reason: 'replaced' });
    assert.deepEqual(other.takeTypes(), ['member-updated']);
    hub.disconnect(old, 'socket-closed');
    assert.deepEqual(other.take(), [], 'the late close of the old socket changes nothing');
    assert.equal(hub.memberCount(), 2);
  });

  it('tells the room when a member leaves or its socket dies', () => {
    const { hub, send, join } = setup();
    const [a, b, c] = [new FakeConnection(), new FakeConnection(), new FakeConnection()];
    join(a, 'room1', 'peer-aaaa');
    join(b, 'room1', 'peer-bbbb');
    join(c, 'room1', 'peer-cccc');
    [a, b, c].forEach((conn) => conn.take());
    send(b, { type: 'leave' });
    assert.deepEqual(b.closedWith?.code, CloseCode.normal);
    assert.deepEqual(a.take(), [{ type: 'member-left', peerId: 'peer-bbbb', reason: 'left' }]);
    hub.disconnect(c, 'timeout');
    assert.deepEqual(a.take(), [{ type: 'member-left', peerId: 'peer-cccc', reason: 'timeout' }]);
    assert.equal(hub.memberCount(), 1);
  });

  it('broadcasts updates', () => {
    const { send, join } = setup();
    const [a, b] = [new FakeConnection(), new FakeConnection()];
    join(a, 'room1', 'peer-aaaa');
    join(b, 'room1', 'peer-bbbb');
    [a, b].forEach((conn) => conn.take());
    send(a, { type: 'update', donatedCores: 0 });
    const [update] = b.take();
    assert.equal(update?.type === 'member-updated' && update.member.donatedCores, 0);
    assert.deepEqual(a.take(), []);
  });

  it('refuses bad joins with the right code, closes the socket and counts them', async () => {
    const { hub, metrics, send, join, token } = setup();
    const cases: [string, (conn: FakeConnection) => void][] = [
      ['bad-token', (conn) => join(conn, 'room1', 'peer-aaaa', token('room2'))],
      ['token-expired', (conn) => join(conn, 'room1', 'peer-aaaa', token('room1', NOW - 1))],
      [
        'bad-version',
        (conn) => send(conn, { ...joinMessage('room1', token('room1'), 'peer-aaaa'), v: 99 }),
      ],
    ];
    for (const [code, act] of cases) {
      const conn = new FakeConnection();
      act(conn);
      assert.deepEqual(conn.takeTypes(), [`error:${code}`], code);
      assert.equal(conn.closedWith?.code, CloseCode.policyViolation);
    }
    for (const id of ['peer-1111', 'peer-2222', 'peer-3333'])
      join(new FakeConnection(), 'full', id);
    const late = new FakeConnection();
    join(late, 'full', 'peer-4444');
    assert.deepEqual(late.takeTypes(), ['error:room-full']);
    assert.equal(hub.memberCount(), 3);
    const text = await metrics.render();
    assert.match(text, /pd_joins_refused_total\{reason="bad-token"\} 1/);
    assert.match(text, /pd_joins_refused_total\{reason="room-full"\} 1/);
    assert.match(text, /pd_joins_total 3/);
  });

  it('answers frames it cannot use and keeps the session', () => {
    const { send, join, hub } = setup();
    const conn = new FakeConnection();
    send(conn, { type: 'signal', to: 'peer-bbbb', data: 1 });
    assert.deepEqual(conn.takeTypes(), ['error:not-joined']);
    join(conn, 'room1', 'peer-aaaa');
    conn.take();
    send(conn, '{not json');
    send(conn, { type: 'signal', to: 'x', data: 1 });
    send(conn, { type: 'teleport' });
    send(conn, [1, 2]);
    join(conn, 'room1', 'peer-aaaa');
    hub.receive(conn, Buffer.alloc(MAX_SIGNAL_MESSAGE_BYTES + 1, 0x20));
    hub.receive(conn, Buffer.from('{}'), true);
    assert.deepEqual(conn.takeTypes(), [
      'error:bad-json',
      'error:bad-message',
      'error:bad-message',
      'error:bad-message',
      'error:already-joined',
      'error:too-large',
      'error:bad-message',
    ]);
    assert.equal(conn.closedWith, undefined);
    assert.equal(hub.isJoined(conn), true);
  });

  it('rate-limits frames and joins per address', () => {
    const { send, join } = setup({
      messageRate: { ratePerSecond: 1, burst: 3 },
      joinRate: { ratePerSecond: 1, burst: 1 },
    });
    const a = new FakeConnection('10.0.0.9');
    join(a, 'room1', 'peer-aaaa');
    a.take();
    send(a, { type: 'update', name: 'x' });
    send(a, { type: 'update', name: 'y' });
    send(a, { type: 'update', name: 'z' });
    assert.deepEqual(a.takeTypes(), ['error:rate-limited']);
    const sameAddress = new FakeConnection('10.0.0.9');
    join(sameAddress, 'room1', 'peer-bbbb');
    assert.deepEqual(sameAddress.takeTypes(), ['error:rate-limited']);
    const otherAddress = new FakeConnection('10.0.0.10');
    join(otherAddress, 'room1', 'peer-cccc');
    assert.deepEqual(otherAddress.takeTypes(), ['welcome']);
  });

  it('closes a connection that never joined, not one that did', () => {
    const { hub, join } = setup();
    const idle = new FakeConnection();
    hub.expireUnjoined(idle);
    assert.deepEqual(idle.takeTypes(), ['error:not-joined']);
    assert.equal(idle.closedWith?.code, CloseCode.policyViolation);
    const member = new FakeConnection();
    join(member, 'room1', 'peer-aaaa');
    member.take();
    hub.expireUnjoined(member);
    assert.deepEqual(member.take(), []);
  });

  it('limits the sockets of one address and counts closed ones out', () => {
    const { hub } = setup({ maxConnectionsPerAddress: 2 });
    const [a, b, c] = [1, 2, 3].map(() => new FakeConnection('10.0.0.5'));
    assert.equal(hub.connect(a!), true);
    assert.equal(hub.connect(b!), true);
    assert.equal(hub.connect(c!), false);
    assert.deepEqual(c!.takeTypes(), ['error:too-many-connections']);
    assert.equal(c!.closedWith?.code, CloseCode.policyViolation);
    assert.equal(hub.connect(new FakeConnection('10.0.0.6')), true, 'other addresses are free');
    hub.disconnect(a!, 'socket-closed');
    hub.disconnect(c!, 'socket-closed'); // never admitted: must not free a place
    assert.equal(hub.connect(new FakeConnection('10.0.0.5')), true);
    assert.equal(hub.connect(new FakeConnection('10.0.0.5')), false);
  });

  it('limits frames per connection, and closes one that keeps going after the warnings', () => {
    let now = NOW;
    const { hub, send, join } = setup({
      connectionMessageRate: { ratePerSecond: 1, burst: 2 },
      now: () => now,
    });
    const chatty = new FakeConnection('10.0.0.7');
    const neighbour = new FakeConnection('10.0.0.7');
    join(chatty, 'room1', 'peer-aaaa');
    join(neighbour, 'room1', 'peer-bbbb');
    chatty.take();
    send(chatty, { type: 'update', name: 'x' });
    send(chatty, { type: 'update', name: 'x2' });
    assert.deepEqual(chatty.takeTypes(), ['error:rate-limited'], 'the join took one token');
    send(neighbour, { type: 'update', name: 'y' });
    assert.deepEqual(chatty.takeTypes(), ['member-updated'], 'the neighbour has its own bucket');
    now += 1000;
    send(chatty, { type: 'update', name: 'z' });
    assert.deepEqual(chatty.takeTypes(), [], 'refilled');
    for (let i = 0; i < RATE_STRIKES.burst; i++) send(chatty, { type: 'update', name: 'f' });
    assert.equal(chatty.closedWith === undefined, true, 'warned, not yet closed');
    send(chatty, { type: 'update', name: 'f' });
    const last = chatty.sent.at(-1);
    assert.ok(last?.type === 'error' && last.fatal && last.code === 'rate-limited');
    assert.equal(chatty.closedWith?.code, CloseCode.policyViolation);
    hub.disconnect(chatty, 'socket-closed');
    assert.equal(hub.memberCount(), 1);
  });
});
