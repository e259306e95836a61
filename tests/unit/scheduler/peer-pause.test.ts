// The person's control over a peer: nothing fetched or run before it contributes, pause hands
// queued chunks back at once (and the controller requeues them), resume takes chunks again,
// leave gives everything back.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerCore } from '../../../client/scheduler/peer-core.ts';
import type { ControllerCore } from '../../../client/scheduler/controller-core.ts';
import type { OutgoingJobMessage } from '../../../client/scheduler/job-messages.ts';
import type { PeerEffect } from '../../../client/scheduler/peer-types.ts';
import {
  JOB,
  SHA,
  controller,
  effectsOf,
  joinPeer,
  peer,
  received,
  request,
  sent,
  wire,
} from './support/helpers.ts';

const announce = (controllerId = 'ctl') =>
  ({
    type: 'job-announce',
    jobId: JOB,
    kernel: 'fake',
    sha256: SHA,
    params: { n: 1 },
    controllerId,
    epoch: 1,
    chunkCount: 100,
  }) as const;

const assign = (ids: number[], moves = 1) =>
  ({
    type: 'chunk-assign',
    jobId: JOB,
    epoch: 1,
    chunks: ids.map((id) => ({ id, moves, descriptor: { index: id } })),
    remaining: 50,
  }) as const;

function from(p: PeerCore, sender: string, message: OutgoingJobMessage, now = 0) {
  return p.handle({ type: 'received', from: sender, message: wire(message) }, now);
}

const runs = (effects: PeerEffect[]) => effectsOf(effects, 'run').map((r) => r.chunkId);

/** The last job-status the peer sent, as the ids it says it holds. */
function heldInStatus(effects: PeerEffect[]): number[] | undefined {
  return sent(effects, 'job-status')
    .at(-1)
    ?.message.held.map((c) => c.id);
}

/** A contributing peer in the job, kernel ready, running 5 and 4 with 0–3 queued. */
function busyPeer(): PeerCore {
  const p = peer({ workers: 2 });
  from(p, 'ctl', announce());
  p.handle({ type: 'kernel-ready', jobId: JOB }, 0);
  assert.deepEqual(runs(from(p, 'ctl', assign([0, 1, 2, 3, 4, 5]))), [5, 4]);
  return p;
}

describe('peer core: nothing before consent', () => {
  it('a paused peer answers an announce but loads no kernel and asks for nothing', () => {
    const p = peer({ paused: true });
    const effects = from(p, 'ctl', announce());
    assert.deepEqual(effectsOf(effects, 'load-kernel'), []);
    assert.deepEqual(sent(effects, 'chunk-request'), []);
    assert.deepEqual(heldInStatus(effects), []);
    assert.equal(p.paused, true);
  });

  it('a peer with no workers fetches no kernel either', () => {
    const p = peer({ workers: 0 });
    assert.deepEqual(effectsOf(from(p, 'ctl', announce()), 'load-kernel'), []);
  });

  it('runs none of the chunks pushed to it, and hands them straight back', () => {
    const p = peer({ paused: true });
    from(p, 'ctl', announce());
    p.handle({ type: 'kernel-ready', jobId: JOB }, 0); // even if a kernel came from elsewhere
    const effects = from(p, 'ctl', assign([0, 1, 2]));
    assert.deepEqual(runs(effects), []);
    assert.deepEqual(heldInStatus(effects), []);
    assert.equal(p.snapshot()[0].queued, 0);
  });

  it('on resume loads the deferred kernel, then asks for chunks', () => {
    const p = peer({ paused: true });
    from(p, 'ctl', announce());
    const resumed = p.handle({ type: 'resume' }, 1);
    assert.deepEqual(
      effectsOf(resumed, 'load-kernel').map((e) => e.jobId),
      [JOB],
    );
    assert.deepEqual(sent(resumed, 'chunk-request'), []);
    const ready = p.handle({ type: 'kernel-ready', jobId: JOB }, 2);
    assert.equal(sent(ready, 'chunk-request').length, 1);
  });

  it('going from 0 workers to some loads the deferred kernel', () => {
    const p = peer({ workers: 0 });
    from(p, 'ctl', announce());
    const effects = p.handle({ type: 'set-workers', workers: 2 }, 1);
    assert.equal(effectsOf(effects, 'load-kernel').length, 1);
  });
});

describe('peer core: pause and resume', () => {
  it('pause empties the deque and tells the controller it holds only the running chunks', () => {
    const p = busyPeer();
    const effects = p.handle({ type: 'pause' }, 1);
    assert.deepEqual(heldInStatus(effects)?.sort(), [4, 5]);
    assert.deepEqual(runs(effects), []);
    assert.equal(p.snapshot()[0].queued, 0);
    assert.equal(p.snapshot()[0].running, 2);
  });

  it('running chunks finish and deliver while paused, and nothing new starts', () => {
    const p = busyPeer();
    p.handle({ type: 'pause' }, 1);
    const done = p.handle(
      { type: 'chunk-done', jobId: JOB, chunkId: 5, computeMs: 3, result: Uint8Array.of(5) },
      2,
    );
    assert.deepEqual(
      sent(done, 'chunk-result').map((s) => s.message.chunkId),
      [5],
    );
    assert.deepEqual(runs(done), []);
    assert.deepEqual(sent(done, 'chunk-request'), []);
  });

  it('chunks that reach a paused peer later (an assign, a steal grant) go straight back', () => {
    const p = busyPeer();
    p.handle({ type: 'pause' }, 1);
    const late = from(p, 'ctl', assign([10, 11]), 2);
    assert.deepEqual(heldInStatus(late)?.sort(), [4, 5]);
    const grant = from(
      p,
      'p2',
      {
        type: 'steal-grant',
        jobId: JOB,
        chunks: [{ id: 20, moves: 2, descriptor: {} }],
        queued: 0,
      },
      3,
    );
    assert.deepEqual(
      sent(grant, 'owner-changed').map((s) => s.message.to),
      ['p1'],
    );
    assert.deepEqual(heldInStatus(grant)?.sort(), [4, 5]);
    assert.equal(p.snapshot()[0].queued, 0);
  });

  it('a paused peer grants no steals', () => {
    const p = busyPeer();
    p.handle({ type: 'pause' }, 1);
    const effects = from(p, 'p2', { type: 'steal-request', jobId: JOB }, 2);
    assert.deepEqual(
      sent(effects, 'steal-grant').map((s) => s.message.chunks.length),
      [0],
    );
  });

  it('resume asks for chunks again, even after an empty answer made it wait', () => {
    const p = busyPeer();
    p.handle({ type: 'pause' }, 1);
    from(p, 'ctl', assign([]), 2); // the answer to a request sent before the pause
    const resumed = p.handle({ type: 'resume' }, 3);
    assert.equal(p.paused, false);
    assert.equal(sent(resumed, 'chunk-request').length, 1);
  });

  it('setting 0 workers releases the queued chunks too', () => {
    const p = busyPeer();
    const effects = p.handle({ type: 'set-workers', workers: 0 }, 1);
    assert.deepEqual(heldInStatus(effects)?.sort(), [4, 5]);
  });
});

describe('peer core: leave', () => {
  it('aborts running chunks, reports holding nothing, and drops the job', () => {
    const p = busyPeer();
    const effects = p.handle({ type: 'leave' }, 1);
    assert.deepEqual(heldInStatus(effects), []);
    assert.deepEqual(
      effectsOf(effects, 'abort').map((e) => e.jobId),
      [JOB],
    );
    assert.deepEqual(
      effectsOf(effects, 'job-dropped').map((e) => e.reason),
      ['left'],
    );
    assert.deepEqual(p.snapshot(), []);
    // A late chunk-done from an aborted worker is ignored.
    const late = p.handle(
      { type: 'chunk-done', jobId: JOB, chunkId: 5, computeMs: 3, result: Uint8Array.of(5) },
      2,
    );
    assert.deepEqual(sent(late, 'chunk-result'), []);
  });
});

describe('controller and peer: a pause requeues at once', () => {
  /** Feeds the peer's messages to the controller; returns the controller's effects. */
  function deliver(ctl: ControllerCore, peerId: string, effects: PeerEffect[], now: number) {
    return effects.flatMap((effect) =>
      effect.type === 'send' && effect.to === 'ctl'
        ? ctl.handle(received(peerId, effect.message), now)
        : [],
    );
  }

  it('queued chunks go back to the front of the queue and to a waiting peer', () => {
    const ctl = controller();
    joinPeer(ctl, 'p1', 2);
    joinPeer(ctl, 'p2', 2);
    // p1 gets a batch; p2 is served too, then waits on an empty queue.
    const p = peer({ selfId: 'p1', workers: 2 });
    from(p, 'ctl', announce());
    p.handle({ type: 'kernel-ready', jobId: JOB }, 0);
    const batch = request(ctl, 'p1');
    assert.ok(batch.length > 2, `a batch of ${batch.length}`);
    const started = runs(from(p, 'ctl', assign(batch)));
    while (request(ctl, 'p2').length > 0);
    assert.equal(ctl.snapshot().queued, 0);

    const back = deliver(ctl, 'p1', p.handle({ type: 'pause' }, 10), 10);
    const released = batch.filter((id) => !started.includes(id));
    for (const id of started) assert.equal(ctl.chunk(id).owner, 'p1', `chunk ${id}`);
    for (const id of released) {
      const { state, owner } = ctl.chunk(id);
      assert.ok(state === 'queued' || owner === 'p2', `chunk ${id}: ${state} ${owner}`);
    }
    // p2 was waiting on an empty queue: it is served from them in the same turn.
    const toP2 = sent(back, 'chunk-assign').filter((s) => s.to === 'p2');
    const served = toP2.flatMap((s) => s.message.chunks.map((c) => c.id));
    assert.ok(served.length > 0);
    for (const id of served) assert.ok(released.includes(id), `chunk ${id} was released`);
  });

  it('a leave requeues everything, running chunks too', () => {
    const ctl = controller();
    joinPeer(ctl, 'p1', 2);
    const p = peer({ selfId: 'p1', workers: 2 });
    from(p, 'ctl', announce());
    p.handle({ type: 'kernel-ready', jobId: JOB }, 0);
    const batch = request(ctl, 'p1');
    from(p, 'ctl', assign(batch));
    deliver(ctl, 'p1', p.handle({ type: 'leave' }, 10), 10);
    for (const id of batch) assert.equal(ctl.chunk(id).state, 'queued', `chunk ${id}`);
  });
});
