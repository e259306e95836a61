/**
 * The controller core's contract: its configuration, the events a shell feeds it, the effects
 * it returns, and the statistics it exposes. See controller-core.ts for the rules.
 */
import type { JobMessage, OutgoingJobMessage } from './job-messages.ts';

/** Tunables of the controller; every one has a default (`defaultControllerOptions`). */
export interface ControllerOptions {
  /** A peer not heard for longer than this is gone (its chunks are queued again). */
  silenceMs: number;
  /** Before any result, a chunk of mean cost is assumed to take this long on one core. */
  assumedChunkMs: number;
  /** A batch should keep a peer busy for about this long at its measured throughput. */
  batchTargetMs: number;
  /** Chunks in one batch at most. */
  maxBatch: number;
  /** Weight of a new throughput sample (exponential moving average). */
  throughputSmoothing: number;
  /** A checkpoint is due once this many results are accepted since the last one… */
  checkpointEvery: number;
  /** …or once the oldest unsaved result is this old (checked on `tick`). */
  checkpointIntervalMs: number;
  /** After a restore, chunks nobody reports holding are queued after at most this long. */
  restoreGraceMs: number;
  /** A stolen chunk its thief has not confirmed this long after the steal is requeued. */
  transitTimeoutMs: number;
  /** A chunk that fails (or yields invalid results) this often fails the job. */
  maxChunkFailures: number;
  /**
   * Result verification: the chance that a peer's result is checked by a second peer (a
   * mismatch goes to a third). 0 turns verification off; 1 checks every chunk. Below 1 it is
   * adaptive: a peer with `agreed` agreeing results is checked with probability
   * max(verifyMin, verify / (1 + agreed / verifyTrustScale)). See verification.ts.
   */
  verify: number;
  /** The floor of the adaptive check probability (capped at `verify`): never zero. */
  verifyMin: number;
  /** Agreeing results that halve a peer's check probability. */
  verifyTrustScale: number;
  /**
   * A checked chunk whose only result came from the one computing peer left waits this long
   * for another peer to join before it is taken on that peer's word alone.
   */
  verifyAloneAfterMs: number;
}

export const defaultControllerOptions: ControllerOptions = {
  silenceMs: 3000,
  assumedChunkMs: 1000,
  batchTargetMs: 2000,
  maxBatch: 256,
  throughputSmoothing: 0.3,
  checkpointEvery: 32,
  checkpointIntervalMs: 2000,
  restoreGraceMs: 5000,
  transitTimeoutMs: 10_000,
  maxChunkFailures: 3,
  verify: 0,
  verifyMin: 0.02,
  verifyTrustScale: 20,
  verifyAloneAfterMs: 3000,
};

/** A controller rebuilt from a checkpoint after a restart. */
export interface ControllerRestore {
  /** Chunks whose results were checkpointed. */
  done: Iterable<number>;
  /** The epoch of the controller that wrote the checkpoint; the new one announces epoch + 1. */
  epoch: number;
  /**
   * The peers of the last checkpoint: once all of them (and every peer present) reported,
   * limbo ends before `restoreGraceMs`. Unknown (no checkpoint yet): wait for the grace.
   */
  expectPeers?: readonly string[];
}

export interface ControllerConfig {
  jobId: string;
  /** This peer's id: the controller's identity and, when it computes, its own peer's. */
  selfId: string;
  kernel: { name: string; sha256: string };
  /** Jobs with input data: the SHA-256 of their blob manifest, sent in `job-announce`. */
  manifest?: string;
  /** The job's parameters as sent in `job-announce` (plain JSON). */
  params: unknown;
  /** The kernel's split: chunk id = index; descriptor is plain JSON; cost as `meta.cost`. */
  chunks: readonly { descriptor: unknown; cost: number }[];
  /** Workers this tab donates to its own job; 0 turns local computing off. */
  localCores: number;
  restore?: ControllerRestore;
  options?: Partial<ControllerOptions>;
}

/** What a shell feeds the controller core. `now` (ms, monotonic) comes with every call. */
export type ControllerEvent =
  /** Announce the job (and join this tab's own peer when it computes). Call once, first. */
  | { type: 'start' }
  /** A channel to a peer opened; `cores` is what it donates (0: it never gets chunks). */
  | { type: 'peer-joined'; peerId: string; cores: number }
  /** The channel to a peer closed. */
  | { type: 'peer-left'; peerId: string }
  /** Any frame from a peer (a heartbeat, say): it is alive. */
  | { type: 'peer-heard'; peerId: string }
  /**
   * A validated scheduler message. For `chunk-result`, `valid` is the kernel's verdict on the
   * body (`meta.validateResult`); a missing verdict counts as invalid; `bodyBytes` is the
   * body's size on the wire; `resultHash` identifies the decoded result bytes (the shell
   * hashes them, e.g. SHA-256) and is what verification compares.
   */
  | {
      type: 'received';
      from: string;
      message: JobMessage;
      valid?: boolean;
      bodyBytes?: number;
      resultHash?: string;
    }
  /** Time passed: silence, checkpoint and restore timeouts are checked. Every ~250 ms. */
  | { type: 'tick' }
  /** The user cancelled the job. */
  | { type: 'cancel' };

/** Why a peer stopped counting as part of the job (`untrusted`: caught by verification). */
export type GoneReason = 'left' | 'silent' | 'untrusted';

/** What the controller core asks its shell to do, in order. */
export type ControllerEffect =
  /** Send a message (to `selfId`: deliver it to this tab's own peer core, asynchronously). */
  | { type: 'send'; to: string; message: OutgoingJobMessage }
  /**
   * The result of a chunk to keep: merge the body that came with it, paint, keep it. The
   * first valid one, or under verification the one that settled the chunk's check; a chunk
   * revoked before is accepted again (its merged region is overwritten).
   */
  | { type: 'accept'; chunkId: number; peerId: string }
  /**
   * An accepted chunk is no longer trusted (it came from a peer caught since, unchecked): it
   * no longer counts as done and runs again; its next `accept` overwrites what was merged.
   */
  | { type: 'revoke'; chunkId: number }
  /** Verification caught a peer returning wrong results: it is out of the job (see peer-gone). */
  | { type: 'peer-caught'; peerId: string; recomputed: number }
  /**
   * Persist the results of these accepted chunks, with the epoch and the job's other peers
   * (for a restore). Also emitted with no chunks when only the set of peers changed.
   */
  | { type: 'checkpoint'; epoch: number; chunkIds: number[]; peers: string[] }
  /** A peer is gone; `requeued` of its chunks went back to the queue. */
  | { type: 'peer-gone'; peerId: string; reason: GoneReason; requeued: number }
  /** Every chunk is accepted (a final `checkpoint` precedes this). */
  | { type: 'done' }
  | { type: 'cancelled' }
  /** A chunk failed `maxChunkFailures` times; the job is cancelled on every peer. */
  | { type: 'failed'; chunkId: number; reason: string };

/** Per-peer statistics for the UI and the report. */
export interface PeerStats {
  peerId: string;
  /** Accepted results from this peer. */
  chunksComputed: number;
  /** Sum of `computeMs` over its accepted results. */
  computeMs: number;
  /** Sum of the chunks' costs over its accepted results (pixels × iterations, flops, …). */
  costDone: number;
  /** Input data it fetched for its accepted results, as it reported (bytes). */
  inputBytes: number;
  /** Result bodies it sent, as they crossed the wire (bytes, every result counted). */
  resultBytes: number;
  /** Steals in which this peer was the victim / the thief (one per `owner-changed`). */
  stealsGiven: number;
  stealsTaken: number;
  /** Chunks queued again because this peer left or went silent. */
  reassignedAway: number;
  /** Results that arrived after the chunk was already accepted. */
  duplicates: number;
  /** `chunk-failed` reports and invalid results. */
  failures: number;
  /** Measured throughput in cost units per ms (all its cores). */
  throughput: number;
  alive: boolean;
  /** Its results compared with another peer's (verification), and how many agreed. */
  checked: number;
  agreed: number;
  /** Verification caught it returning a wrong result: it was removed from the job. */
  caught: boolean;
}

/** What verification cost and found, for the UI and the report. */
export interface VerificationStats {
  /** The job's `verify` option (0: off). */
  fraction: number;
  /** Chunks whose result was checked by another peer. */
  checkedChunks: number;
  /** Extra results computed to check (second and third copies, dropped votes). */
  replicas: number;
  /** Accepted chunks computed again because the peer that delivered them was caught. */
  recomputed: number;
  /** (replicas + recomputed) / total chunks. */
  overhead: number;
  /** Peers caught, in order. */
  caught: string[];
}

/** A summary of the job for the UI. */
export interface ControllerSnapshot {
  jobId: string;
  epoch: number;
  status: 'running' | 'done' | 'cancelled' | 'failed';
  total: number;
  done: number;
  queued: number;
  owned: number;
  limbo: number;
  duplicates: number;
  peers: PeerStats[];
  verification: VerificationStats;
}
