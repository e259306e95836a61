/**
 * A discrete-event simulation of one job: a controller and N peers of different speeds over a
 * MemoryMesh on a simulated clock, with peers joining late, leaving, dying mid-chunk (channels
 * closing, or silence), and a controller restart rebuilt from its last checkpoint. Used by the
 * scheduler's tests (and reusable by benchmarks); the result says what was computed, accepted
 * and merged, so invariants can be checked. Realm-neutral and deterministic for a given seed.
 */
import { MemoryMesh } from '../mesh/memory-transport.ts';
import { ControllerCore } from './controller-core.ts';
import type {
  ControllerEffect,
  ControllerOptions,
  ControllerSnapshot,
} from './controller-types.ts';
import { fakeKernel, fakeOutput, type FakeParams } from './fake-kernel.ts';
import type { PeerOptions } from './peer-types.ts';
import { seededRandom } from './seeded-random.ts';
import { SimClock } from './sim-clock.ts';
import { SimNode, type SimNodeOptions } from './sim-node.ts';

export interface SimPeerSpec {
  id: string;
  cores: number;
  /** Compute speed: simulated ms per cost unit on one core. */
  msPerCost: number;
  joinAt?: number;
  /** When it goes away: `close` breaks its channels, `silent` stops talking with them open. */
  death?: { at: number; mode: 'close' | 'silent' };
  /** The fraction of its results it corrupts (a cheater); absent: honest. */
  faulty?: number;
}

export interface SimulationConfig {
  seed: number;
  chunkCosts: number[];
  controller: {
    id: string;
    /** Cores of the controller's own tab; 0: it does not compute. */
    cores: number;
    msPerCost: number;
    /** The controller's tab dies at `at` and comes back `downtimeMs` later from its checkpoint. */
    restart?: { at: number; downtimeMs: number };
  };
  peers: SimPeerSpec[];
  /** One-way message delay, drawn uniformly from [min, max] ms. */
  latencyMs?: [number, number];
  jitter?: number;
  tickMs?: number;
  heartbeatMs?: number;
  kernelLoadMs?: number;
  /** Simulated time after which the run is given up. */
  maxTimeMs?: number;
  controllerOptions?: Partial<ControllerOptions>;
  peerOptions?: Partial<PeerOptions>;
}

export interface SimulationResult {
  finished: boolean;
  /** Simulated time at the end (the job's end when finished). */
  timeMs: number;
  output: Uint8Array;
  /** What one peer alone would have produced. */
  expected: Uint8Array;
  /** Per chunk: accepted by the final controller, plus 1 if restored from its checkpoint. */
  acceptances: number[];
  /** Chunks accepted twice by one controller incarnation, not counting a revoked one's (must be 0). */
  doubleAccepts: number;
  /** Chunks accepted, then revoked (their peer was caught) and accepted again. */
  revoked: number;
  /** Per chunk: how often a worker started it. */
  starts: number[];
  /**
   * For a restart: chunks handed out but not checkpointed when the controller died; those
   * whose only copy died with its tab (held by its own peer, or computed there and not yet
   * checkpointed); and how many chunk starts were redundant in the whole run.
   */
  restart?: { inFlight: number; lostWithTab: number; redundantStarts: number };
  snapshot: ControllerSnapshot;
  invalidFrames: number;
}

export { seededRandom };

const JOB_ID = 'sim-job';
const SHA256 = '0'.repeat(64);

export function runSimulation(config: SimulationConfig): SimulationResult {
  const rng = seededRandom(config.seed);
  const clock = new SimClock();
  const [minLatency, maxLatency] = config.latencyMs ?? [1, 5];
  const mesh = new MemoryMesh({
    clock,
    latencyMs: () => minLatency + rng() * (maxLatency - minLatency),
  });
  const params: FakeParams = { chunkCosts: config.chunkCosts };
  const total = config.chunkCosts.length;
  const cores = new Map([[config.controller.id, config.controller.cores]]);
  for (const spec of config.peers) cores.set(spec.id, spec.cores);
  const nodeOptions = (own: number, msPerCost: number, faulty?: number): SimNodeOptions => ({
    cores: own,
    msPerCost,
    jitter: config.jitter ?? 0.2,
    tickMs: config.tickMs ?? 250,
    heartbeatMs: config.heartbeatMs ?? 1000,
    kernelLoadMs: config.kernelLoadMs ?? 20,
    rng,
    params,
    peerOptions: config.peerOptions,
    coresOf: (peerId) => cores.get(peerId) ?? 0,
    ...(faulty ? { faulty } : {}),
  });

  const starts = new Array<number>(total).fill(0);
  // The controller's "IndexedDB": what survives a restart.
  const store = { epoch: 0, done: new Set<number>(), results: new Map<number, Uint8Array>() };
  let storePeers: string[] | undefined;
  let accepted = new Map<number, Uint8Array>();
  let doubleAccepts = 0;
  const revoked = new Set<number>();
  let finished = false;
  let finishedAt = 0;
  const everAssigned = new Set<number>();
  const computedByControllerTab = new Set<number>();

  const controllerEffect = (effect: ControllerEffect, body: Uint8Array | undefined): void => {
    if (effect.type === 'send' && effect.message.type === 'chunk-assign') {
      for (const chunk of effect.message.chunks) everAssigned.add(chunk.id);
    } else if (effect.type === 'accept') {
      const saved = store.done.has(effect.chunkId) && !revoked.has(effect.chunkId);
      if (accepted.has(effect.chunkId) || saved) doubleAccepts += 1;
      accepted.set(effect.chunkId, (body ?? new Uint8Array()).slice());
      if (effect.peerId === config.controller.id) computedByControllerTab.add(effect.chunkId);
    } else if (effect.type === 'revoke') {
      accepted.delete(effect.chunkId);
      revoked.add(effect.chunkId);
    } else if (effect.type === 'checkpoint') {
      store.epoch = effect.epoch;
      storePeers = effect.peers;
      for (const id of effect.chunkIds) {
        store.done.add(id);
        store.results.set(id, accepted.get(id) as Uint8Array);
      }
    } else if (effect.type === 'done') {
      finished = true;
      finishedAt = clock.now;
    }
  };
  const hooks = { started: (id: number) => (starts[id] += 1), controllerEffect };

  const makeController = (restoreEpoch?: number) =>
    new ControllerCore({
      jobId: JOB_ID,
      selfId: config.controller.id,
      kernel: { name: fakeKernel.name, sha256: SHA256 },
      params,
      chunks: fakeKernel
        .split(params)
        .map((chunk) => ({ descriptor: chunk, cost: fakeKernel.cost(params, chunk) })),
      localCores: config.controller.cores,
      restore:
        restoreEpoch === undefined
          ? undefined
          : { done: store.done, epoch: restoreEpoch, expectPeers: storePeers },
      options: config.controllerOptions,
    });

  const nodes: SimNode[] = [];
  const { id: controllerId, msPerCost } = config.controller;
  let controllerNode = new SimNode(
    clock,
    mesh,
    controllerId,
    nodeOptions(config.controller.cores, msPerCost),
    hooks,
  );
  nodes.push(controllerNode);
  controllerNode.startController(makeController());
  store.epoch = controllerNode.controller?.epoch ?? 1;

  for (const spec of config.peers) {
    clock.scheduleAt(spec.joinAt ?? 0, () => {
      const node = new SimNode(
        clock,
        mesh,
        spec.id,
        nodeOptions(spec.cores, spec.msPerCost, spec.faulty),
        hooks,
      );
      nodes.push(node);
      if (spec.death) clock.scheduleAt(spec.death.at, () => node.kill(spec.death!.mode));
    });
  }

  let crash: { inFlight: number; lostWithTab: number } | undefined;
  const restart = config.controller.restart;
  if (restart) {
    clock.scheduleAt(restart.at, () => {
      if (finished) return;
      controllerNode.kill('close');
      const inFlight = [...everAssigned].filter((id) => !store.done.has(id)).length;
      // Lost with the tab: what its own peer held, and its own results not yet checkpointed.
      const held = controllerNode.peer.snapshot().map((job) => job.queued + job.running);
      const unsaved = [...computedByControllerTab].filter((id) => !store.done.has(id));
      const lostWithTab = held.reduce((sum, n) => sum + n, unsaved.length);
      crash = { inFlight, lostWithTab };
      accepted = new Map(store.results);
      clock.schedule(restart.downtimeMs, () => {
        controllerNode = new SimNode(
          clock,
          mesh,
          controllerId,
          nodeOptions(config.controller.cores, msPerCost),
          hooks,
        );
        nodes.push(controllerNode);
        controllerNode.startController(makeController(store.epoch));
      });
    });
  }

  clock.run(config.maxTimeMs ?? 600_000, () => finished);

  const output = fakeKernel.createOutput(params);
  const acceptances = new Array<number>(total).fill(0);
  for (const [id, body] of accepted) {
    acceptances[id] += 1;
    fakeKernel.merge(output, params, { index: id, cost: config.chunkCosts[id] }, body);
  }
  const redundantStarts = starts.reduce((sum, n) => sum + Math.max(0, n - 1), 0);
  return {
    finished,
    timeMs: finished ? finishedAt : clock.now,
    output,
    expected: fakeOutput(params),
    acceptances,
    doubleAccepts,
    revoked: revoked.size,
    starts,
    restart: crash && { ...crash, redundantStarts },
    snapshot: (controllerNode.controller as ControllerCore).snapshot(),
    invalidFrames: nodes.reduce((sum, node) => sum + node.transport.invalidFrames, 0),
  };
}
