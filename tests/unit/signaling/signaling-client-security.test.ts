/**
 * The client's side of room security, against the real server: a rotated token is used for
 * rejoining, a removal is final, and a removed member is reported as gone for good.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { WebSocket } from 'ws';
import {
  SignalingClient,
  type SignalingEvents,
  type SignalingState,
} from '../../../client/mesh/signaling-client.ts';
import type { CreateRoomResponse } from '../../../signaling/protocol.ts';
import { startTestServer, tempDir, type TestServer } from './support/test-server.ts';

function client(server: TestServer, room: CreateRoomResponse, peerId: string, hostToken?: string) {
  const url = `${server.httpUrl.replace(/^http/, 'ws')}ws`;
  return new SignalingClient({
    url,
    join: {
      room: room.roomId,
      token: room.token,
      peerId,
      name: peerId,
      device: { cores: 1, userAgent: 'node-test' },
      donatedCores: 1,
      ...(hostToken ? { hostToken } : {}),
    },
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    minReconnectDelayMs: 20,
    maxReconnectDelayMs: 50,
  });
}

function next<K extends keyof SignalingEvents & string>(
  c: SignalingClient,
  event: K,
  accept: (payload: SignalingEvents[K]) => boolean = () => true,
): Promise<SignalingEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within 3 s`)), 3000);
    const off = c.on(event, (payload) => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

const joined = (c: SignalingClient) =>
  c.state === 'joined'
    ? Promise.resolve()
    : next(c, 'state', (s: SignalingState) => s === 'joined');

describe('SignalingClient and room security', () => {
  it('rejoins with the rotated token, and treats a removal as final', async (t) => {
    const dataDir = await tempDir();
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    let server = await startTestServer({ dataDir });
    const port = Number(new URL(server.httpUrl).port);
    const room = (await (
      await fetch(`${server.httpUrl}api/rooms`, { method: 'POST' })
    ).json()) as CreateRoomResponse;
    const host = client(server, room, 'host-00001', room.hostToken);
    const member = client(server, room, 'member-001');
    try {
      host.connect();
      await joined(host);
      member.connect();
      await joined(member);
      assert.equal(host.isHost, true);
      assert.equal(member.isHost, false);

      const rotated = next(member, 'room-token');
      host.rotateToken();
      const { token } = await rotated;
      assert.notEqual(token, room.token);
      assert.equal(member.token, token);

      // A restart drops every socket; the member must come back with the new token.
      await server.close();
      server = await startTestServer({ dataDir, port });
      await Promise.all([joined(host), joined(member)]);

      const gone = next(host, 'member-left');
      const told = next(member, 'error');
      host.removeMember('member-001');
      const error = await told;
      assert.deepEqual([error.code, error.fatal], ['removed', true]);
      assert.equal(member.state, 'refused', 'no reconnecting after a removal');
      // Reported as left on purpose, so RoomSession drops its link at once instead of probing.
      assert.deepEqual(await gone, { type: 'member-left', peerId: 'member-001', reason: 'left' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(member.state, 'refused');
      assert.equal(server.stats().members, 1);
    } finally {
      // Clients first: closing the server first would send them off reconnecting.
      host.close(false);
      member.close(false);
      await server.close();
    }
  });
});
