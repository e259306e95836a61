/**
 * The real signaling server on loopback under abuse: clients that send malformed JSON, binary
 * garbage, oversized frames, floods, relays that cannot be serialised, or nothing at all,
 * while a well-behaved pair in a room keeps exchanging signals. The server must stay up, the
 * abusers must be refused, rate-limited or closed, and the pair's round trips must stay within
 * a bound (printed, with the figures measured before the abuse for comparison).
 *
 * Abusers connect from other loopback addresses (127.0.0.2 …), as other devices would, since
 * the server also limits by client address; one test puts a flooder on the pair's own address.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { DEFAULT_OPTIONS } from '../../../signaling/config.ts';
import { MAX_SIGNAL_MESSAGE_BYTES, type ServerMessage } from '../../../signaling/protocol.ts';
import { TestClient, joinMessage } from '../signaling/support/test-client.ts';
import { createRoom, startTestServer, type TestServer } from '../signaling/support/test-server.ts';

/** A round trip of the good pair may take this long at most, abuse or not. */
const ROUND_TRIP_BOUND_MS = 1000;
/** Pause between the pair's exchanges: well under any rate limit (about 40 a second). */
const EXCHANGE_GAP_MS = 25;
const JOIN_TIMEOUT_MS = 1500;

/** A raw client that counts what the server answers instead of keeping it. */
class Abuser {
  readonly ws: WebSocket;
  readonly codes = new Map<string, number>();
  readonly signals: unknown[] = [];
  readonly closed: Promise<number>;
  readonly opened: Promise<boolean>;

  constructor(
    url: string,
    readonly address: string,
  ) {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}ws`, { localAddress: address });
    this.ws = ws;
    ws.on('error', () => {}); // the close code tells the story
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    this.opened = new Promise((resolve) => {
      ws.once('open', () => resolve(true));
      ws.once('close', () => resolve(false));
    });
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as ServerMessage;
      const key = message.type === 'error' ? message.code : message.type;
      this.codes.set(key, (this.codes.get(key) ?? 0) + 1);
      if (message.type === 'signal') this.signals.push(message.data);
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  count(code: string): number {
    return this.codes.get(code) ?? 0;
  }

  /** Sends `total` frames made by `make`, in bursts, yielding between bursts. */
  async flood(total: number, make: (i: number) => string | Buffer, burst = 200): Promise<number> {
    let sent = 0;
    while (sent < total && this.isOpen) {
      for (let i = 0; i < burst && sent < total; i++, sent++) this.ws.send(make(sent));
      await new Promise((resolve) => setImmediate(resolve));
    }
    return sent;
  }

  async joinRoom(room: { roomId: string; token: string }, peerId: string): Promise<void> {
    assert.ok(await this.opened);
    this.ws.send(JSON.stringify(joinMessage(room.roomId, room.token, peerId)));
    await until(() => this.count('welcome') === 1, 2000, `${peerId} welcomed`);
  }

  close(): void {
    this.ws.terminate();
  }
}

async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves with `promise`'s value, or `fallback` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([promise, new Promise<T>((r) => setTimeout(() => r(fallback), ms))]);
}

/**
 * The well-behaved pair: `a` sends a numbered ping to `b` as a signal, `b` answers with a
 * pong signal, and `a` measures the round trip. Junk signals from others are counted apart.
 */
class GoodPair {
  readonly roundTrips: number[] = [];
  junkAtA = 0;
  #seq = 0;
  readonly #waiting = new Map<number, () => void>();

  constructor(
    readonly a: TestClient,
    readonly b: TestClient,
    readonly aId: string,
    readonly bId: string,
  ) {
    b.ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as ServerMessage;
      const ping = message.type === 'signal' && (message.data as { ping?: number }).ping;
      if (message.type === 'signal' && message.from === aId && typeof ping === 'number') {
        b.send({ type: 'signal', to: aId, data: { pong: ping } });
      }
    });
    a.ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as ServerMessage;
      if (message.type !== 'signal') return;
      const pong = (message.data as { pong?: number } | null)?.pong;
      if (message.from === bId && typeof pong === 'number') this.#waiting.get(pong)?.();
      else this.junkAtA++;
    });
  }

  /** One round trip; rejects when it takes longer than the bound. */
  async exchange(): Promise<number> {
    const seq = this.#seq++;
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`round trip ${seq} took over ${ROUND_TRIP_BOUND_MS} ms`)),
        ROUND_TRIP_BOUND_MS,
      );
      this.#waiting.set(seq, () => {
        clearTimeout(timer);
        resolve();
      });
      this.a.send({ type: 'signal', to: this.bId, data: { ping: seq } });
    });
    this.#waiting.delete(seq);
    const ms = performance.now() - started;
    this.roundTrips.push(ms);
    return ms;
  }

  /** Exchanges until `stop` says so (at least `min` times); returns their round trips. */
  async exchangeWhile(stop: () => boolean, min = 1): Promise<number[]> {
    const from = this.roundTrips.length;
    while (this.roundTrips.length - from < min || !stop()) {
      await this.exchange();
      await new Promise((resolve) => setTimeout(resolve, EXCHANGE_GAP_MS));
    }
    return this.roundTrips.slice(from);
  }

  /** Errors the server sent either member (there should be none). */
  errors(): ServerMessage[] {
    return [...this.a.received, ...this.b.received].filter((m) => m.type === 'error');
  }
}

function summary(ms: number[]): string {
  const sorted = [...ms].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `${ms.length} round trips, p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`;
}

describe('the signaling server under abuse', () => {
  let server: TestServer;
  let pair: GoodPair;
  let room: { roomId: string; token: string };
  const abusers: Abuser[] = [];
  const abuser = (address: string) => {
    const client = new Abuser(server.httpUrl, address);
    abusers.push(client);
    return client;
  };

  before(async () => {
    server = await startTestServer({ joinTimeoutMs: JOIN_TIMEOUT_MS });
    room = await createRoom(server.httpUrl);
    const a = await TestClient.join(server.httpUrl, room.roomId, room.token, 'good-alice');
    const b = await TestClient.join(server.httpUrl, room.roomId, room.token, 'good-bob01');
    pair = new GoodPair(a, b, 'good-alice', 'good-bob01');
  });
  after(async () => {
    for (const client of abusers) client.close();
    await Promise.all([pair.a.close(), pair.b.close()]);
    await server.close();
  });

  it('keeps relaying for a good pair while six kinds of abuser attack; refuses or closes each', async (t) => {
    const baseline = await pair.exchangeWhile(() => true, 40);
    t.diagnostic(`before the abuse: ${summary(baseline)}`);

    const garbage = abuser('127.0.0.2');
    const binary = abuser('127.0.0.3');
    const oversized = abuser('127.0.0.4');
    const flooder = abuser('127.0.0.5');
    const deep = abuser('127.0.0.6');
    const idle = abuser('127.0.0.7');
    await Promise.all(abusers.map((c) => c.opened));
    await flooder.joinRoom(room, 'flooder-01');
    await deep.joinRoom(room, 'deepsender');

    const started = performance.now();
    let abusing = true;
    const during = pair.exchangeWhile(() => !abusing, 20);
    const sent = await Promise.all([
      garbage.flood(3000, (i) => (i % 2 ? randomBytes(40).toString('latin1') : `{"type":"sig${i}`)),
      binary.flood(1000, () => randomBytes(64)),
      (async () => {
        oversized.ws.send('x'.repeat(MAX_SIGNAL_MESSAGE_BYTES + 1));
        await until(() => oversized.count('too-large') === 1, 2000, 'too-large');
        oversized.ws.send('y'.repeat(MAX_SIGNAL_MESSAGE_BYTES * 4));
        return 2;
      })(),
      flooder.flood(5000, (i) =>
        JSON.stringify({ type: 'signal', to: 'good-alice', data: { junk: i } }),
      ),
      (async () => {
        // Nested far past what a signal needs: JSON.stringify would overflow on relaying it.
        const data = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
        deep.ws.send(`{"type":"signal","to":"good-alice","data":${data}}`);
        return 1;
      })(),
    ]);
    const closeCodes = await Promise.all(
      [garbage, binary, oversized, flooder, deep, idle].map((c) =>
        within(c.closed, JOIN_TIMEOUT_MS + 1000, -1),
      ),
    );
    const floodMs = performance.now() - started;
    abusing = false;
    const roundTrips = await during;
    t.diagnostic(`during ${floodMs.toFixed(0)} ms of abuse: ${summary(roundTrips)}`);
    const names = ['garbage', 'binary', 'oversized', 'flooder', 'deep', 'idle'];
    for (const [i, client] of [garbage, binary, oversized, flooder, deep, idle].entries()) {
      t.diagnostic(
        `${names[i]} (${client.address}): sent ${sent[i] ?? 0}, closed with ${closeCodes[i]}, ` +
          `answers ${JSON.stringify(Object.fromEntries(client.codes))}`,
      );
    }
    t.diagnostic(`junk signals relayed to the good pair: ${pair.junkAtA}`);

    // The pair: no round trip lost or over the bound (exchange() rejects), no error for them.
    assert.ok(roundTrips.length >= 20);
    assert.deepEqual(pair.errors(), []);
    // Malformed JSON and binary frames are answered until the rate limit, then refused.
    const { ratePerSecond, burst } = DEFAULT_OPTIONS.messageRate;
    const bucketBound = burst + (ratePerSecond * floodMs) / 1000;
    assert.ok(garbage.count('bad-json') > 0 && garbage.count('rate-limited') > 0);
    assert.ok(binary.count('bad-message') > 0 && binary.count('rate-limited') > 0);
    assert.ok(
      garbage.count('bad-json') <= bucketBound && binary.count('bad-message') <= bucketBound,
    );
    // An oversized frame is answered; one far past the limit closes the socket (1009).
    assert.equal(oversized.count('too-large'), 1);
    assert.equal(closeCodes[2], 1009);
    // The flooder is rate-limited; what reaches the good pair stays within the address bucket.
    assert.ok(flooder.count('rate-limited') > 0);
    assert.ok(pair.junkAtA <= bucketBound, `${pair.junkAtA} junk signals`);
    // The too deeply nested signal is refused as a bad message; its sender keeps its socket.
    assert.equal(closeCodes[4], -1, 'the deep sender keeps its socket');
    assert.equal(deep.count('bad-message'), 1);
    // A socket that never joins is closed at the join timeout with a policy violation.
    assert.equal(closeCodes[5], 1008);
    assert.equal(idle.count('not-joined'), 1);

    // The server is up and the room still relays, for the pair and for a newcomer.
    assert.equal((await fetch(`${server.httpUrl}healthz`)).status, 200);
    const newcomer = await TestClient.join(server.httpUrl, room.roomId, room.token, 'late-carol');
    newcomer.send({ type: 'signal', to: 'good-bob01', data: 'hello after the storm' });
    const fromCarol = (m: ServerMessage) => m.type === 'signal' && m.from === 'late-carol';
    await until(() => pair.b.received.some(fromCarol), 2000, 'the newcomer relayed');
    await newcomer.close();
    const afterwards = await pair.exchangeWhile(() => true, 20);
    t.diagnostic(`after the abuse: ${summary(afterwards)}`);
  });

  // A signal's data is opaque to the server, but one nested ~10,000 deep used to pass the
  // validator and overflow JSON.stringify when relayed, which cost the sender its socket.
  it('answers a signal whose data is too deeply nested to relay with an error, not a cut socket', async () => {
    const sender = abuser('127.0.0.8');
    await sender.joinRoom(room, 'deepsend02');
    const data = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    sender.ws.send(`{"type":"signal","to":"good-alice","data":${data}}`);
    await until(() => sender.count('bad-message') === 1 || !sender.isOpen, 2000, 'an answer');
    assert.ok(sender.isOpen, 'the sender keeps its socket');
    assert.equal(sender.count('bad-message'), 1);
  });

  it('keeps the pair below its limits while a flooder shares their address', async (t) => {
    const flooder = new Abuser(server.httpUrl, '127.0.0.1');
    abusers.push(flooder);
    assert.ok(await flooder.opened);
    let flooding = true;
    const during = pair.exchangeWhile(() => !flooding, 20);
    const started = performance.now();
    const sent = await flooder.flood(4000, (i) => JSON.stringify({ type: 'update', name: `${i}` }));
    await within(flooder.closed, 500, -1);
    flooding = false;
    const roundTrips = await during;
    t.diagnostic(
      `flooder on 127.0.0.1 sent ${sent} in ${(performance.now() - started).toFixed(0)} ms: ` +
        `${JSON.stringify(Object.fromEntries(flooder.codes))}; pair: ${summary(roundTrips)}`,
    );
    assert.ok(flooder.count('rate-limited') > 0);
    assert.deepEqual(pair.errors(), [], 'the pair is not rate-limited for its neighbour');
  });
});
