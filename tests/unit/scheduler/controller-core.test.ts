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

describe('controller core: handing out chunks', () => {
  it('announces the job to a joining peer, and to its own tab when it computes', () => {
    const local = controller({ localCores: 2 });
    const announced = sent(
      local.handle({ type: 'peer-joined', peerId: 'a', cores: 1 }, 0),
      'job-announce',
    );
    assert.deepEqual(announced, [
      {
        to: 'a',
        message: {
          type: 'job-announce',
          jobId: JOB,
          kernel: 'fake',
          sha256: 'a'.repeat(64),
          params: { test: true },
          controllerId: 'ctl',
          epoch: 1,
          chunkCount: 100,
        },
        body: undefined,
      },
    ]);
    const fresh = controller({ localCores: 2 });
    assert.equal(fresh.snapshot().peers.find((p) => p.peerId === 'ctl')?.alive, true);
    const none = controller({ localCores: 0 });
    assert.equal(none.snapshot().peers.length, 0);
    assert.deepEqual(none.handle({ type: 'peer-joined', peerId: 'z', cores: 0 }, 0), []);
  });

  it('serves a peer only after it answered the announce', () => {
    const ctl = controller();
    ctl.handle({ type: 'peer-joined', peerId: 'a', cores: 1 }, 0);
    assert.deepEqual(request(ctl, 'a'), []);
    joinPeer(ctl, 'a', 1);
    assert.deepEqual(request(ctl, 'a'), [0, 1]);
  });

  it('serves a request that arrived before the peer answered the announce as soon as it does', () => {
    // A peer may ask as soon as its kernel is ready, so its request can cross its job-status.
    const ctl = controller();
    ctl.handle({ type: 'peer-joined', peerId: 'a', cores: 1 }, 0);
    assert.deepEqual(request(ctl, 'a'), []);
    const effects = ctl.handle(
      received('a', { type: 'job-status', jobId: JOB, epoch: ctl.epoch, held: [], buffered: [] }),
      0,
    );
    const assigned = sent(effects, 'chunk-assign').flatMap(({ message }) =>
      message.chunks.map((c) => c.id),
    );
    assert.deepEqual(assigned, [0, 1]);
  });

  it('seeds batches in proportion to throughput (default rate × donated cores)', () => {
    const ctl = controller({ chunks: chunks(1000) });
    joinPeer(ctl, 'a', 1);
    joinPeer(ctl, 'b', 4);
    const a = request(ctl, 'a');
    const b = request(ctl, 'b');
    assert.equal(a.length, 2); // 2000 ms of work at the assumed 1000 ms per chunk and core
    assert.equal(b.length, 8);
    assert.deepEqual(a, [0, 1]);
    assert.deepEqual(b, [2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('sizes later batches by the throughput learned from results', () => {
    const ctl = controller({ chunks: chunks(1000) });
    joinPeer(ctl, 'fast', 1);
    joinPeer(ctl, 'slow', 1);
    const fast = request(ctl, 'fast');
    const slow = request(ctl, 'slow');
    for (const id of fast) ctl.handle(result('fast', id, { ms: 100 }), 10); // 10× the default
    for (const id of slow) ctl.handle(result('slow', id, { ms: 2000 }), 10); // ½ the default
    assert.equal(request(ctl, 'fast').length, 20);
    assert.equal(request(ctl, 'slow').length, 1);
    const stats = ctl.snapshot().peers.find((p) => p.peerId === 'fast');
    assert.equal(stats?.chunksComputed, 2);
    assert.equal(stats?.computeMs, 200);
    assert.ok(Math.abs((stats?.throughput ?? 0) - 0.1) < 1e-9);
  });

  it('counts per peer the cost done, the input bytes reported and the result bytes received', () => {
    const ctl = controller({ chunks: chunks(10, (i) => i + 1) });
    joinPeer(ctl, 'a', 1);
    const [first, second] = request(ctl, 'a') as [number, number];
    const withInput = received(
      'a',
      {
        type: 'chunk-result',
        jobId: JOB,
        chunkId: first,
        moves: 1,
        computeMs: 5,
        inputBytes: 4096,
      },
      true,
    );
    ctl.handle({ ...withInput, bodyBytes: 300 }, 1);
    ctl.handle({ ...result('a', second), bodyBytes: 200 }, 2);
    // A duplicate still crossed the wire: its bytes count, its cost does not.
    ctl.handle({ ...result('a', second), bodyBytes: 200 }, 3);
    const stats = ctl.snapshot().peers.find((p) => p.peerId === 'a');
    assert.equal(stats?.costDone, first + 1 + second + 1);
    assert.equal(stats?.inputBytes, 4096);
    assert.equal(stats?.resultBytes, 700);
  });

  it('gives no peer more than its throughput share of what is queued', () => {
    const ctl = controller({ chunks: chunks(6) });
    joinPeer(ctl, 'a', 4);
    joinPeer(ctl, 'b', 4);
    assert.deepEqual(request(ctl, 'a'), [0, 1, 2]);
    assert.deepEqual(request(ctl, 'b'), [3, 4]); // half of the three still queued
  });

  it('remembers a peer it had nothing for and serves it once chunks are queued again', () => {
    const ctl = controller({ chunks: chunks(4) });
    joinPeer(ctl, 'a', 2);
    assert.deepEqual(request(ctl, 'a'), [0, 1, 2, 3]);
    joinPeer(ctl, 'b', 2);
    const empty = ctl.handle(received('b', { type: 'chunk-request', jobId: JOB, want: 2 }), 0);
    assert.deepEqual(sent(empty, 'chunk-assign')[0].message.chunks, []);
    assert.equal(sent(empty, 'chunk-assign')[0].message.remaining, 0);
    // Where to steal: a owns 4 chunks on 2 cores, so about 2 not yet started.
    assert.deepEqual(sent(empty, 'chunk-assign')[0].message.owners, [{ peerId: 'a', chunks: 2 }]);
    const gone = ctl.handle({ type: 'peer-left', peerId: 'a' }, 100);
    assert.deepEqual(effectsOf(gone, 'peer-gone'), [
      { type: 'peer-gone', peerId: 'a', reason: 'left', requeued: 4 },
    ]);
    const pushed = sent(gone, 'chunk-assign');
    assert.equal(pushed[0].to, 'b');
    assert.deepEqual(
      pushed[0].message.chunks.map((c) => [c.id, c.moves]),
      [
        [0, 2],
        [1, 2],
        [2, 2],
        [3, 2],
      ],
    );
  });
});

describe('controller core: results', () => {
  it('accepts the first valid result per chunk and counts later ones as duplicates', () => {
    const ctl = controller({ chunks: chunks(4) });
    joinPeer(ctl, 'a', 1);
    joinPeer(ctl, 'b', 1);
    request(ctl, 'a');
    assert.deepEqual(effectsOf(ctl.handle(result('a', 0), 1), 'accept'), [
      { type: 'accept', chunkId: 0, peerId: 'a' },
    ]);
    assert.deepEqual(effectsOf(ctl.handle(result('b', 0), 2), 'accept'), []);
    assert.deepEqual(effectsOf(ctl.handle(result('a', 0), 3), 'accept'), []);
    const snapshot = ctl.snapshot();
    assert.equal(snapshot.duplicates, 2);
    assert.equal(snapshot.done, 1);
    assert.equal(snapshot.peers.find((p) => p.peerId === 'b')?.duplicates, 1);
  });

  it('requeues a chunk whose result is invalid, or that failed, in front of the queue', () => {
    const ctl = controller({ chunks: chunks(10) });
    joinPeer(ctl, 'a', 1);
    joinPeer(ctl, 'b', 1);
    assert.deepEqual(request(ctl, 'a'), [0, 1]);
    const invalid = received(
      'a',
      { type: 'chunk-result', jobId: JOB, chunkId: 1, moves: 1, computeMs: 5 },
      false,
    );
    assert.deepEqual(effectsOf(ctl.handle(invalid, 1), 'accept'), []);
    const failed = {
      type: 'chunk-failed',
      jobId: JOB,
      chunkId: 0,
      moves: 1,
      reason: 'trap',
    } as const;
    ctl.handle(received('a', failed), 2);
    assert.deepEqual(request(ctl, 'b'), [1, 0]);
    assert.equal(ctl.snapshot().peers.find((p) => p.peerId === 'a')?.failures, 2);
  });

  it('ignores a failure reported at a move older than the chunk has made since', () => {
    const ctl = controller({ chunks: chunks(10) });
    joinPeer(ctl, 'a', 1);
    request(ctl, 'a');
    ctl.handle(
      received('a', { type: 'owner-changed', jobId: JOB, to: 'a', chunks: [{ id: 0, moves: 3 }] }),
      1,
    );
    ctl.handle(
      received('a', { type: 'chunk-failed', jobId: JOB, chunkId: 0, moves: 2, reason: 'x' }),
      2,
    );
    assert.deepEqual(ctl.chunk(0), { state: 'owned', owner: 'a', moves: 3 });
  });

  it('fails the job when one chunk fails maxChunkFailures times', () => {
    const ctl = controller({ chunks: chunks(3), options: { maxChunkFailures: 2 } });
    joinPeer(ctl, 'a', 1);
    joinPeer(ctl, 'b', 1);
    const fail = (from: string, moves: number) =>
      ctl.handle(
        received(from, { type: 'chunk-failed', jobId: JOB, chunkId: 0, moves, reason: 'trap' }),
        1,
      );
    request(ctl, 'a');
    assert.deepEqual(effectsOf(fail('a', 1), 'failed'), []);
    request(ctl, 'b');
    const effects = fail('b', 2);
    assert.deepEqual(effectsOf(effects, 'failed'), [
      { type: 'failed', chunkId: 0, reason: 'trap' },
    ]);
    assert.deepEqual(
      sent(effects, 'job-cancel')
        .map((s) => s.to)
        .sort(),
      ['a', 'b'],
    );
    assert.equal(ctl.snapshot().status, 'failed');
  });
});

describe('controller core: peers that go away', () => {
  it('requeues every chunk of a peer silent for more than 3 s, but not its own tab', () => {
    const ctl = controller({ chunks: chunks(20), localCores: 1 });
    joinPeer(ctl, 'ctl', 1);
    joinPeer(ctl, 'a', 2);
    request(ctl, 'ctl');
    assert.equal(request(ctl, 'a').length, 4);
    ctl.handle({ type: 'peer-heard', peerId: 'a' }, 1000);
    ctl.handle({ type: 'tick' }, 1000); // saves the peers (a checkpoint of no chunks)
    assert.deepEqual(ctl.handle({ type: 'tick' }, 4000), []);
    const effects = ctl.handle({ type: 'tick' }, 4001);
    assert.deepEqual(effectsOf(effects, 'peer-gone'), [
      { type: 'peer-gone', peerId: 'a', reason: 'silent', requeued: 4 },
    ]);
    assert.equal(ctl.snapshot().queued, 20 - 2);
    assert.equal(ctl.snapshot().peers.find((p) => p.peerId === 'a')?.reassignedAway, 4);
  });

  it('requeues the chunks of a peer whose channel closed, queued and running alike', () => {
    const ctl = controller({ chunks: chunks(20) });
    joinPeer(ctl, 'a', 2);
    const mine = request(ctl, 'a');
    const effects = ctl.handle({ type: 'peer-left', peerId: 'a' }, 10);
    assert.equal(effectsOf(effects, 'peer-gone')[0].requeued, mine.length);
    for (const id of mine) assert.equal(ctl.chunk(id).state, 'queued');
  });

  it('announces afresh to a peer written off as silent that speaks again', () => {
    const ctl = controller({ chunks: chunks(20) });
    joinPeer(ctl, 'a', 2);
    ctl.handle({ type: 'tick' }, 3001);
    const effects = ctl.handle({ type: 'peer-heard', peerId: 'a' }, 3500);
    assert.equal(sent(effects, 'job-announce')[0].to, 'a');
    assert.equal(ctl.snapshot().peers[0].alive, true);
  });
});

describe('controller core: steals', () => {
  function twoPeers() {
    const ctl = controller({ chunks: chunks(20) });
    joinPeer(ctl, 'a', 2);
    joinPeer(ctl, 'b', 2);
    assert.deepEqual(request(ctl, 'a'), [0, 1, 2, 3]);
    return ctl;
  }
  const stolen = [
    { id: 0, moves: 2 },
    { id: 1, moves: 2 },
  ];

  it('moves ownership on owner-changed and ignores news older than a newer move', () => {
    const ctl = twoPeers();
    ctl.handle(received('a', { type: 'owner-changed', jobId: JOB, to: 'b', chunks: stolen }), 1);
    assert.deepEqual(ctl.chunk(0), { state: 'owned', owner: 'b', moves: 2 });
    const stale = [{ id: 0, moves: 1 }];
    ctl.handle(received('a', { type: 'owner-changed', jobId: JOB, to: 'a', chunks: stale }), 2);
    assert.equal(ctl.chunk(0).owner, 'b');
    const stats = ctl.snapshot().peers;
    assert.equal(stats.find((p) => p.peerId === 'a')?.stealsGiven, 1);
    assert.equal(stats.find((p) => p.peerId === 'b')?.stealsTaken, 1);
  });

  it('once the thief confirmed, requeues only the victim’s own chunks when it leaves', () => {
    const ctl = twoPeers();
    ctl.handle(received('a', { type: 'owner-changed', jobId: JOB, to: 'b', chunks: stolen }), 1);
    ctl.handle(received('b', { type: 'owner-changed', jobId: JOB, to: 'b', chunks: stolen }), 2);
    const effects = ctl.handle({ type: 'peer-left', peerId: 'a' }, 3);
    assert.equal(effectsOf(effects, 'peer-gone')[0].requeued, 2);
    assert.equal(ctl.chunk(0).owner, 'b');
    assert.equal(ctl.chunk(2).state, 'queued');
    const thiefGone = ctl.handle({ type: 'peer-left', peerId: 'b' }, 4);
    assert.equal(effectsOf(thiefGone, 'peer-gone')[0].requeued, 2);
  });

  it('requeues unconfirmed stolen chunks with the victim: the grant may be lost with it', () => {
    const ctl = twoPeers();
    ctl.handle(received('a', { type: 'owner-changed', jobId: JOB, to: 'b', chunks: stolen }), 1);
    const effects = ctl.handle({ type: 'peer-left', peerId: 'a' }, 3);
    assert.equal(effectsOf(effects, 'peer-gone')[0].requeued, 4);
    assert.equal(ctl.chunk(0).state, 'queued');
  });

  it('requeues a steal its thief never confirmed after transitTimeoutMs (a lost grant)', () => {
    const ctl = twoPeers();
    ctl.handle(received('a', { type: 'owner-changed', jobId: JOB, to: 'b', chunks: stolen }), 1);
    for (const now of [2000, 4000, 6000, 8000]) {
      ctl.handle({ type: 'peer-heard', peerId: 'a' }, now);
      ctl.handle({ type: 'peer-heard', peerId: 'b' }, now);
      ctl.handle({ type: 'tick' }, now);
    }
    assert.equal(ctl.chunk(0).owner, 'b');
    ctl.handle({ type: 'peer-heard', peerId: 'a' }, 10_001);
    ctl.handle({ type: 'peer-heard', peerId: 'b' }, 10_001);
    ctl.handle({ type: 'tick' }, 10_001);
    assert.equal(ctl.chunk(0).state, 'queued');
    assert.equal(ctl.chunk(1).state, 'queued');
  });

  it('does not requeue a stolen chunk missing from the thief’s status: the grant may be on its way', () => {
    const ctl = twoPeers();
    ctl.handle(received('a', { type: 'owner-changed', jobId: JOB, to: 'b', chunks: stolen }), 1);
    const status = { type: 'job-status' as const, jobId: JOB, epoch: 1, held: [], buffered: [] };
    ctl.handle(received('b', status), 2);
    assert.equal(ctl.chunk(0).owner, 'b');
    ctl.handle(received('b', { type: 'owner-changed', jobId: JOB, to: 'b', chunks: stolen }), 3);
    ctl.handle(received('b', status), 4); // confirmed, then reported missing: requeued
    assert.equal(ctl.chunk(0).state, 'queued');
  });

  it('requeues chunks stolen by a thief that is already gone', () => {
    const ctl = twoPeers();
    ctl.handle({ type: 'peer-left', peerId: 'b' }, 1);
    ctl.handle(received('a', { type: 'owner-changed', jobId: JOB, to: 'b', chunks: stolen }), 2);
    assert.equal(ctl.chunk(0).state, 'queued');
    assert.equal(ctl.chunk(1).state, 'queued');
  });
});
