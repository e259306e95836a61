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
    params: {},
    controllerId,
    epoch,
    chunkCount: 100,
  }) as const;

const assign = (ids: number[], epoch = 1) =>
  ({
    type: 'chunk-assign',
    jobId: JOB,
    epoch,
    chunks: ids.map((id) => ({ id, moves: 1, descriptor: { index: id } })),
    remaining: 0,
  }) as const;

function from(p: PeerCore, sender: string, message: OutgoingJobMessage, now = 0) {
  return p.handle({ type: 'received', from: sender, message: wire(message) }, now);
}

function done(p: PeerCore, chunkId: number, now = 0) {
  const result = Uint8Array.of(chunkId);
  return p.handle({ type: 'chunk-done', jobId: JOB, chunkId, computeMs: 5, result }, now);
}

/** A peer working on chunks 0–3 (running 3 and 2) of a job whose controller is `ctl`. */
function working() {
  const p = peer({ workers: 2 });
  p.handle({ type: 'peer-joined', peerId: 'ctl' }, 0);
  from(p, 'ctl', announce());
  p.handle({ type: 'kernel-ready', jobId: JOB }, 0);
  from(p, 'ctl', assign([0, 1, 2, 3]));
  return p;
}

describe('peer core: while the controller is away', () => {
  it('keeps computing and buffers results when the controller’s channel closed', () => {
    const p = working();
    p.handle({ type: 'peer-left', peerId: 'ctl' }, 100);
    const effects = done(p, 3, 200);
    assert.deepEqual(sent(effects, 'chunk-result'), []);
    assert.deepEqual(
      effectsOf(effects, 'run').map((r) => r.chunkId),
      [1],
    );
    assert.equal(p.snapshot()[0].unsent, 1);
    assert.equal(p.snapshot()[0].controllerReachable, false);
  });

  it('treats 3 s of silence as away, and sends its status when the controller speaks again', () => {
    const p = working();
    p.handle({ type: 'tick' }, 3000);
    assert.equal(p.snapshot()[0].controllerReachable, true);
    p.handle({ type: 'tick' }, 3001);
    assert.equal(p.snapshot()[0].controllerReachable, false);
    done(p, 3, 3100);
    const back = p.handle({ type: 'peer-heard', peerId: 'ctl' }, 3200);
    assert.deepEqual(sent(back, 'job-status')[0].message, {
      type: 'job-status',
      jobId: JOB,
      epoch: 1,
      held: [
        { id: 2, moves: 1 },
        { id: 1, moves: 1 },
        { id: 0, moves: 1 },
      ],
      buffered: [3],
    });
  });

  it('on a re-announce (new epoch, even a new controller id) reports held and buffered chunks, and delivers on request', () => {
    const p = working();
    p.handle({ type: 'peer-left', peerId: 'ctl' }, 100);
    done(p, 3, 200);
    done(p, 2, 300);
    const effects = from(p, 'ctl2', announce(2, 'ctl2'), 5000);
    assert.deepEqual(effectsOf(effects, 'load-kernel'), []);
    const status = sent(effects, 'job-status');
    assert.equal(status[0].to, 'ctl2');
    assert.deepEqual(status[0].message.held.map((c) => c.id).sort(), [0, 1]);
    assert.deepEqual(status[0].message.buffered, [3, 2]);
    const request = { type: 'result-request' as const, jobId: JOB, chunkIds: [2, 3, 9] };
    const delivered = sent(from(p, 'ctl2', request, 5001), 'chunk-result');
    assert.deepEqual(
      delivered.map((d) => [d.to, d.message.chunkId, d.body?.[0]]),
      [
        ['ctl2', 2, 2],
        ['ctl2', 3, 3],
      ],
    );
    assert.equal(p.snapshot()[0].unsent, 0);
    // An announce of an older epoch is ignored.
    assert.deepEqual(from(p, 'ctl', announce(1), 5002), []);
  });

  it('withholds the news of a steal while the controller is away and sends it before its status', () => {
    const p = working();
    p.handle({ type: 'peer-left', peerId: 'ctl' }, 100);
    const granted = from(p, 'thief', { type: 'steal-request', jobId: JOB }, 200);
    assert.deepEqual(
      sent(granted, 'steal-grant')[0].message.chunks.map((c) => c.id),
      [0],
    );
    assert.deepEqual(sent(granted, 'owner-changed'), []);
    const back = from(p, 'ctl', announce(2), 5000);
    assert.deepEqual(
      back.filter((e) => e.type === 'send').map((e) => e.type === 'send' && e.message.type),
      ['owner-changed', 'job-status', 'chunk-request'],
    );
    assert.deepEqual(sent(back, 'owner-changed')[0].message.chunks, [{ id: 0, moves: 2 }]);
  });

  it('re-sends the news of recent steals to a controller that restarted (it lost what it heard)', () => {
    const p = working();
    const granted = from(p, 'thief', { type: 'steal-request', jobId: JOB }, 100);
    assert.equal(sent(granted, 'owner-changed').length, 1); // told the old controller at once
    p.handle({ type: 'peer-left', peerId: 'ctl' }, 200);
    const sameEpoch = from(p, 'ctl', announce(1), 1000);
    assert.deepEqual(sent(sameEpoch, 'owner-changed'), []); // the same controller heard it
    const restarted = from(p, 'ctl', announce(2), 2000);
    assert.deepEqual(sent(restarted, 'owner-changed')[0].message.to, 'thief');
    const later = from(p, 'ctl', announce(3), 70_000); // older than retainMs: forgotten
    assert.deepEqual(sent(later, 'owner-changed'), []);
  });

  it('keeps delivered results 60 s for a controller that restarts before saving them', () => {
    const p = working();
    done(p, 3, 1000); // delivered at once
    const again = from(p, 'ctl', announce(2), 30_000);
    assert.deepEqual(sent(again, 'job-status')[0].message.buffered, [3]);
    p.handle({ type: 'peer-heard', peerId: 'ctl' }, 60_999);
    p.handle({ type: 'tick' }, 60_999);
    assert.equal(p.snapshot()[0].retained, 1);
    p.handle({ type: 'tick' }, 61_001);
    assert.equal(p.snapshot()[0].retained, 0);
  });

  it('re-sends a retained result when the controller assigns that chunk again', () => {
    const p = working();
    done(p, 3, 10);
    const effects = from(p, 'ctl', assign([3]), 20);
    assert.deepEqual(
      sent(effects, 'chunk-result').map((s) => s.message.chunkId),
      [3],
    );
    assert.deepEqual(effectsOf(effects, 'run'), []);
  });

  it('drops a job whose controller stays away for orphanMs', () => {
    const p = working();
    p.handle({ type: 'peer-left', peerId: 'ctl' }, 1000);
    assert.deepEqual(effectsOf(p.handle({ type: 'tick' }, 121_000), 'job-dropped'), []);
    const effects = p.handle({ type: 'tick' }, 121_001);
    assert.deepEqual(effects, [
      { type: 'abort', jobId: JOB },
      { type: 'job-dropped', jobId: JOB, reason: 'orphaned' },
    ]);
  });
});

describe('peer core: the end of a job', () => {
  it('drops the job on job-done or job-cancel from its controller, aborting running chunks', () => {
    const p = working();
    assert.deepEqual(from(p, 'other', { type: 'job-done', jobId: JOB, epoch: 1 }), []);
    assert.deepEqual(from(p, 'ctl', { type: 'job-cancel', jobId: JOB, epoch: 0 }), []);
    assert.deepEqual(from(p, 'ctl', { type: 'job-done', jobId: JOB, epoch: 1 }), [
      { type: 'abort', jobId: JOB },
      { type: 'job-dropped', jobId: JOB, reason: 'done' },
    ]);
    assert.deepEqual(p.snapshot(), []);
    assert.deepEqual(done(p, 3), []); // a late result of a dropped job goes nowhere
    const q = working();
    const cancelled = from(q, 'ctl', { type: 'job-cancel', jobId: JOB, epoch: 1 });
    assert.deepEqual(effectsOf(cancelled, 'job-dropped')[0].reason, 'cancelled');
  });

  it('drops the job when its kernel cannot be loaded', () => {
    const p = peer();
    from(p, 'ctl', announce());
    const effects = p.handle({ type: 'kernel-failed', jobId: JOB, reason: 'hash' }, 1);
    assert.deepEqual(effects, [{ type: 'job-dropped', jobId: JOB, reason: 'kernel-failed' }]);
  });

  it('runs more chunks at once when given more workers', () => {
    const p = working();
    const effects = p.handle({ type: 'set-workers', workers: 4 }, 1);
    assert.deepEqual(
      effectsOf(effects, 'run').map((r) => r.chunkId),
      [1, 0],
    );
  });
});
