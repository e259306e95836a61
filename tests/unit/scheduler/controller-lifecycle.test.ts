import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  JOB,
  chunks,
  controller,
  effectsOf,
  joinPeer,
  received,
  request,
  result,
  sent,
} from './support/helpers.ts';

const status = (epoch: number, held: { id: number; moves: number }[], buffered: number[]) =>
  ({ type: 'job-status', jobId: JOB, epoch, held, buffered }) as const;

describe('controller core: checkpoints', () => {
  it('checkpoints every N accepted results', () => {
    const ctl = controller({ chunks: chunks(20), options: { checkpointEvery: 3 } });
    joinPeer(ctl, 'a', 4);
    const ids = request(ctl, 'a');
    assert.deepEqual(effectsOf(ctl.handle(result('a', ids[0]), 1), 'checkpoint'), []);
    assert.deepEqual(effectsOf(ctl.handle(result('a', ids[1]), 2), 'checkpoint'), []);
    assert.deepEqual(effectsOf(ctl.handle(result('a', ids[2]), 3), 'checkpoint'), [
      { type: 'checkpoint', epoch: 1, chunkIds: ids.slice(0, 3), peers: ['a'] },
    ]);
  });

  it('checkpoints what waited checkpointIntervalMs, on tick', () => {
    const ctl = controller({ chunks: chunks(20), options: { checkpointIntervalMs: 1000 } });
    joinPeer(ctl, 'a', 2);
    request(ctl, 'a');
    ctl.handle({ type: 'tick' }, 0); // saves the new set of peers
    ctl.handle(result('a', 0), 100);
    ctl.handle(result('a', 1), 600);
    assert.deepEqual(effectsOf(ctl.handle({ type: 'tick' }, 1099), 'checkpoint'), []);
    const due = effectsOf(ctl.handle({ type: 'tick' }, 1100), 'checkpoint');
    assert.deepEqual(
      due.map((c) => c.chunkIds),
      [[0, 1]],
    );
    assert.deepEqual(effectsOf(ctl.handle({ type: 'tick' }, 3000), 'checkpoint'), []);
  });

  it('saves the set of peers whenever it changes, so that a restore knows whom to wait for', () => {
    const ctl = controller({ chunks: chunks(20) });
    joinPeer(ctl, 'b', 1);
    joinPeer(ctl, 'a', 1);
    assert.deepEqual(effectsOf(ctl.handle({ type: 'tick' }, 10), 'checkpoint'), [
      { type: 'checkpoint', epoch: 1, chunkIds: [], peers: ['a', 'b'] },
    ]);
    assert.deepEqual(effectsOf(ctl.handle({ type: 'tick' }, 20), 'checkpoint'), []);
    ctl.handle({ type: 'peer-left', peerId: 'b' }, 30);
    const after = effectsOf(ctl.handle({ type: 'tick' }, 40), 'checkpoint');
    assert.deepEqual(
      after.map((c) => c.peers),
      [['a']],
    );
  });
});

describe('controller core: the end of a job', () => {
  it('when every chunk is accepted: a last checkpoint, job-done to every peer, done', () => {
    const ctl = controller({ chunks: chunks(3), localCores: 1 });
    joinPeer(ctl, 'ctl', 1);
    joinPeer(ctl, 'a', 1);
    ctl.handle({ type: 'peer-left', peerId: 'a' }, 1);
    request(ctl, 'ctl');
    ctl.handle(result('ctl', 0), 2);
    ctl.handle(result('ctl', 1), 3);
    const effects = ctl.handle(result('ctl', 2), 4);
    assert.deepEqual(
      effects.map((e) => e.type),
      ['accept', 'checkpoint', 'send', 'send', 'done'],
    );
    assert.deepEqual(effectsOf(effects, 'checkpoint')[0].chunkIds, [0, 1, 2]);
    assert.deepEqual(
      sent(effects, 'job-done')
        .map((s) => s.to)
        .sort(),
      ['a', 'ctl'],
    );
    assert.equal(ctl.snapshot().status, 'done');
  });

  it('after the end, tells a peer that joins or still talks about the job', () => {
    const ctl = controller({ chunks: chunks(1) });
    joinPeer(ctl, 'a', 1);
    request(ctl, 'a');
    ctl.handle(result('a', 0), 1);
    const late = ctl.handle(result('b', 0), 2);
    assert.deepEqual(
      sent(late, 'job-done').map((s) => s.to),
      ['b'],
    );
    assert.deepEqual(effectsOf(late, 'accept'), []);
    const joined = ctl.handle({ type: 'peer-joined', peerId: 'c', cores: 1 }, 3);
    assert.deepEqual(
      sent(joined, 'job-done').map((s) => s.to),
      ['c'],
    );
    // Its own messages looping back (job-done to its own tab) are not answered.
    const loop = ctl.handle(received('ctl', { type: 'job-done', jobId: JOB, epoch: 1 }), 4);
    assert.deepEqual(loop, []);
  });

  it('cancels: job-cancel to every peer, then nothing more is accepted', () => {
    const ctl = controller({ chunks: chunks(10) });
    joinPeer(ctl, 'a', 1);
    joinPeer(ctl, 'b', 1);
    request(ctl, 'a');
    const effects = ctl.handle({ type: 'cancel' }, 5);
    assert.deepEqual(
      sent(effects, 'job-cancel').map((s) => [s.to, s.message.epoch]),
      [
        ['a', 1],
        ['b', 1],
      ],
    );
    assert.deepEqual(effectsOf(effects, 'cancelled'), [{ type: 'cancelled' }]);
    const late = ctl.handle(result('a', 0), 6);
    assert.deepEqual(effectsOf(late, 'accept'), []);
    assert.deepEqual(
      sent(late, 'job-cancel').map((s) => s.to),
      ['a'],
    );
    assert.equal(ctl.snapshot().status, 'cancelled');
  });

  it('a job of no chunks is done at once', () => {
    const ctl = controller({ chunks: [] });
    assert.equal(ctl.snapshot().status, 'done');
  });
});

describe('controller core: restore after a restart', () => {
  const done = Array.from({ length: 50 }, (_, i) => i);

  it('announces a new epoch and keeps chunks in limbo until the peers report', () => {
    const ctl = controller({ restore: { done, epoch: 3, expectPeers: ['a', 'b'] } });
    assert.equal(ctl.epoch, 4);
    assert.deepEqual(ctl.snapshot().done, 50);
    assert.deepEqual(ctl.snapshot().limbo, 50);
    joinPeer(ctl, 'b', 1); // b holds nothing
    assert.equal(ctl.snapshot().limbo, 50);
    assert.deepEqual(request(ctl, 'b'), []);
    ctl.handle({ type: 'peer-joined', peerId: 'a', cores: 1 }, 10);
    const held = [
      { id: 50, moves: 1 },
      { id: 51, moves: 2 },
    ];
    const effects = ctl.handle(received('a', status(4, held, [52, 10])), 11);
    assert.deepEqual(
      sent(effects, 'result-request').map((s) => s.message.chunkIds),
      [[52]],
    );
    assert.equal(ctl.snapshot().limbo, 0);
    assert.equal(ctl.chunk(51).owner, 'a');
    assert.equal(ctl.chunk(52).owner, 'a');
    // b was waiting: it gets limbo's chunks, but none that a holds or can deliver.
    const pushed = sent(effects, 'chunk-assign').flatMap((s) => s.message.chunks.map((c) => c.id));
    assert.deepEqual(pushed, [53, 54]);
  });

  it('ignores a status from an older epoch', () => {
    const ctl = controller({ restore: { done, epoch: 1, expectPeers: ['a'] } });
    ctl.handle({ type: 'peer-joined', peerId: 'a', cores: 1 }, 0);
    ctl.handle(received('a', status(1, [{ id: 60, moves: 1 }], [])), 1);
    assert.equal(ctl.snapshot().limbo, 50);
  });

  it('queues limbo after restoreGraceMs when an expected peer never comes back', () => {
    const ctl = controller({ restore: { done, epoch: 1, expectPeers: ['gone'] } });
    joinPeer(ctl, 'a', 1);
    ctl.handle({ type: 'tick' }, 4999);
    assert.equal(ctl.snapshot().limbo, 50);
    ctl.handle({ type: 'tick' }, 5000);
    assert.equal(ctl.snapshot().limbo, 0);
    assert.equal(ctl.snapshot().queued, 50);
  });

  it('recomputes no more than what was in flight: held and buffered chunks are not queued', () => {
    // Before the restart: 0–49 checkpointed; 50–59 handed out (in flight), 60–99 never.
    const ctl = controller({ restore: { done, epoch: 1, expectPeers: ['a', 'b'] } });
    ctl.handle({ type: 'peer-joined', peerId: 'a', cores: 1 }, 0);
    ctl.handle({ type: 'peer-joined', peerId: 'b', cores: 1 }, 0);
    const aHeld = [50, 51, 52].map((id) => ({ id, moves: 1 }));
    ctl.handle(received('a', status(2, aHeld, [53, 54])), 1);
    ctl.handle(received('b', status(2, [{ id: 55, moves: 1 }], [56, 57])), 1);
    // 58 and 59 were lost (their holder died with the controller away): only those run again.
    const inFlight = 10;
    const handedOut = new Set<number>();
    for (let i = 0; i < 50 && ctl.snapshot().queued > 0; i++) {
      for (const id of request(ctl, i % 2 ? 'a' : 'b')) handedOut.add(id);
    }
    const again = [...handedOut].filter((id) => id < 60);
    assert.deepEqual(again.sort(), [58, 59]);
    assert.ok(again.length <= inFlight);
  });
});
