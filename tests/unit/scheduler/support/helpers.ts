/**
 * Small builders for the scheduler's unit tests: a controller or peer core with test defaults,
 * wire messages validated like the real link validates them, and effect filters.
 */
import { ControllerCore } from '../../../../client/scheduler/controller-core.ts';
import type {
  ControllerConfig,
  ControllerEffect,
  ControllerEvent,
} from '../../../../client/scheduler/controller-types.ts';
import type {
  JobMessage,
  JobMessageOf,
  JobMessageType,
  OutgoingJobMessage,
} from '../../../../client/scheduler/job-messages.ts';
import { PeerCore } from '../../../../client/scheduler/peer-core.ts';
import type { PeerConfig, PeerEffect } from '../../../../client/scheduler/peer-types.ts';
import { parsePeerMessage, withVersion } from '../../../../client/protocol/messages.ts';

export const JOB = 'job-1';
export const SHA = 'a'.repeat(64);

/** `n` chunks of the given cost (or costs), descriptor `{ index }`. */
export function chunks(n: number, cost: number | ((i: number) => number) = 10) {
  return Array.from({ length: n }, (_, index) => ({
    descriptor: { index },
    cost: typeof cost === 'number' ? cost : cost(index),
  }));
}

export function controller(overrides: Partial<ControllerConfig> = {}): ControllerCore {
  const ctl = new ControllerCore({
    jobId: JOB,
    selfId: 'ctl',
    kernel: { name: 'fake', sha256: SHA },
    params: { test: true },
    chunks: chunks(100),
    localCores: 0,
    ...overrides,
  });
  ctl.handle({ type: 'start' }, 0);
  return ctl;
}

export function peer(overrides: Partial<PeerConfig> = {}): PeerCore {
  return new PeerCore({ selfId: 'p1', workers: 2, ...overrides });
}

/** A message as it arrives: versioned, through JSON, validated by parsePeerMessage. */
export function wire(message: OutgoingJobMessage): JobMessage {
  return parsePeerMessage(JSON.parse(JSON.stringify(withVersion(message)))) as JobMessage;
}

export function received(from: string, message: OutgoingJobMessage, valid?: boolean) {
  const event: ControllerEvent = { type: 'received', from, message: wire(message), valid };
  return event;
}

/** The messages of one type sent in `effects`, with their recipients. */
export function sent<K extends JobMessageType>(
  effects: readonly (ControllerEffect | PeerEffect)[],
  type: K,
): { to: string; message: Omit<JobMessageOf<K>, 'v'>; body?: Uint8Array }[] {
  const out: { to: string; message: Omit<JobMessageOf<K>, 'v'>; body?: Uint8Array }[] = [];
  for (const effect of effects) {
    if (effect.type !== 'send' || effect.message.type !== type) continue;
    const body = 'body' in effect ? effect.body : undefined;
    out.push({ to: effect.to, message: effect.message as Omit<JobMessageOf<K>, 'v'>, body });
  }
  return out;
}

/** Effects other than sends, by type. */
export function effectsOf<T extends (ControllerEffect | PeerEffect)['type']>(
  effects: readonly (ControllerEffect | PeerEffect)[],
  type: T,
) {
  return effects.filter((effect) => effect.type === type) as Extract<
    ControllerEffect | PeerEffect,
    { type: T }
  >[];
}

/** Joins a peer to the controller's job and answers the announce with an empty status. */
export function joinPeer(ctl: ControllerCore, peerId: string, cores: number, now = 0) {
  ctl.handle({ type: 'peer-joined', peerId, cores }, now);
  return ctl.handle(
    received(peerId, { type: 'job-status', jobId: JOB, epoch: ctl.epoch, held: [], buffered: [] }),
    now,
  );
}

/** A peer asks for chunks; returns the ids it got. */
export function request(ctl: ControllerCore, peerId: string, now = 0): number[] {
  const effects = ctl.handle(received(peerId, { type: 'chunk-request', jobId: JOB, want: 1 }), now);
  return sent(effects, 'chunk-assign').flatMap(({ message }) => message.chunks.map((c) => c.id));
}

/** A peer's result for a chunk. */
export function result(
  peerId: string,
  chunkId: number,
  opts: { moves?: number; ms?: number } = {},
) {
  return received(
    peerId,
    { type: 'chunk-result', jobId: JOB, chunkId, moves: opts.moves ?? 1, computeMs: opts.ms ?? 10 },
    true,
  );
}
