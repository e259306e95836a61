/**
 * A WebSocket client for the signaling tests: queues what the server sends so that a test
 * can await the next message of a type, and records how the socket closed.
 */
import { WebSocket, type ClientOptions } from 'ws';
import type { JoinMessage, ServerMessage } from '../../../../signaling/protocol.ts';
import { SIGNALING_VERSION } from '../../../../signaling/protocol.ts';

const DEFAULT_WAIT_MS = 2000;

/** One test peer. */
export class TestClient {
  readonly received: ServerMessage[] = [];
  private readonly waiters: (() => void)[] = [];
  /** Resolves with the close code once the socket has closed. */
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as ServerMessage);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    // The close promise reports the outcome; an 'error' event must not crash the test.
    ws.on('error', () => {});
  }

  /** Opens a socket to `<httpUrl>ws` and waits until it is open. */
  static async open(httpUrl: string, options: ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}ws`, options);
    // Listen before the socket opens: a refusal can arrive in the same packet as the upgrade.
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  /** Opens a socket and joins; resolves with the client once the welcome arrived. */
  static async join(
    httpUrl: string,
    room: string,
    token: string,
    peerId: string,
    options: ClientOptions = {},
  ): Promise<TestClient> {
    const client = await TestClient.open(httpUrl, options);
    client.send(joinMessage(room, token, peerId));
    await client.next('welcome');
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /**
   * Takes the first queued message of `type` (and any before it of other types stay
   * queued), waiting up to `timeoutMs` for it to arrive.
   */
  async next<T extends ServerMessage['type']>(
    type: T,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex((m) => m.type === type);
      if (index >= 0) {
        return this.received.splice(index, 1)[0] as Extract<ServerMessage, { type: T }>;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `no '${type}' within ${timeoutMs} ms; got ${JSON.stringify(this.received)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits `ms` and asserts nothing of `type` arrived meanwhile. */
  async expectNone(type: ServerMessage['type'], ms = 150): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const found = this.received.find((m) => m.type === type);
    if (found) throw new Error(`unexpected ${JSON.stringify(found)}`);
  }

  /** Closes the socket and waits until it is closed. */
  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    await this.closed;
  }
}

/** A valid join message. */
export function joinMessage(room: string, token: string, peerId: string): JoinMessage {
  return {
    type: 'join',
    v: SIGNALING_VERSION,
    room,
    token,
    peerId,
    name: `peer ${peerId}`,
    device: { cores: 4, userAgent: 'node-test' },
    donatedCores: 2,
  };
}
