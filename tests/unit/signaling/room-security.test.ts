/**
 * Room security on the real server over real WebSockets on 127.0.0.1: the host token, token
 * rotation, removing a member, the Origin check, and the per-room, per-address and
 * per-connection limits.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { WebSocket } from 'ws';
import type { CreateRoomResponse } from '../../../signaling/protocol.ts';
import { TestClient, joinMessage } from './support/test-client.ts';
import { startTestServer, tempDir, type TestServer } from './support/test-server.ts';

/** `POST /api/rooms` with the whole answer and the cookie it sets. */
async function createHostedRoom(
  server: TestServer,
): Promise<CreateRoomResponse & { cookie: string }> {
  const res = await fetch(`${server.httpUrl}api/rooms`, { method: 'POST' });
  assert.equal(res.status, 201);
  const cookie = res.headers.get('set-cookie') ?? '';
  return { ...((await res.json()) as CreateRoomResponse), cookie };
}

/** Joins as the host by sending the host token in the join. */
async function joinAsHost(server: TestServer, room: CreateRoomResponse, peerId: string) {
  const host = await TestClient.open(server.httpUrl);
  host.send({ ...joinMessage(room.roomId, room.token, peerId), hostToken: room.hostToken });
  const welcome = await host.next('welcome');
  assert.equal(welcome.host, true);
  return host;
}

/** Opens a socket with an Origin header; resolves with the HTTP status of a refusal, or 101. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}ws`, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

describe('room security', () => {
  it('gives the creator a host token (also as an HttpOnly cookie for /ws) that makes it host', async (t) => {
    const server = await startTestServer();
    t.after(() => server.close());
    const room = await createHostedRoom(server);
    assert.match(room.hostToken, /^\d+\.[A-Za-z0-9_-]{43}$/);
    assert.ok(!room.link.includes(room.hostToken), 'the host token is in no link');
    assert.ok(!room.links.some((l) => l.includes(room.hostToken)));
    assert.match(
      room.cookie,
      new RegExp(`^pd-host-${room.roomId}=${room.hostToken.replace('.', '\\.')};`),
    );
    assert.match(room.cookie, /Path=\/ws/);
    assert.match(room.cookie, /HttpOnly/);
    assert.match(room.cookie, /SameSite=Strict/);

    // The browser sends the cookie back on the upgrade: that member is the host.
    const host = await TestClient.open(server.httpUrl, {
      headers: { cookie: room.cookie.split(';')[0]! },
    });
    t.after(() => host.close());
    host.send(joinMessage(room.roomId, room.token, 'host-00001'));
    assert.equal((await host.next('welcome')).host, true);
    const guest = await TestClient.join(server.httpUrl, room.roomId, room.token, 'guest-0001');
    t.after(() => guest.close());
    const joined = await host.next('member-joined');
    assert.equal(joined.member.host, undefined, 'a member without the token is no host');

    // Another room's host token gives no powers here; a forged one in the join is refused.
    const other = await createHostedRoom(server);
    const pretender = await TestClient.open(server.httpUrl, {
      headers: { cookie: `pd-host-${room.roomId}=${other.hostToken}` },
    });
    t.after(() => pretender.close());
    pretender.send(joinMessage(room.roomId, room.token, 'pretend-01'));
    assert.equal((await pretender.next('welcome')).host, false);
    pretender.send({ type: 'rotate-token' });
    assert.equal((await pretender.next('error')).code, 'not-host');
    const forger = await TestClient.open(server.httpUrl);
    forger.send({
      ...joinMessage(room.roomId, room.token, 'forger-001'),
      hostToken: other.hostToken,
    });
    const refused = await forger.next('error');
    assert.deepEqual([refused.code, refused.fatal], ['bad-token', true]);
    assert.equal(await forger.closed, 1008);
  });

  it('rotates the room token: old links are refused, members stay, a restart keeps it so', async (t) => {
    const dataDir = await tempDir();
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    let server = await startTestServer({ dataDir });
    t.after(() => server.close());
    const room = await createHostedRoom(server);
    const host = await joinAsHost(server, room, 'host-00001');
    const member = await TestClient.join(server.httpUrl, room.roomId, room.token, 'member-001');
    t.after(() => Promise.all([host.close(), member.close()]));

    member.send({ type: 'rotate-token' });
    assert.deepEqual([(await member.next('error')).code], ['not-host']);

    host.send({ type: 'rotate-token' });
    const rotated = await host.next('room-token');
    assert.notEqual(rotated.token, room.token);
    assert.equal(rotated.expiresAt, room.expiresAt, 'the new link lasts as long as the room');
    assert.equal((await member.next('room-token')).token, rotated.token);
    await member.expectNone('member-left');
    assert.equal(server.stats().members, 2, 'members already in stay');

    const late = await TestClient.open(server.httpUrl);
    late.send(joinMessage(room.roomId, room.token, 'latecomer1'));
    const refused = await late.next('error');
    assert.deepEqual([refused.code, refused.fatal], ['token-revoked', true]);
    assert.match(refused.message, /new link/);
    assert.equal(await late.closed, 1008);
    const welcomed = await TestClient.join(server.httpUrl, room.roomId, rotated.token, 'newcomer1');
    await welcomed.close();

    // A member rejoining (its socket dropped) uses the new token it was sent.
    await member.close();
    const back = await TestClient.join(server.httpUrl, room.roomId, rotated.token, 'member-001');
    await back.close();

    await host.close();
    await server.close();
    server = await startTestServer({ dataDir });
    const afterRestart = await TestClient.open(server.httpUrl);
    afterRestart.send(joinMessage(room.roomId, room.token, 'latecomer2'));
    assert.equal((await afterRestart.next('error')).code, 'token-revoked');
    const stillWorks = await TestClient.join(
      server.httpUrl,
      room.roomId,
      rotated.token,
      'after-0001',
    );
    await stillWorks.close();
    // The host token still works after the restart and rotates on from there.
    const hostAgain = await joinAsHost(server, room, 'host-00001');
    hostAgain.send({ type: 'rotate-token' });
    const second = await hostAgain.next('room-token');
    await hostAgain.close();
    const refusedNow = await TestClient.open(server.httpUrl);
    refusedNow.send(joinMessage(room.roomId, rotated.token, 'latecomer3'));
    assert.equal((await refusedNow.next('error')).code, 'token-revoked');
    await (await TestClient.join(server.httpUrl, room.roomId, second.token, 'after-0002')).close();
  });

  it('removes a member: it is told and closed, the others see it leave, it cannot rejoin', async (t) => {
    const dataDir = await tempDir();
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    let server = await startTestServer({ dataDir });
    t.after(() => server.close());
    const room = await createHostedRoom(server);
    const host = await joinAsHost(server, room, 'host-00001');
    const stays = await TestClient.join(server.httpUrl, room.roomId, room.token, 'stays-0001');
    const removed = await TestClient.join(server.httpUrl, room.roomId, room.token, 'removed-01');
    t.after(() => Promise.all([host.close(), stays.close(), removed.close()]));
    assert.equal((await stays.next('member-joined')).member.peerId, 'removed-01');

    stays.send({ type: 'remove-member', peerId: 'removed-01' });
    assert.equal((await stays.next('error')).code, 'not-host');
    host.send({ type: 'remove-member', peerId: 'host-00001' });
    assert.equal((await host.next('error')).code, 'unknown-peer', 'the host cannot remove itself');

    host.send({ type: 'remove-member', peerId: 'removed-01' });
    const told = await removed.next('error');
    assert.deepEqual([told.code, told.fatal], ['removed', true]);
    assert.equal(await removed.closed, 4001);
    for (const client of [host, stays]) {
      const left = await client.next('member-left');
      assert.deepEqual([left.peerId, left.reason], ['removed-01', 'removed']);
    }
    assert.equal(server.stats().members, 2);

    const again = await TestClient.open(server.httpUrl);
    again.send(joinMessage(room.roomId, room.token, 'removed-01'));
    const refused = await again.next('error');
    assert.deepEqual([refused.code, refused.fatal], ['removed', true]);
    assert.equal(await again.closed, 1008);
    await stays.expectNone('member-joined');

    await Promise.all([host.close(), stays.close()]);
    await server.close();
    server = await startTestServer({ dataDir });
    const afterRestart = await TestClient.open(server.httpUrl);
    afterRestart.send(joinMessage(room.roomId, room.token, 'removed-01'));
    assert.equal((await afterRestart.next('error')).code, 'removed');
  });

  it('refuses WebSocket upgrades from foreign origins with 403, unless allowed', async (t) => {
    const server = await startTestServer({ allowedOrigins: ['http://localhost:5173'] });
    t.after(() => server.close());
    const port = new URL(server.httpUrl).port;
    const own = `http://127.0.0.1:${port}`;
    assert.equal(await upgradeStatus(server.httpUrl, {}), 101, 'no Origin: not a browser');
    assert.equal(await upgradeStatus(server.httpUrl, { origin: own }), 101, 'same origin');
    assert.equal(await upgradeStatus(server.httpUrl, { origin: `https://127.0.0.1:${port}` }), 101);
    assert.equal(await upgradeStatus(server.httpUrl, { origin: 'http://localhost:5173' }), 101);
    for (const origin of [
      'http://evil.example',
      `http://127.0.0.1:${Number(port) + 1}`,
      `http://evil.example:${port}`,
      'null',
      'file://',
    ]) {
      assert.equal(await upgradeStatus(server.httpUrl, { origin }), 403, origin);
    }
    assert.match(await server.metrics(), /pd_errors_total\{code="bad-origin"\} 5/);
  });

  it('limits the open sockets of one address and says so before closing', async (t) => {
    const server = await startTestServer({ maxConnectionsPerAddress: 2 });
    t.after(() => server.close());
    const first = await TestClient.open(server.httpUrl);
    const second = await TestClient.open(server.httpUrl);
    const third = await TestClient.open(server.httpUrl);
    const error = await third.next('error');
    assert.deepEqual([error.code, error.fatal], ['too-many-connections', true]);
    assert.match(error.message, /2 connections/);
    assert.equal(await third.closed, 1008);
    await first.close();
    // The count follows closes (the server sees the close a moment after the client).
    let fourth: TestClient | undefined;
    for (let i = 0; i < 50 && !fourth; i++) {
      const candidate = await TestClient.open(server.httpUrl);
      await new Promise((r) => setTimeout(r, 20));
      if (candidate.received.some((m) => m.type === 'error')) await candidate.closed;
      else fourth = candidate;
    }
    assert.ok(fourth, 'a socket is admitted again once one closed');
    await Promise.all([second.close(), fourth.close()]);
  });

  it('limits messages per connection, and closes a connection that keeps flooding', async (t) => {
    const server = await startTestServer({
      connectionMessageRate: { ratePerSecond: 1, burst: 4 },
      messageRate: { ratePerSecond: 1000, burst: 1000 },
    });
    t.after(() => server.close());
    const room = await createHostedRoom(server);
    const chatty = await TestClient.join(server.httpUrl, room.roomId, room.token, 'chatty-001');
    const calm = await TestClient.join(server.httpUrl, room.roomId, room.token, 'calm-00001');
    t.after(() => Promise.all([chatty.close(), calm.close()]));
    for (let i = 0; i < 4; i++) chatty.send({ type: 'update', name: `n${i}` });
    const limited = await chatty.next('error');
    assert.deepEqual([limited.code, limited.fatal], ['rate-limited', false]);
    assert.match(limited.message, /this connection/);
    // The same address on another connection is not held back by the chatty one.
    calm.send({ type: 'update', name: 'calm' });
    assert.equal((await chatty.next('member-updated')).member.name, 'calm');
    // Ignoring the warnings ends the connection, with a last error saying why.
    for (let i = 0; i < 80; i++) chatty.send({ type: 'update', name: `flood${i}` });
    assert.equal(await chatty.closed, 1008);
    const last = chatty.received.filter((m) => m.type === 'error').at(-1);
    assert.ok(last?.type === 'error' && last.fatal && last.code === 'rate-limited');
    assert.match(last.message, /closing/);
    const left = await calm.next('member-left');
    assert.equal(left.peerId, 'chatty-001');
  });

  it('limits the members of a room with a clear refusal', async (t) => {
    const server = await startTestServer({ maxMembersPerRoom: 2 });
    t.after(() => server.close());
    const room = await createHostedRoom(server);
    const a = await TestClient.join(server.httpUrl, room.roomId, room.token, 'member-a01');
    const b = await TestClient.join(server.httpUrl, room.roomId, room.token, 'member-b01');
    t.after(() => Promise.all([a.close(), b.close()]));
    const c = await TestClient.open(server.httpUrl);
    c.send(joinMessage(room.roomId, room.token, 'member-c01'));
    const error = await c.next('error');
    assert.deepEqual([error.code, error.fatal], ['room-full', true]);
    assert.match(error.message, /2 members/);
    assert.equal(await c.closed, 1008);
  });
});
