import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerCore } from '../../../client/scheduler/controller-core.ts';
import type { ControllerEvent } from '../../../client/scheduler/controller-types.ts';
import { Verification } from '../../../client/scheduler/verification.ts';
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

/** A result whose decoded bytes hash to `hash`. */
function hashed(peerId: string, chunkId: number, hash: string, moves = 1): ControllerEvent {
  return { ...result(peerId, chunkId, { moves }), resultHash: hash };
}

function accepted(effects: ReturnType<ControllerCore['handle']>) {
  return effectsOf(effects, 'accept').map(({ chunkId, peerId }) => ({ chunkId, peerId }));
}

function peerStats(ctl: ControllerCore, peerId: string) {
  const stats = ctl.snapshot().peers.find((p) => p.peerId === peerId);
  assert.ok(stats, peerId);
  return stats;
}

describe('verification: replication', () => {
  it('runs a checked chunk on a second peer and accepts it once both agree', () => {
    const ctl = controller({ chunks: chunks(4), options: { verify: 1 } });
    joinPeer(ctl, 'a', 1);
    joinPeer(ctl, 'b', 1);
    assert.deepEqual(request(ctl, 'a'), [0, 1]);
    assert.deepEqual(accepted(ctl.handle(hashed('a', 0, 'h0'), 0)), []);
    assert.equal(ctl.chunk(0).state, 'queued');
    // The replica may not run where the first result came from.
    assert.deepEqual(request(ctl, 'a'), [2, 3]);
    assert.deepEqual(request(ctl, 'b'), [0]);
    assert.deepEqual(accepted(ctl.handle(hashed('b', 0, 'h0', 2), 0)), [
      { chunkId: 0, peerId: 'b' },
    ]);
    const snapshot = ctl.snapshot();
    assert.equal(snapshot.done, 1);
    assert.deepEqual(snapshot.verification, {
      fraction: 1,
      checkedChunks: 1,
      replicas: 1,
      recomputed: 0,
      overhead: 0.25,
      caught: [],
    });
    for (const id of ['a', 'b']) {
      const { checked, agreed, caught } = peerStats(ctl, id);
      assert.deepEqual({ checked, agreed, caught }, { checked: 1, agreed: 1, caught: false });
    }
  });

  it('accepts every result at once when verification is off', () => {
    const ctl = controller({ chunks: chunks(2) });
    joinPeer(ctl, 'a', 1);
    request(ctl, 'a');
    assert.deepEqual(accepted(ctl.handle(hashed('a', 0, 'h0'), 0)), [{ chunkId: 0, peerId: 'a' }]);
    assert.equal(ctl.snapshot().verification.checkedChunks, 0);
  });

  it('does not count a peer checking its own result (a stolen replica): it runs elsewhere', () => {
    const ctl = controller({ chunks: chunks(4), options: { verify: 1 } });
    joinPeer(ctl, 'a', 1);
    joinPeer(ctl, 'b', 1);
    request(ctl, 'a');
    ctl.handle(hashed('a', 0, 'h0'), 0);
    assert.ok(request(ctl, 'b').includes(0));
    // a steals chunk 0 from b and reports a result for it again.
    ctl.handle(
      received('b', { type: 'owner-changed', jobId: JOB, to: 'a', chunks: [{ id: 0, moves: 3 }] }),
      0,
    );
    assert.deepEqual(accepted(ctl.handle(hashed('a', 0, 'h0', 3), 0)), []);
    assert.equal(ctl.chunk(0).state, 'queued');
    assert.equal(peerStats(ctl, 'a').duplicates, 1);
  });

  it('takes a lone result alone when no other peer is left to check it', () => {
    const ctl = controller({ chunks: chunks(1), options: { verify: 1 } });
    joinPeer(ctl, 'a', 1);
    request(ctl, 'a');
    ctl.handle(hashed('a', 0, 'h0'), 0);
    assert.deepEqual(request(ctl, 'a'), []);
    // It waits a while for a peer that could check it…
    assert.deepEqual(sent(ctl.handle({ type: 'tick' }, 250), 'chunk-assign'), []);
    ctl.handle({ type: 'peer-heard', peerId: 'a' }, 2000);
    assert.deepEqual(sent(ctl.handle({ type: 'tick' }, 2000), 'chunk-assign'), []);
    ctl.handle({ type: 'peer-heard', peerId: 'a' }, 3250);
    const effects = ctl.handle({ type: 'tick' }, 3250);
    const again = sent(effects, 'chunk-assign').flatMap(({ message }) => message.chunks);
    assert.deepEqual(
      again.map((c) => c.id),
      [0],
    );
    const done = ctl.handle(hashed('a', 0, 'h0', again[0].moves), 3300);
    assert.deepEqual(accepted(done), [{ chunkId: 0, peerId: 'a' }]);
    assert.equal(effectsOf(done, 'done').length, 1);
  });
});

describe('verification: a mismatch', () => {
  it('goes to a third peer; the odd peer out is caught and removed from the job', () => {
    const ctl = controller({ chunks: chunks(8), options: { verify: 1 } });
    for (const id of ['a', 'b', 'c']) joinPeer(ctl, id, 1);
    assert.deepEqual(request(ctl, 'a'), [0, 1]);
    assert.deepEqual(request(ctl, 'b'), [2, 3]);
    ctl.handle(hashed('a', 0, 'good'), 0);
    assert.deepEqual(request(ctl, 'b'), [0]);
    assert.deepEqual(accepted(ctl.handle(hashed('b', 0, 'bad', 2), 0)), []);
    assert.ok(!request(ctl, 'a').includes(0)); // neither a nor b may decide
    assert.ok(!request(ctl, 'b').includes(0));
    assert.equal(request(ctl, 'c')[0], 0);
    const ownedByB = [...Array(8).keys()].filter((id) => ctl.chunk(id).owner === 'b');
    const effects = ctl.handle(hashed('c', 0, 'good', 3), 0);
    assert.deepEqual(accepted(effects), [{ chunkId: 0, peerId: 'c' }]);
    assert.deepEqual(effectsOf(effects, 'peer-caught'), [
      { type: 'peer-caught', peerId: 'b', recomputed: 0 },
    ]);
    assert.deepEqual(
      sent(effects, 'job-cancel').map(({ to }) => to),
      ['b'],
    );
    const [gone] = effectsOf(effects, 'peer-gone');
    assert.deepEqual(gone, {
      type: 'peer-gone',
      peerId: 'b',
      reason: 'untrusted',
      requeued: ownedByB.length,
    });
    for (const id of ownedByB) assert.equal(ctl.chunk(id).state, 'queued');
    assert.deepEqual(peerStats(ctl, 'b').caught, true);
    assert.deepEqual(peerStats(ctl, 'b').alive, false);
    assert.deepEqual(ctl.snapshot().verification.caught, ['b']);
    // Nothing more of b counts, and it does not come back by speaking or rejoining.
    assert.deepEqual(accepted(ctl.handle(hashed('b', 2, 'x', 1), 0)), []);
    assert.deepEqual(request(ctl, 'b'), []);
    ctl.handle({ type: 'peer-heard', peerId: 'b' }, 0);
    const rejoin = ctl.handle({ type: 'peer-joined', peerId: 'b', cores: 1 }, 0);
    assert.deepEqual(sent(rejoin, 'job-announce'), []);
    assert.equal(peerStats(ctl, 'b').alive, false);
  });

  it('recomputes every chunk the caught peer delivered that no other peer confirmed', () => {
    const ctl = controller({ chunks: chunks(40), options: { verify: 0.5, maxBatch: 40 } });
    joinPeer(ctl, 'a', 1);
    joinPeer(ctl, 'b', 16);
    joinPeer(ctl, 'c', 1);
    const mine = request(ctl, 'b');
    assert.ok(mine.length >= 2);
    const unchecked: number[] = [];
    const checked: number[] = [];
    for (const id of mine) {
      const took = accepted(ctl.handle(hashed('b', id, `bad${id}`), 0));
      (took.length > 0 ? unchecked : checked).push(id);
    }
    assert.ok(unchecked.length > 0 && checked.length > 0, `${unchecked} / ${checked}`);
    const doneBefore = ctl.snapshot().done;
    // Two honest peers outvote b on one chunk it was checked on.
    const disputed = checked[0];
    const votes = [hashed('a', disputed, 'good', 5), hashed('c', disputed, 'good', 6)];
    const effects = votes.flatMap((event) => ctl.handle(event, 0));
    assert.deepEqual(
      effectsOf(effects, 'revoke').map((e) => e.chunkId),
      unchecked,
    );
    assert.equal(ctl.snapshot().done, doneBefore - unchecked.length + 1);
    for (const id of unchecked) assert.equal(ctl.chunk(id).state, 'queued');
    assert.equal(ctl.snapshot().verification.recomputed, unchecked.length);
    // b's other checked chunks lost its vote: their next result starts afresh.
    for (const id of checked.slice(1)) assert.equal(ctl.chunk(id).state, 'queued');
  });

  it('trusts the controller’s own results: never checked, and decisive in a dispute', () => {
    const ctl = controller({ chunks: chunks(6), localCores: 1, options: { verify: 1 } });
    joinPeer(ctl, 'ctl', 1);
    joinPeer(ctl, 'a', 1);
    joinPeer(ctl, 'b', 1);
    const own = request(ctl, 'ctl');
    assert.deepEqual(accepted(ctl.handle(hashed('ctl', own[0], 'h'), 0)), [
      { chunkId: own[0], peerId: 'ctl' },
    ]);
    const [x] = request(ctl, 'a');
    ctl.handle(hashed('a', x, 'right'), 0);
    ctl.handle(hashed('b', x, 'wrong', 2), 0);
    const effects = ctl.handle(hashed('ctl', x, 'right', 3), 0);
    assert.deepEqual(accepted(effects), [{ chunkId: x, peerId: 'ctl' }]);
    assert.deepEqual(
      effectsOf(effects, 'peer-caught').map((e) => e.peerId),
      ['b'],
    );
  });
});

describe('verification: adaptive replication', () => {
  it('checks a peer less as its agreeing results grow, never below the floor', () => {
    const options = {
      verify: 0.5,
      verifyMin: 0.02,
      verifyTrustScale: 20,
      verifyAloneAfterMs: 3000,
    };
    const v = new Verification(options, 'ctl', () => 0);
    assert.equal(v.checkProbability('a'), 0.5);
    for (let id = 0; id < 20; id++) {
      assert.equal(v.vote(id, 'a', 'h').kind, 'wait');
      assert.equal(v.vote(id, 'b', 'h').kind, 'accept');
    }
    assert.equal(v.trustOf('a').agreed, 20);
    assert.equal(v.checkProbability('a'), 0.25);
    for (let id = 20; id < 2000; id++) {
      v.vote(id, 'a', 'h');
      v.vote(id, 'b', 'h');
    }
    assert.equal(v.checkProbability('a'), 0.02);
    assert.equal(v.checkProbability('ctl'), 0);
    assert.equal(
      new Verification({ ...options, verify: 1 }, 'ctl', () => 0).checkProbability('a'),
      1,
    );
    assert.equal(
      new Verification({ ...options, verify: 0 }, 'ctl', () => 0).checkProbability('a'),
      0,
    );
  });

  it('checks about the chosen fraction of a new peer’s results', () => {
    const ctl = controller({ chunks: chunks(400), options: { verify: 0.25, maxBatch: 256 } });
    joinPeer(ctl, 'a', 64);
    let waited = 0;
    for (const id of request(ctl, 'a')) {
      if (accepted(ctl.handle(hashed('a', id, 'h'), 0)).length === 0) waited += 1;
    }
    assert.ok(waited > 20 && waited < 110, `${waited} of 256 checked`);
  });
});
