import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  runSimulation,
  type SimulationConfig,
  type SimulationResult,
} from '../../../client/scheduler/simulation.ts';

const costs = (n: number) => Array.from({ length: n }, (_, i) => 1 + (i % 5));

function assertExactlyOnce(result: SimulationResult): void {
  assert.ok(result.finished, `not finished by ${result.timeMs} ms`);
  assert.equal(result.doubleAccepts, 0);
  assert.ok(result.acceptances.every((n) => n === 1));
  assert.deepEqual(result.output, result.expected);
  assert.equal(result.invalidFrames, 0);
}

const stats = (result: SimulationResult, peerId: string) =>
  result.snapshot.peers.find((p) => p.peerId === peerId);

const base: SimulationConfig = {
  seed: 1,
  chunkCosts: costs(80),
  controller: { id: 'ctl', cores: 1, msPerCost: 200 },
  peers: [
    { id: 'fast', cores: 4, msPerCost: 50 },
    { id: 'mid', cores: 2, msPerCost: 150 },
    { id: 'slow', cores: 1, msPerCost: 600 },
  ],
};

describe('simulation: one job over a memory mesh', () => {
  it('merges the same output as one peer alone', () => {
    const alone = runSimulation({ ...base, peers: [], controller: { ...base.controller } });
    assertExactlyOnce(alone);
    const together = runSimulation(base);
    assertExactlyOnce(together);
    assert.deepEqual(together.output, alone.output);
    assert.ok(together.timeMs < alone.timeMs / 3, `${together.timeMs} vs ${alone.timeMs}`);
  });

  it('gives faster peers more work, runs every chunk once, and steals near the end', () => {
    const result = runSimulation(base);
    assertExactlyOnce(result);
    assert.ok(result.starts.every((n) => n === 1)); // nobody died: nothing ran twice
    const done = (id: string) => stats(result, id)?.chunksComputed ?? 0;
    assert.ok(
      done('fast') > done('mid') && done('mid') > done('slow'),
      JSON.stringify(result.snapshot.peers),
    );
    const steals = result.snapshot.peers.reduce((sum, p) => sum + p.stealsTaken, 0);
    assert.ok(steals > 0);
  });

  it('puts a peer that joins late to work', () => {
    const result = runSimulation({
      ...base,
      peers: [...base.peers, { id: 'late', cores: 2, msPerCost: 50, joinAt: 1000 }],
    });
    assertExactlyOnce(result);
    assert.ok((stats(result, 'late')?.chunksComputed ?? 0) > 0);
  });

  for (const mode of ['close', 'silent'] as const) {
    it(`requeues the chunks of a peer that dies mid-chunk (${mode})`, () => {
      const result = runSimulation({
        ...base,
        peers: [
          { id: 'fast', cores: 2, msPerCost: 100 },
          // Chunks of 1–5 s: at 2.5 s it is computing, with more queued.
          { id: 'doomed', cores: 2, msPerCost: 1000, death: { at: 2500, mode } },
        ],
      });
      assertExactlyOnce(result);
      const doomed = stats(result, 'doomed');
      assert.equal(doomed?.alive, false);
      assert.ok((doomed?.reassignedAway ?? 0) > 0);
      assert.ok(result.starts.some((n) => n > 1)); // its running chunk ran again elsewhere
    });
  }

  it('finishes without the controller computing, as long as one peer remains', () => {
    const result = runSimulation({
      ...base,
      controller: { id: 'ctl', cores: 0, msPerCost: 1 },
      peers: [
        { id: 'a', cores: 1, msPerCost: 100, death: { at: 1000, mode: 'close' } },
        { id: 'b', cores: 1, msPerCost: 100, death: { at: 2000, mode: 'silent' } },
        { id: 'c', cores: 1, msPerCost: 100, joinAt: 5000 },
      ],
    });
    assertExactlyOnce(result);
    assert.equal(stats(result, 'ctl'), undefined);
  });

  it('survives a controller restart, recomputing no more chunks than were in flight', () => {
    const result = runSimulation({
      ...base,
      controller: { ...base.controller, restart: { at: 1000, downtimeMs: 1500 } },
    });
    assertExactlyOnce(result);
    assert.equal(result.snapshot.epoch, 2);
    assert.ok(result.restart);
    assert.ok(result.restart.inFlight > 0);
    const { redundantStarts, lostWithTab, inFlight } = result.restart;
    // Peers kept computing and delivered their buffered (and retained) results: only what
    // died with the controller's own tab ran again.
    assert.ok(redundantStarts <= lostWithTab, JSON.stringify(result.restart));
    assert.ok(lostWithTab <= inFlight);
  });
});
