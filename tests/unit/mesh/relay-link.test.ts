/**
 * RelayLink over a fake signaling pipe: the hello exchange, framing of big bodies into
 * payloads the server takes, pacing and backpressure of the outbox, and how relayed frames
 * of new and closed links are told apart.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RELAY_MAX_PAYLOAD_BYTES } from '../../../signaling/relay-frame.ts';
import type { IncomingMessage } from '../../../client/mesh/transport.ts';
import { RelayOutbox, newLinkNonce, readLinkHeader } from '../../../client/mesh/relay-channel.ts';
import { RelayLink, routeRelayed } from '../../../client/mesh/relay-link.ts';

const helloOf = (peerId: string) => ({
  peerId,
  name: `peer ${peerId}`,
  device: { cores: 2, userAgent: 'test' },
  donatedCores: 1,
});

/** One member's end: an outbox whose frames a pipe carries, and the link it routes to. */
interface End {
  id: string;
  outbox: RelayOutbox;
  link: RelayLink | undefined;
  received: IncomingMessage[];
  payloadSizes: number[];
}

const links: RelayLink[] = [];
afterEach(() => {
  for (const link of links.splice(0)) link.close();
});

/**
 * Two ends joined by an asynchronous, ordered pipe (as the server's WebSocket is). Like
 * RoomSession, an end without a live link starts one when `routeRelayed` says so.
 */
function pair(bytesPerSecond?: number): {
  a: End;
  b: End;
  start(end: End, claim?: string): RelayLink;
} {
  const ends: Record<string, End> = {};
  const make = (id: string): End => {
    const end: End = {
      id,
      link: undefined,
      received: [],
      payloadSizes: [],
      outbox: new RelayOutbox({
        ...(bytesPerSecond ? { bytesPerSecond } : {}),
        send: (to, payload) => {
          end.payloadSizes.push(payload.byteLength);
          const copy = payload.slice();
          setImmediate(() => deliver(ends[to]!, id, copy));
          return true;
        },
      }),
    };
    ends[id] = end;
    return end;
  };
  /** Starts `end`'s link; its hello claims to be `claim` (by default, who it is). */
  const start = (end: End, claim = end.id): RelayLink => {
    const remoteId = end.id === 'a' ? 'b' : 'a';
    end.link?.close('replaced');
    const link = new RelayLink({
      remoteId,
      hello: helloOf(claim),
      channel: end.outbox.channel(remoteId, newLinkNonce()),
    });
    link.on('message', (event) => end.received.push(event));
    links.push(link);
    end.link = link;
    return link;
  };
  const deliver = (end: End, from: string, payload: Uint8Array): void => {
    const header = readLinkHeader(payload);
    assert.ok(header);
    const live = end.link?.state === 'closed' ? undefined : end.link;
    const route = routeRelayed(live, header.sender, header.echoed);
    if (route === 'drop') return;
    const link = route === 'new' || !live ? start(end) : live;
    assert.equal(link.remoteId, from);
    link.receive(header.sender, header.data);
  };
  return { a: make('a'), b: make('b'), start };
}

function until(done: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (done()) return resolve();
      if (Date.now() > deadline) return reject(new Error('timed out'));
      setTimeout(check, 5);
    };
    check();
  });
}

describe('RelayLink', () => {
  it('opens on both ends when one starts, checking identities', async () => {
    const { a, b, start } = pair();
    start(a);
    await until(() => a.link?.state === 'open' && b.link?.state === 'open');
    assert.equal(a.link!.hello?.peerId, 'b');
    assert.equal(b.link!.hello?.peerId, 'a');
    assert.equal(a.link!.remoteNonce, b.link!.nonce);
    assert.equal(b.link!.remoteNonce, a.link!.nonce);
  });

  it('refuses a peer whose hello claims another identity than the one introduced', async () => {
    const { a, b, start } = pair();
    start(a, 'mallory-1'); // b knows this member as 'a'
    await until(() => b.link?.state === 'closed');
    assert.equal(b.link!.closeReason, 'identity');
    assert.equal(b.link!.hello, undefined);
  });

  it('opens when both ends start at once', async () => {
    const { a, b, start } = pair();
    const first = start(a);
    const second = start(b);
    await until(() => a.link?.state === 'open' && b.link?.state === 'open');
    assert.equal(a.link, first);
    assert.equal(b.link, second);
  });

  it('carries a big body intact in payloads the server accepts', async () => {
    const { a, b, start } = pair();
    start(a);
    await until(() => a.link?.state === 'open' && b.link?.state === 'open');
    const body = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    const sha256 = 'a'.repeat(64);
    await a.link!.send({ type: 'probe', probeId: 'p1', bytes: body.byteLength, sha256 }, body);
    await until(() => b.received.some((event) => event.message.type === 'probe'));
    const event = b.received.find((e) => e.message.type === 'probe')!;
    assert.equal(event.from, 'a');
    assert.deepEqual(event.body, body);
    assert.ok(Math.max(...a.payloadSizes) <= RELAY_MAX_PAYLOAD_BYTES);
    assert.ok(a.payloadSizes.length > 300_000 / RELAY_MAX_PAYLOAD_BYTES);
  });

  it('paces the outbox and holds back the framing layer meanwhile', async () => {
    const { a, b, start } = pair(400_000);
    start(a);
    await until(() => a.link?.state === 'open' && b.link?.state === 'open');
    const body = new Uint8Array(400_000);
    const sha256 = 'b'.repeat(64);
    const startedAt = Date.now();
    await a.link!.send({ type: 'probe', probeId: 'p2', bytes: body.byteLength, sha256 }, body);
    await until(() => b.received.some((event) => event.message.type === 'probe'));
    const elapsed = Date.now() - startedAt;
    // A quarter second of burst, then 400 kB/s: well over half a second for 400 kB.
    assert.ok(elapsed >= 600, `took ${elapsed} ms`);
    // The framing layer never queued much more than its high-water mark in the outbox.
    assert.ok(a.link!.stats!.maxBufferedAmount <= 64 * 1024 + RELAY_MAX_PAYLOAD_BYTES);
  });

  it('answers heartbeats, so RTT is measured', async () => {
    const { a, b, start } = pair();
    start(a);
    await until(() => a.link?.state === 'open' && b.link?.state === 'open');
    await until(() => a.link!.rttMs !== undefined, 2500);
    assert.ok(a.link!.rttMs! >= 0);
  });
});

describe('routeRelayed', () => {
  it('starts a link only on frames of a link that has not heard from this side', () => {
    assert.equal(routeRelayed(undefined, 5, 0), 'new');
    // A late frame for a link of ours that closed: starting on it would begin mid-stream.
    assert.equal(routeRelayed(undefined, 5, 9), 'drop');
  });

  it('feeds the live link its remote, and adopts the first remote it hears', () => {
    assert.equal(routeRelayed({ nonce: 9, remoteNonce: 0 }, 5, 0), 'feed');
    assert.equal(routeRelayed({ nonce: 9, remoteNonce: 0 }, 5, 9), 'feed');
    assert.equal(routeRelayed({ nonce: 9, remoteNonce: 5 }, 5, 9), 'feed');
    assert.equal(routeRelayed({ nonce: 9, remoteNonce: 5 }, 5, 0), 'feed');
  });

  it('replaces the live link when the remote started over, and drops stale frames', () => {
    assert.equal(routeRelayed({ nonce: 9, remoteNonce: 5 }, 6, 0), 'new');
    assert.equal(routeRelayed({ nonce: 9, remoteNonce: 5 }, 6, 9), 'drop');
    assert.equal(routeRelayed({ nonce: 9, remoteNonce: 5 }, 5, 8), 'drop');
  });
});
