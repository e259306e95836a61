import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPdError } from '../../../client/protocol/errors.ts';
import type { PeerChange, IncomingMessage } from '../../../client/mesh/transport.ts';
import { MemoryMesh, type MemoryTransport } from '../../../client/mesh/memory-transport.ts';
import { SimClock } from '../../../client/scheduler/sim-clock.ts';
import { seededRandom } from '../../../client/scheduler/simulation.ts';

function record(transport: MemoryTransport) {
  const messages: IncomingMessage[] = [];
  const changes: PeerChange[] = [];
  transport.onMessage((m) => messages.push(m));
  transport.onPeerChange((c) => changes.push(c));
  return { messages, changes };
}

const load = (queued: number) => ({ type: 'job-load', jobId: 'j', queued, running: 0 }) as const;

describe('memory transport', () => {
  it('opens a channel to every member, and both ends hear it', () => {
    const clock = new SimClock();
    const mesh = new MemoryMesh({ clock });
    const a = mesh.join('a');
    const seenA = record(a);
    const b = mesh.join('b');
    const seenB = record(b);
    clock.run(10);
    assert.deepEqual(seenA.changes, [{ peerId: 'b', open: true }]);
    assert.deepEqual(seenB.changes, [{ peerId: 'a', open: true }]);
    assert.deepEqual(a.peers(), ['b']);
    assert.deepEqual(b.peers(), ['a']);
    assert.throws(() => mesh.join('a'));
  });

  it('keeps each channel ordered whatever the latencies, on the simulated clock', async () => {
    const clock = new SimClock();
    const random = seededRandom(7);
    const mesh = new MemoryMesh({ clock, latencyMs: () => random() * 50 });
    const a = mesh.join('a');
    const b = mesh.join('b');
    const seen = record(b);
    for (let i = 0; i < 100; i++) await a.send('b', load(i));
    clock.run(1000);
    assert.deepEqual(
      seen.messages.map((m) => (m.message.type === 'job-load' ? m.message.queued : -1)),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.equal(seen.messages[0].from, 'a');
    assert.equal(seen.messages[0].message.v, 1);
  });

  it('validates headers like a real link: invalid ones are counted, never delivered', async () => {
    const clock = new SimClock();
    const mesh = new MemoryMesh({ clock });
    const a = mesh.join('a');
    const b = mesh.join('b');
    const seen = record(b);
    const refused: string[] = [];
    b.onInvalid((err, from) => refused.push(`${from}:${err.code}`));
    await a.send('b', { ...load(1), queued: -1 });
    await a.send(
      'b',
      { type: 'chunk-result', jobId: 'j', chunkId: 1, moves: 0, computeMs: 3 },
      Uint8Array.of(9),
    );
    clock.run(10);
    assert.deepEqual(refused, ['a:message-invalid']);
    assert.equal(b.invalidFrames, 1);
    assert.deepEqual(
      seen.messages.map((m) => [m.message.type, m.body?.[0]]),
      [['chunk-result', 9]],
    );
  });

  it('copies bodies on send', async () => {
    const clock = new SimClock();
    const mesh = new MemoryMesh({ clock });
    const a = mesh.join('a');
    const seen = record(mesh.join('b'));
    const body = Uint8Array.of(1, 2, 3);
    await a.send('b', { type: 'kernel-bytes', sha256: '0'.repeat(64), bytes: 3 }, body);
    body[0] = 99;
    clock.run(10);
    assert.deepEqual([...(seen.messages[0].body ?? [])], [1, 2, 3]);
  });

  it('drops a member as if its channels closed: both ends hear it, messages in flight are lost', async () => {
    const clock = new SimClock();
    const mesh = new MemoryMesh({ clock, latencyMs: () => 10 });
    const a = mesh.join('a');
    const b = mesh.join('b');
    const seenA = record(a);
    const seenB = record(b);
    clock.run(0);
    await a.send('b', load(1));
    clock.schedule(5, () => mesh.drop('a'));
    clock.run(100);
    assert.deepEqual(seenB.messages, []);
    assert.deepEqual(seenB.changes.at(-1), { peerId: 'a', open: false });
    assert.deepEqual(seenA.changes.at(-1), { peerId: 'b', open: false });
    assert.deepEqual(b.peers(), []);
    await assert.rejects(b.send('a', load(2)), (err) => isPdError(err, 'peer-unknown'));
    // The same id may come back (a reloaded tab), over new channels.
    const again = mesh.join('a');
    const seenAgain = record(again);
    clock.run(200);
    assert.deepEqual(seenAgain.changes, [{ peerId: 'b', open: true }]);
    await b.send('a', load(3));
    clock.run(300);
    assert.equal(seenAgain.messages.length, 1);
  });

  it('closes a transport for good, and delivers on microtasks without a clock', async () => {
    const mesh = new MemoryMesh();
    const a = mesh.join('a');
    const b = mesh.join('b');
    const seen = record(b);
    await new Promise((resolve) => setTimeout(resolve, 0));
    await a.send('b', load(4));
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(seen.messages.length, 1);
    a.close();
    await assert.rejects(a.send('b', load(5)), (err) => isPdError(err, 'channel-closed'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(seen.changes.at(-1), { peerId: 'a', open: false });
    assert.deepEqual(a.peers(), []);
  });
});
