/**
 * Relayed frames on the real server over real WebSockets: forwarded only between members of
 * one room with the sender's id filled in, refused before a join, and held to a byte budget.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import type { ErrorMessage, ServerMessage } from '../../../signaling/protocol.ts';
import { decodeRelayFrame, encodeRelayFrame } from '../../../signaling/relay-frame.ts';
import { joinMessage } from './support/test-client.ts';
import { createRoom, startTestServer, type TestServer } from './support/test-server.ts';

/** A raw client that keeps JSON messages and binary frames apart. */
class RelayClient {
  readonly messages: ServerMessage[] = [];
  readonly frames: { peerId: string; payload: Uint8Array }[] = [];
  private wake: (() => void) | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        const frame = decodeRelayFrame(new Uint8Array(data));
        assert.ok(frame, 'the server sends well-formed relayed frames');
        this.frames.push(frame);
      } else {
        this.messages.push(JSON.parse(data.toString('utf8')) as ServerMessage);
      }
      this.wake?.();
    });
    ws.on('error', () => {});
  }

  static async open(server: TestServer): Promise<RelayClient> {
    const ws = new WebSocket(`${server.httpUrl.replace(/^http/, 'ws')}ws`);
    const client = new RelayClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  static async join(server: TestServer, room: string, token: string, peerId: string) {
    const client = await RelayClient.open(server);
    client.ws.send(JSON.stringify(joinMessage(room, token, peerId)));
    await client.until(() => client.messages.some((m) => m.type === 'welcome'));
    return client;
  }

  relay(to: string, payload: Uint8Array): void {
    this.ws.send(encodeRelayFrame(to, payload));
  }

  errors(): ErrorMessage[] {
    return this.messages.filter((m): m is ErrorMessage => m.type === 'error');
  }

  async until(done: () => boolean, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('relayed frames', () => {
  let server: TestServer;
  const clients: RelayClient[] = [];
  const join = async (room: { roomId: string; token: string }, peerId: string) => {
    const client = await RelayClient.join(server, room.roomId, room.token, peerId);
    clients.push(client);
    return client;
  };

  before(async () => {
    server = await startTestServer({ relayRate: { ratePerSecond: 20_000, burst: 40_000 } });
  });
  after(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  it('forwards a frame to a member of the same room, from the sender', async () => {
    const room = await createRoom(server.httpUrl);
    const alice = await join(room, 'alice-relay');
    const bob = await join(room, 'bob-relay');
    const payload = new Uint8Array(1000).map((_, i) => i & 0xff);
    alice.relay('bob-relay', payload);
    await bob.until(() => bob.frames.length === 1);
    assert.equal(bob.frames[0]!.peerId, 'alice-relay');
    assert.deepEqual(bob.frames[0]!.payload, payload);
    assert.deepEqual(alice.errors(), []);
    assert.match(await server.metrics(), /^pd_relayed_bytes_total 1000$/m);
  });

  it('refuses frames to members of another room, to itself, and before a join', async () => {
    const roomA = await createRoom(server.httpUrl);
    const roomB = await createRoom(server.httpUrl);
    const a = await join(roomA, 'room-a-member');
    const b = await join(roomB, 'room-b-member');
    a.relay('room-b-member', new Uint8Array(10));
    a.relay('room-a-member', new Uint8Array(10));
    await a.until(() => a.errors().length === 2);
    assert.deepEqual(
      a.errors().map((e) => e.code),
      ['unknown-peer', 'unknown-peer'],
    );
    const stranger = await RelayClient.open(server);
    clients.push(stranger);
    stranger.relay('room-b-member', new Uint8Array(10));
    await stranger.until(() => stranger.errors().length === 1);
    assert.equal(stranger.errors()[0]!.code, 'bad-message');
    a.ws.send(new Uint8Array([9, 9, 9]));
    await a.until(() => a.errors().length === 3);
    assert.equal(a.errors()[2]!.code, 'bad-message');
    await settle();
    assert.equal(b.frames.length, 0);
  });

  it('answers a burst of frames to a member who left a few times, not each', async () => {
    const room = await createRoom(server.httpUrl);
    const sender = await join(room, 'late-sender');
    for (let i = 0; i < 40; i++) sender.relay('gone-member', new Uint8Array(16));
    await sender.until(() => sender.errors().length > 0);
    await settle();
    const answered = sender.errors().length;
    assert.ok(answered >= 1 && answered <= 11, `${answered} answers to 40 frames`);
    assert.ok(sender.errors().every((e) => e.code === 'unknown-peer' && !e.fatal));
    assert.equal(sender.ws.readyState, WebSocket.OPEN);
  });

  it('drops frames over the byte budget with relay-limited, and recovers', async () => {
    const room = await createRoom(server.httpUrl);
    const fast = await join(room, 'fast-sender');
    const slow = await join(room, 'receiver-1');
    // Burst 40 000 bytes: three frames of 15 000 do not all fit.
    for (let i = 0; i < 3; i++) fast.relay('receiver-1', new Uint8Array(15_000).fill(i));
    await fast.until(() => fast.errors().length === 1);
    const error = fast.errors()[0]!;
    assert.equal(error.code, 'relay-limited');
    assert.equal(error.fatal, false);
    assert.match(error.message, /over 20 KiB\/s/);
    await slow.until(() => slow.frames.length === 2);
    await settle();
    assert.equal(slow.frames.length, 2);
    // The bucket refills: 20 000 bytes a second.
    await new Promise((resolve) => setTimeout(resolve, 900));
    fast.relay('receiver-1', new Uint8Array(15_000).fill(7));
    await slow.until(() => slow.frames.length === 3);
    assert.equal(slow.frames[2]!.payload[0], 7);
    assert.match(await server.metrics(), /^pd_errors_total\{code="relay-limited"\} 1$/m);
  });
});
