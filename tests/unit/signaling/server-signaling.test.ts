/**
 * The real server over real WebSockets on 127.0.0.1: joining, relaying, refusals, limits,
 * liveness and shutdown.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_SIGNAL_MESSAGE_BYTES } from '../../../signaling/protocol.ts';
import { SECRET_FILE } from '../../../signaling/server-secret.ts';
import { createRoomToken } from '../../../signaling/tokens.ts';
import { TestClient, joinMessage } from './support/test-client.ts';
import { createRoom, startTestServer, tempDir, type TestServer } from './support/test-server.ts';

describe('signaling over WebSocket', () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  const openClient = async (url = server.httpUrl) => {
    const client = await TestClient.open(url);
    clients.push(client);
    return client;
  };
  const joinClient = async (room: string, token: string, peerId: string) => {
    const client = await TestClient.join(server.httpUrl, room, token, peerId);
    clients.push(client);
    return client;
  };

  before(async () => {
    server = await startTestServer({ stunPort: 0 });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });

  it('introduces members of a room to each other and offers the host STUN service', async () => {
    const room = await createRoom(server.httpUrl);
    const alice = await openClient();
    alice.send(joinMessage(room.roomId, room.token, 'alice-0001'));
    const welcome = await alice.next('welcome');
    assert.deepEqual(welcome.members, []);
    assert.deepEqual(welcome.iceServers, [{ urls: `stun:127.0.0.1:${server.stunPort}` }]);
    assert.equal(welcome.tokenExpiresAt, room.expiresAt);
    const bob = await openClient();
    bob.send(joinMessage(room.roomId, room.token, 'bob-00000001'));
    const bobWelcome = await bob.next('welcome');
    assert.deepEqual(
      bobWelcome.members.map((m) => m.peerId),
      ['alice-0001'],
    );
    const joined = await alice.next('member-joined');
    assert.equal(joined.member.peerId, 'bob-00000001');
    assert.equal(joined.member.name, 'peer bob-00000001');
  });

  it('relays signals only between members of the same room', async () => {
    const roomA = await createRoom(server.httpUrl);
    const roomB = await createRoom(server.httpUrl);
    const a1 = await joinClient(roomA.roomId, roomA.token, 'relay-a1xx');
    const a2 = await joinClient(roomA.roomId, roomA.token, 'relay-a2xx');
    const b1 = await joinClient(roomB.roomId, roomB.token, 'relay-b1xx');
    a1.send({ type: 'signal', to: 'relay-a2xx', data: { type: 'offer', sdp: 'v=0' } });
    assert.deepEqual(await a2.next('signal'), {
      type: 'signal',
      from: 'relay-a1xx',
      data: { type: 'offer', sdp: 'v=0' },
    });
    b1.send({ type: 'signal', to: 'relay-a2xx', data: 'sneaky' });
    const refused = await b1.next('error');
    assert.equal(refused.code, 'unknown-peer');
    assert.equal(refused.fatal, false);
    await a2.expectNone('signal');
  });

  it('refuses forged and expired tokens with their codes and closes the socket', async () => {
    const room = await createRoom(server.httpUrl);
    const forged = await openClient();
    forged.send(joinMessage(room.roomId, `${room.token.slice(0, -2)}xx`, 'forger-001'));
    const error = await forged.next('error');
    assert.deepEqual([error.code, error.fatal], ['bad-token', true]);
    assert.equal(await forged.closed, 1008);

    const secret = Buffer.from(
      (await readFile(join(server.dataDir, SECRET_FILE), 'utf8')).trim(),
      'base64url',
    );
    const expiredToken = createRoomToken(secret, room.roomId, Date.now() - 1000);
    const late = await openClient();
    late.send(joinMessage(room.roomId, expiredToken, 'latecomer1'));
    assert.equal((await late.next('error')).code, 'token-expired');
    assert.equal(await late.closed, 1008);

    const otherRoom = await openClient();
    otherRoom.send(joinMessage('someOtherRoom', room.token, 'wrongroom1'));
    assert.equal((await otherRoom.next('error')).code, 'bad-token');
  });

  it('answers an oversized message with too-large, and closes with 1009 far past the limit', async () => {
    const room = await createRoom(server.httpUrl);
    const peer = await joinClient(room.roomId, room.token, 'bigsender1');
    const padding = 'x'.repeat(MAX_SIGNAL_MESSAGE_BYTES);
    peer.send({ type: 'signal', to: 'nobody-000', data: padding });
    const error = await peer.next('error');
    assert.deepEqual([error.code, error.fatal], ['too-large', false]);
    peer.send({ type: 'update', name: 'still here' });
    peer.send({ type: 'signal', to: 'nobody-000', data: 1 });
    assert.equal((await peer.next('error')).code, 'unknown-peer', 'the socket still works');

    const huge = await joinClient(room.roomId, room.token, 'hugesender');
    huge.send('x'.repeat(MAX_SIGNAL_MESSAGE_BYTES * 2));
    assert.equal(await huge.closed, 1009);
  });

  it('answers malformed JSON with bad-json and keeps the socket and other rooms working', async () => {
    const room = await createRoom(server.httpUrl);
    const other = await createRoom(server.httpUrl);
    const sender = await joinClient(room.roomId, room.token, 'garbage-01');
    const receiver = await joinClient(room.roomId, room.token, 'garbage-02');
    const elsewhere1 = await joinClient(other.roomId, other.token, 'elsewhere1');
    const elsewhere2 = await joinClient(other.roomId, other.token, 'elsewhere2');
    sender.send('{"type": "signal", ');
    assert.equal((await sender.next('error')).code, 'bad-json');
    sender.send({ type: 'signal', to: 'garbage-02' });
    assert.equal((await sender.next('error')).code, 'bad-message');
    sender.send({ type: 'signal', to: 'garbage-02', data: 'after garbage' });
    assert.equal((await receiver.next('signal')).data, 'after garbage');
    elsewhere1.send({ type: 'signal', to: 'elsewhere2', data: 'unaffected' });
    assert.equal((await elsewhere2.next('signal')).data, 'unaffected');
  });

  it('answers a first message that is not a join with not-joined', async () => {
    const client = await openClient();
    client.send({ type: 'signal', to: 'someone-01', data: 1 });
    const error = await client.next('error');
    assert.deepEqual([error.code, error.fatal], ['not-joined', false]);
  });

  it('lets a new socket take over a peer id: the old one is closed, the room sees an update', async () => {
    const room = await createRoom(server.httpUrl);
    const watcher = await joinClient(room.roomId, room.token, 'watcher-01');
    const first = await joinClient(room.roomId, room.token, 'reloader-1');
    await watcher.next('member-joined');
    const second = await joinClient(room.roomId, room.token, 'reloader-1');
    assert.deepEqual(await first.next('member-left'), {
      type: 'member-left',
      peerId: 'reloader-1',
      reason: 'replaced',
    });
    assert.equal(await first.closed, 4000);
    assert.equal((await watcher.next('member-updated')).member.peerId, 'reloader-1');
    await watcher.expectNone('member-left');
    second.send({ type: 'signal', to: 'watcher-01', data: 'from the new socket' });
    assert.equal((await watcher.next('signal')).data, 'from the new socket');
  });

  it('tells the room when a member leaves or its socket closes', async () => {
    const room = await createRoom(server.httpUrl);
    const stayer = await joinClient(room.roomId, room.token, 'stayer-001');
    const leaver = await joinClient(room.roomId, room.token, 'leaver-001');
    const closer = await joinClient(room.roomId, room.token, 'closer-001');
    leaver.send({ type: 'leave' });
    assert.equal(await leaver.closed, 1000);
    await closer.close();
    const reasons = [await stayer.next('member-left'), await stayer.next('member-left')];
    assert.deepEqual(reasons.map((m) => [m.peerId, m.reason]).sort(), [
      ['closer-001', 'socket-closed'],
      ['leaver-001', 'left'],
    ]);
  });

  it('reports rooms, members, joins, refusals, relays and errors in /metrics', async () => {
    const text = await (await fetch(`${server.httpUrl}metrics`)).text();
    const value = (pattern: string) => {
      const match = new RegExp(`^${pattern} (\\S+)$`, 'm').exec(text);
      assert.ok(match, `${pattern} missing from /metrics`);
      return Number(match[1]);
    };
    assert.equal(value('pd_rooms'), server.stats().rooms);
    assert.equal(value('pd_members'), server.stats().members);
    assert.ok(value('pd_members') >= 5);
    assert.ok(value('pd_joins_total') >= 10);
    assert.equal(value('pd_joins_refused_total\\{reason="bad-token"\\}'), 2);
    assert.equal(value('pd_joins_refused_total\\{reason="token-expired"\\}'), 1);
    assert.ok(value('pd_signal_messages_relayed_total') >= 4);
    assert.equal(value('pd_errors_total\\{code="bad-json"\\}'), 1);
    assert.equal(value('pd_errors_total\\{code="too-large"\\}'), 2, 'one answered, one cut');
    assert.match(text, /^process_cpu_user_seconds_total /m, 'default metrics are collected');
  });
});

describe('signaling limits and liveness', () => {
  it('rate-limits joins and messages per address', async (t) => {
    const server = await startTestServer({
      messageRate: { ratePerSecond: 1, burst: 8 },
      joinRate: { ratePerSecond: 0.01, burst: 2 },
    });
    t.after(() => server.close());
    const room = await createRoom(server.httpUrl);
    // All test sockets come from 127.0.0.1, so they share one bucket of each kind.
    const chatty = await TestClient.join(server.httpUrl, room.roomId, room.token, 'chatty-001');
    const second = await TestClient.join(server.httpUrl, room.roomId, room.token, 'second-001');
    t.after(() => Promise.all([chatty.close(), second.close()]));
    const third = await TestClient.open(server.httpUrl);
    third.send(joinMessage(room.roomId, room.token, 'third-0001'));
    const refused = await third.next('error');
    assert.deepEqual([refused.code, refused.fatal], ['rate-limited', true]);
    assert.equal(await third.closed, 1008);
    for (let i = 0; i < 8; i++) chatty.send({ type: 'update', name: `n${i}` });
    const limited = await chatty.next('error');
    assert.deepEqual([limited.code, limited.fatal], ['rate-limited', false]);
    assert.equal((await second.next('member-updated')).member.name, 'n0', 'the first ones passed');
  });

  it('drops a socket that stops answering pings and tells the room', async (t) => {
    const server = await startTestServer({ pingIntervalMs: 50 });
    t.after(() => server.close());
    const room = await createRoom(server.httpUrl);
    const healthy = await TestClient.join(server.httpUrl, room.roomId, room.token, 'healthy-01');
    // autoPong off: the socket stays open but never answers, like a phone gone to sleep.
    const silent = await TestClient.join(server.httpUrl, room.roomId, room.token, 'silent-001', {
      autoPong: false,
    });
    t.after(() => Promise.all([healthy.close(), silent.close()]));
    const left = await healthy.next('member-left', 1000);
    assert.deepEqual([left.peerId, left.reason], ['silent-001', 'timeout']);
    assert.equal(await silent.closed, 1006);
    assert.equal(server.stats().members, 1);
  });

  it('closes sockets with 1001 on shutdown', async () => {
    const server = await startTestServer();
    const room = await createRoom(server.httpUrl);
    const peer = await TestClient.join(server.httpUrl, room.roomId, room.token, 'goodbye-01');
    const idle = await TestClient.open(server.httpUrl);
    await server.close();
    assert.equal(await peer.closed, 1001);
    assert.equal(await idle.closed, 1001);
  });

  it('accepts a token issued before a restart with the same data directory', async (t) => {
    const dataDir = await tempDir();
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const first = await startTestServer({ dataDir });
    const room = await createRoom(first.httpUrl);
    await first.close();
    const restarted = await startTestServer({ dataDir });
    t.after(() => restarted.close());
    const peer = await TestClient.join(restarted.httpUrl, room.roomId, room.token, 'survivor-1');
    t.after(() => peer.close());
    assert.equal(restarted.stats().members, 1);
  });
});
