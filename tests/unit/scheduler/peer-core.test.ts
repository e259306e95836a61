import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerCore } from '../../../client/scheduler/peer-core.ts';
import type { OutgoingJobMessage } from '../../../client/scheduler/job-messages.ts';
import { JOB, SHA, effectsOf, peer, sent, wire } from './support/helpers.ts';

const announce = (epoch = 1, controllerId = 'ctl') =>
  ({
    type: 'job-announce',
    jobId: JOB,
    kernel: 'fake',
    sha256: SHA,
    params: { n: 1 },
    controllerId,
    epoch,
    chunkCount: 100,
  }) as const;

const assign = (ids: number[], moves = 1, epoch = 1) =>
  ({
    type: 'chunk-assign',
    jobId: JOB,
    epoch,
    chunks: ids.map((id) => ({ id, moves, descriptor: { index: id } })),
    remaining: 50,
  }) as const;

function from(p: PeerCore, sender: string, message: OutgoingJobMessage, now = 0) {
  return p.handle({ type: 'received', from: sender, message: wire(message) }, now);
}

const runs = (effects: ReturnType<PeerCore['handle']>) =>
  effectsOf(effects, 'run').map((r) => r.chunkId);

function done(p: PeerCore, chunkId: number, now = 0) {
  const result = Uint8Array.of(chunkId);
  return p.handle({ type: 'chunk-done', jobId: JOB, chunkId, computeMs: 5, result }, now);
}

/** A peer in the job with its kernel ready (its first chunk-request sent). */
function ready(workers = 2) {
  const p = peer({ workers });
  from(p, 'ctl', announce());
  p.handle({ type: 'kernel-ready', jobId: JOB }, 0);
  return p;
}

describe('peer core: joining a job and pulling chunks', () => {
  it('answers an announce with its status and loads the kernel before asking', () => {
    const p = peer();
    const effects = from(p, 'ctl', announce());
    assert.deepEqual(effectsOf(effects, 'load-kernel'), [
      {
        type: 'load-kernel',
        jobId: JOB,
        kernel: 'fake',
        sha256: SHA,
        params: { n: 1 },
        controllerId: 'ctl',
      },
    ]);
    assert.deepEqual(sent(effects, 'job-status')[0].message, {
      type: 'job-status',
      jobId: JOB,
      epoch: 1,
      held: [],
      buffered: [],
    });
    assert.deepEqual(sent(effects, 'chunk-request'), []);
    const readyEffects = p.handle({ type: 'kernel-ready', jobId: JOB }, 1);
    assert.deepEqual(sent(readyEffects, 'chunk-request')[0].message.want, 4);
  });

  it('runs from the bottom of its deque, one chunk per worker', () => {
    const p = ready(2);
    const effects = from(p, 'ctl', assign([0, 1, 2, 3, 4, 5]));
    assert.deepEqual(runs(effects), [5, 4]);
    assert.deepEqual(sent(effects, 'chunk-request'), []);
    assert.deepEqual(p.snapshot()[0].queued, 4);
  });

  it('sends results to the controller and pulls more when fewer than lowWater are queued', () => {
    const p = ready(2);
    from(p, 'ctl', assign([0, 1, 2, 3, 4, 5]));
    const first = done(p, 5);
    assert.deepEqual(sent(first, 'chunk-result'), [
      {
        to: 'ctl',
        message: { type: 'chunk-result', jobId: JOB, chunkId: 5, moves: 1, computeMs: 5 },
        body: Uint8Array.of(5),
      },
    ]);
    assert.deepEqual(runs(first), [3]);
    assert.deepEqual(sent(done(p, 4), 'chunk-request'), []); // 2 queued: not low yet
    const low = done(p, 3); // runs 1, leaves 1 queued
    assert.deepEqual(runs(low), [1]);
    assert.deepEqual(sent(low, 'chunk-request').length, 1);
  });

  it('ignores assignments from another peer or an older epoch, and chunks it holds', () => {
    const p = ready(1);
    assert.deepEqual(runs(from(p, 'intruder', assign([0]))), []);
    assert.deepEqual(runs(from(p, 'ctl', assign([0], 1, 0))), []);
    from(p, 'ctl', assign([1, 2]));
    from(p, 'ctl', assign([1, 2]));
    assert.equal(p.snapshot()[0].queued + p.snapshot()[0].running, 2);
  });

  it('reports a failed chunk with its move count', () => {
    const p = ready(1);
    from(p, 'ctl', assign([7], 3));
    const effects = p.handle({ type: 'chunk-error', jobId: JOB, chunkId: 7, reason: 'trap' }, 1);
    assert.deepEqual(sent(effects, 'chunk-failed')[0].message, {
      type: 'chunk-failed',
      jobId: JOB,
      chunkId: 7,
      moves: 3,
      reason: 'trap',
    });
  });
});

describe('peer core: stealing', () => {
  it('grants the older half of its unstarted chunks, never a running one, and tells the controller', () => {
    const p = ready(1);
    from(p, 'ctl', assign([0, 1, 2, 3, 4, 5, 6])); // runs 6
    const effects = from(p, 'thief', { type: 'steal-request', jobId: JOB });
    const grant = sent(effects, 'steal-grant');
    assert.equal(grant[0].to, 'thief');
    assert.deepEqual(
      grant[0].message.chunks.map((c) => [c.id, c.moves]),
      [
        [0, 2],
        [1, 2],
        [2, 2],
      ],
    );
    assert.equal(grant[0].message.queued, 3);
    assert.deepEqual(sent(effects, 'owner-changed')[0], {
      to: 'ctl',
      message: {
        type: 'owner-changed',
        jobId: JOB,
        to: 'thief',
        chunks: [
          { id: 0, moves: 2 },
          { id: 1, moves: 2 },
          { id: 2, moves: 2 },
        ],
      },
      body: undefined,
    });
    const ids = (effects2: ReturnType<PeerCore['handle']>) =>
      sent(effects2, 'steal-grant')[0].message.chunks.map((c) => c.id);
    assert.deepEqual(ids(from(p, 'thief', { type: 'steal-request', jobId: JOB })), [3, 4]);
    assert.deepEqual(ids(from(p, 'thief', { type: 'steal-request', jobId: JOB })), [5]);
    const none = from(p, 'thief', { type: 'steal-request', jobId: JOB });
    assert.deepEqual(ids(none), []);
    assert.deepEqual(sent(none, 'owner-changed'), []);
    assert.equal(p.snapshot()[0].running, 1); // chunk 6 stayed
    assert.equal(p.snapshot()[0].stealsGiven, 3);
  });

  it('when idle and the controller has nothing, robs the peer with the longest queue', () => {
    const p = ready(2);
    p.handle({ type: 'peer-joined', peerId: 'p2' }, 0);
    p.handle({ type: 'peer-joined', peerId: 'p3' }, 0);
    from(p, 'p2', { type: 'job-load', jobId: JOB, queued: 3, running: 1 });
    from(p, 'p3', { type: 'job-load', jobId: JOB, queued: 7, running: 1 });
    const effects = from(p, 'ctl', assign([]));
    assert.deepEqual(sent(effects, 'steal-request'), [
      { to: 'p3', message: { type: 'steal-request', jobId: JOB }, body: undefined },
    ]);
    // One steal at a time; the grant goes on top of the deque and is confirmed to the controller.
    assert.deepEqual(sent(p.handle({ type: 'tick' }, 10), 'steal-request'), []);
    const grant = {
      type: 'steal-grant',
      jobId: JOB,
      chunks: [10, 11, 12].map((id) => ({ id, moves: 2, descriptor: { index: id } })),
      queued: 4,
    } as const;
    const granted = from(p, 'p3', grant, 20);
    assert.deepEqual(runs(granted), [12, 11]);
    assert.deepEqual(sent(granted, 'owner-changed')[0].message, {
      type: 'owner-changed',
      jobId: JOB,
      to: 'p1',
      chunks: [10, 11, 12].map((id) => ({ id, moves: 2 })),
    });
    assert.equal(p.snapshot()[0].stealsTaken, 1);
  });

  it('robs at once the peer the controller names in an empty answer, without its gossip', () => {
    const p = ready(2);
    p.handle({ type: 'peer-joined', peerId: 'p2' }, 0);
    p.handle({ type: 'peer-joined', peerId: 'p3' }, 0);
    from(p, 'p2', { type: 'job-load', jobId: JOB, queued: 5, running: 1 });
    const hint = [
      { peerId: 'p3', chunks: 6 },
      { peerId: 'p2', chunks: 1 },
    ];
    const effects = from(p, 'ctl', { ...assign([]), owners: hint });
    assert.deepEqual(
      sent(effects, 'steal-request').map(({ to }) => to),
      ['p3'],
    );
  });

  it('does not steal while the controller may still have chunks', () => {
    const p = ready(2);
    p.handle({ type: 'peer-joined', peerId: 'p2' }, 0);
    const effects = from(p, 'p2', { type: 'job-load', jobId: JOB, queued: 9, running: 1 });
    assert.deepEqual(sent(effects, 'steal-request'), []);
  });

  it('gives up a steal unanswered for 2 s and skips peers silent for 3 s', () => {
    const p = ready(1);
    p.handle({ type: 'peer-joined', peerId: 'p2' }, 0);
    p.handle({ type: 'peer-joined', peerId: 'p3' }, 0);
    from(p, 'p2', { type: 'job-load', jobId: JOB, queued: 9, running: 1 });
    from(p, 'p3', { type: 'job-load', jobId: JOB, queued: 2, running: 1 }, 1500);
    assert.equal(sent(from(p, 'ctl', assign([]), 1500), 'steal-request')[0].to, 'p2');
    assert.deepEqual(sent(p.handle({ type: 'tick' }, 3500), 'steal-request'), []);
    assert.equal(sent(p.handle({ type: 'tick' }, 3501), 'steal-request')[0].to, 'p3');
    p.handle({ type: 'tick' }, 6000); // p3's steal times out too; nobody fresh is left
    assert.deepEqual(sent(p.handle({ type: 'tick' }, 6100), 'steal-request'), []);
  });
});

describe('peer core: gossip', () => {
  it('gossips its queue length to every peer: every second, sooner (≥ 250 ms) on change', () => {
    const p = ready(1);
    p.handle({ type: 'peer-joined', peerId: 'p2' }, 0);
    const first = sent(p.handle({ type: 'tick' }, 0), 'job-load');
    assert.deepEqual(
      first.map((s) => [s.to, s.message.queued]),
      [
        ['ctl', 0],
        ['p2', 0],
      ],
    );
    from(p, 'ctl', assign([0, 1, 2]), 10);
    assert.deepEqual(sent(p.handle({ type: 'tick' }, 200), 'job-load'), []);
    assert.deepEqual(sent(p.handle({ type: 'tick' }, 250), 'job-load')[0].message.queued, 2);
    assert.deepEqual(sent(p.handle({ type: 'tick' }, 1000), 'job-load'), []);
    assert.deepEqual(sent(p.handle({ type: 'tick' }, 1250), 'job-load').length, 2);
  });
});
