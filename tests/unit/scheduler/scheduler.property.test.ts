import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runSimulation, type SimulationConfig } from '../../../client/scheduler/simulation.ts';

/** Runs per property; PD_PROPERTY_RUNS=20000 explores more (locally, or in a nightly job). */
const RUNS = Number(process.env.PD_PROPERTY_RUNS ?? 1000);

const peerArb = fc.record({
  cores: fc.integer({ min: 1, max: 4 }),
  msPerCost: fc.integer({ min: 20, max: 400 }),
  joinAt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 8000 })),
  death: fc.option(
    fc.record({
      at: fc.integer({ min: 0, max: 20_000 }),
      mode: fc.constantFrom('close' as const, 'silent' as const),
    }),
    { nil: undefined },
  ),
});

/**
 * Random rooms: 1–5 peers of different speeds joining at random times, some dying (channels
 * closing, or going silent) at random moments, often mid-chunk; a controller that computes
 * or not; sometimes a controller restart. One member always remains: the controller's own tab
 * when it computes, else one peer that never dies.
 */
const configArb = fc
  .record({
    seed: fc.integer(),
    chunkCosts: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 60 }),
    controllerCores: fc.integer({ min: 0, max: 2 }),
    controllerMsPerCost: fc.integer({ min: 20, max: 400 }),
    restart: fc.option(
      fc.record({
        at: fc.integer({ min: 200, max: 15_000 }),
        downtimeMs: fc.integer({ min: 0, max: 8000 }),
      }),
      { nil: undefined },
    ),
    peers: fc.array(peerArb, { minLength: 1, maxLength: 5 }),
    maxLatencyMs: fc.integer({ min: 1, max: 200 }),
    survivor: fc.nat(),
  })
  .map((c): SimulationConfig => {
    const peers = c.peers.map((p, i) => ({ id: `p${i}`, ...p }));
    if (c.controllerCores === 0) peers[c.survivor % peers.length].death = undefined;
    return {
      seed: c.seed,
      chunkCosts: c.chunkCosts,
      controller: {
        id: 'ctl',
        cores: c.controllerCores,
        msPerCost: c.controllerMsPerCost,
        restart: c.restart,
      },
      peers,
      latencyMs: [1, c.maxLatencyMs],
    };
  });

describe('scheduler property', () => {
  it('accepts every chunk exactly once, merges what one peer alone would, and finishes', () => {
    let restarts = 0;
    let deaths = 0;
    fc.assert(
      fc.property(configArb, (config) => {
        const result = runSimulation(config);
        assert.ok(result.finished, `unfinished after ${result.timeMs} ms`);
        assert.equal(result.doubleAccepts, 0);
        assert.ok(result.acceptances.every((n) => n === 1));
        assert.deepEqual(result.output, result.expected);
        assert.equal(result.invalidFrames, 0);
        if (result.restart && config.peers.every((p) => !p.death)) {
          // With no peer dying, only what died with the controller's tab runs again.
          const { redundantStarts, lostWithTab, inFlight } = result.restart;
          assert.ok(redundantStarts <= lostWithTab && lostWithTab <= inFlight);
        }
        if (result.restart) restarts += 1;
        deaths += config.peers.filter((p) => p.death).length;
      }),
      { numRuns: RUNS },
    );
    assert.ok(restarts > 0 && deaths > 0); // the generator does exercise both
  });

  it('after a controller restart with no peer dying, recomputes only what died with its tab', () => {
    const restartArb = configArb.chain((config) =>
      fc
        .record({ at: fc.integer({ min: 50, max: 2000 }), downtimeMs: fc.nat(8000) })
        .map((restart) => ({
          ...config,
          controller: {
            ...config.controller,
            cores: Math.max(config.controller.cores, 1),
            restart,
          },
          peers: config.peers.map((p) => ({ ...p, death: undefined })),
        })),
    );
    let restarted = 0;
    fc.assert(
      fc.property(restartArb, (config) => {
        const result = runSimulation(config);
        assert.ok(result.finished);
        assert.deepEqual(result.output, result.expected);
        assert.equal(result.doubleAccepts, 0);
        if (!result.restart) return; // the job ended before the restart
        restarted += 1;
        const { redundantStarts, lostWithTab, inFlight } = result.restart;
        assert.ok(redundantStarts <= lostWithTab, JSON.stringify(result.restart));
        assert.ok(lostWithTab <= inFlight);
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
    assert.ok(restarted >= RUNS / 6, `${restarted} restarts`);
  });

  /**
   * A room with one faulty peer (corrupting 30–100 % of its results) among honest ones: two
   * honest peers there from the start and staying, others joining and dying at random, the
   * controller computing or not. No honest peer is ever caught; once the faulty peer is caught
   * every chunk it alone vouched for is recomputed, so the output is the honest one; with every
   * chunk checked (verify 1) it always is.
   */
  it('with verification, a faulty peer never corrupts the output once caught, nor ever at verify 1', () => {
    const faultyArb = fc
      .record({
        base: configArb,
        rate: fc.double({ min: 0.3, max: 1, noNaN: true }),
        verify: fc.oneof(fc.constant(1), fc.double({ min: 0.1, max: 1, noNaN: true })),
        faultyJoinAt: fc.integer({ min: 0, max: 1500 }),
        faultyCores: fc.integer({ min: 1, max: 4 }),
      })
      .map(({ base, rate, verify, faultyJoinAt, faultyCores }) => {
        const honest = [0, 1].map((i) => ({ id: `h${i}`, cores: 1, msPerCost: 100 + 50 * i }));
        const faulty = {
          id: 'bad',
          cores: faultyCores,
          msPerCost: 40,
          joinAt: faultyJoinAt,
          faulty: rate,
        };
        const config: SimulationConfig = {
          ...base,
          controller: { ...base.controller, restart: undefined },
          peers: [...honest, faulty, ...base.peers.slice(0, 2)],
          controllerOptions: { verify },
        };
        return config;
      });
    let caught = 0;
    let partial = 0;
    fc.assert(
      fc.property(faultyArb, (config) => {
        const result = runSimulation(config);
        assert.ok(result.finished, `unfinished after ${result.timeMs} ms`);
        assert.equal(result.doubleAccepts, 0);
        assert.ok(result.acceptances.every((n) => n === 1));
        const verification = result.snapshot.verification;
        assert.ok(
          verification.caught.every((id) => id === 'bad'),
          verification.caught.join(),
        );
        const verify = config.controllerOptions?.verify ?? 0;
        if (verification.caught.length > 0 || verify === 1) {
          assert.deepEqual(result.output, result.expected);
        }
        if (verification.caught.length > 0) caught += 1;
        if (verify < 1) partial += 1;
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
    assert.ok(caught > RUNS / 20 && partial > 0, `${caught} caught, ${partial} partial`);
  });
});
