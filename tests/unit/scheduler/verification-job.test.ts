import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ControllerJob } from '../../../client/jobs/controller-job.ts';
import { encodeResult } from '../../../client/protocol/result-encoding.ts';
import { fakeKernel, fakeOutput, fakeResult } from '../../../client/scheduler/fake-kernel.ts';
import type { OutgoingJobMessage } from '../../../client/scheduler/job-messages.ts';
import { JOB, wire } from './support/helpers.ts';

/** A ControllerJob of the fake kernel; `assigned` collects the chunks sent to each peer. */
function job(verify: number, chunkCount: number) {
  const assigned = new Map<string, number[]>();
  const send = (to: string, message: OutgoingJobMessage) => {
    if (message.type !== 'chunk-assign') return;
    assigned.set(to, [...(assigned.get(to) ?? []), ...message.chunks.map((c) => c.id)]);
  };
  const controller = new ControllerJob({
    jobId: JOB,
    selfId: 'ctl',
    meta: fakeKernel,
    params: { chunkCosts: new Array<number>(chunkCount).fill(1) },
    kernel: { name: 'fake', sha256: 'a'.repeat(64) },
    localCores: 0,
    verify,
    send,
  });
  controller.start();
  const join = (peerId: string, cores: number) => {
    controller.handle({ type: 'peer-joined', peerId, cores });
    controller.received(
      peerId,
      wire({ type: 'job-status', jobId: JOB, epoch: 1, held: [], buffered: [] }),
    );
  };
  const ask = (peerId: string): number[] => {
    assigned.delete(peerId);
    controller.received(peerId, wire({ type: 'chunk-request', jobId: JOB, want: 1 }));
    return assigned.get(peerId) ?? [];
  };
  const deliver = (peerId: string, chunkId: number, bytes = fakeResult(chunkId)) => {
    const message = { type: 'chunk-result', jobId: JOB, chunkId, moves: 1, computeMs: 5 } as const;
    controller.received(peerId, wire(message), encodeResult(bytes));
  };
  return { controller, join, ask, deliver };
}

function corrupt(chunkId: number): Uint8Array {
  const bytes = fakeResult(chunkId);
  bytes[0] ^= 0xff;
  return bytes;
}

describe('verification in the controller job', () => {
  it('overwrites what a caught peer merged unchecked, so the output is the honest one', () => {
    const { controller, join, ask, deliver } = job(0.5, 40);
    const caught: string[] = [];
    const revoked: number[] = [];
    controller.on('peer-caught', ({ peerId }) => caught.push(peerId));
    controller.on('revoked', ({ chunkId }) => revoked.push(chunkId));
    join('a', 1);
    join('bad', 16);
    join('c', 1);
    const theirs = ask('bad');
    const merged: number[] = [];
    const waiting: number[] = [];
    for (const id of theirs) {
      const before = controller.snapshot().done;
      deliver('bad', id, corrupt(id));
      (controller.snapshot().done > before ? merged : waiting).push(id);
    }
    assert.ok(merged.length > 0 && waiting.length > 0);
    // Two honest peers disagree with it on one chunk: it is caught.
    deliver('a', waiting[0]);
    deliver('c', waiting[0]);
    assert.deepEqual(caught, ['bad']);
    assert.deepEqual(revoked, merged);
    // The honest peers compute the rest; checked chunks need both of them.
    for (let round = 0; round < 200 && controller.snapshot().status === 'running'; round++) {
      for (const peerId of ['a', 'c']) for (const id of ask(peerId)) deliver(peerId, id);
    }
    assert.equal(controller.snapshot().status, 'done');
    assert.deepEqual(controller.output, fakeOutput({ chunkCosts: new Array<number>(40).fill(1) }));
    assert.equal(controller.doneCost, 40);
    const { verification } = controller.snapshot();
    assert.deepEqual(verification.caught, ['bad']);
    assert.equal(verification.recomputed, merged.length);
  });
});
