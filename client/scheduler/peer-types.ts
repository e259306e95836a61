/**
 * The peer core's contract: its configuration, the events a shell feeds it, the effects it
 * returns, and what it reports for the UI. See peer-core.ts for the rules.
 */
import type { JobMessage, OutgoingJobMessage } from './job-messages.ts';

export interface PeerOptions {
  /** A controller not heard for longer than this is unreachable (results are buffered). */
  silenceMs: number;
  /** Ask the controller for more when fewer chunks than this are queued (default: workers). */
  lowWater?: number;
  /** A `chunk-request` unanswered for this long may be sent again. */
  requestTimeoutMs: number;
  /** A `steal-request` unanswered for this long is given up (the victim may be gone). */
  stealTimeoutMs: number;
  /** Queue lengths are gossiped at least this often… */
  gossipIntervalMs: number;
  /** …and at most this often when they change. */
  gossipMinIntervalMs: number;
  /** Delivered results are kept this long, for a controller that restarts before saving them. */
  retainMs: number;
  /** Bytes of delivered results kept at most (the oldest go first). */
  maxRetainedBytes: number;
  /** A job whose controller stays unreachable this long is dropped (results buffer until then). */
  orphanMs: number;
}

export const defaultPeerOptions: PeerOptions = {
  silenceMs: 3000,
  requestTimeoutMs: 5000,
  stealTimeoutMs: 2000,
  gossipIntervalMs: 1000,
  gossipMinIntervalMs: 250,
  retainMs: 60_000,
  maxRetainedBytes: 64 * 1024 * 1024,
  orphanMs: 120_000,
};

export interface PeerConfig {
  selfId: string;
  /** Chunks run at once: one per worker (donated core). */
  workers: number;
  /**
   * Start paused: take no chunks and fetch no kernels until `resume` (a shell whose person has
   * not yet agreed to contribute). Default false.
   */
  paused?: boolean;
  options?: Partial<PeerOptions>;
}

/** What a shell feeds the peer core. `now` (ms, monotonic) comes with every call. */
export type PeerEvent =
  /** A channel to a peer opened. */
  | { type: 'peer-joined'; peerId: string }
  /** The channel to a peer closed. */
  | { type: 'peer-left'; peerId: string }
  /** Any frame from a peer (a heartbeat, say): it is alive. */
  | { type: 'peer-heard'; peerId: string }
  /** A validated scheduler message (loopback ones from this tab's controller included). */
  | { type: 'received'; from: string; message: JobMessage }
  /** The job's kernel is compiled and its workers can run chunks. */
  | { type: 'kernel-ready'; jobId: string }
  | { type: 'kernel-failed'; jobId: string; reason: string }
  /** A worker finished a chunk (`run` effect); `result` is the kernel's output. */
  | {
      type: 'chunk-done';
      jobId: string;
      chunkId: number;
      computeMs: number;
      result: Uint8Array;
      /** Bytes of input data fetched from other peers for this chunk. */
      inputBytes?: number;
    }
  /** A worker failed a chunk (the kernel threw or hit its time limit). */
  | { type: 'chunk-error'; jobId: string; chunkId: number; reason: string }
  /** The user changed the number of donated cores (0: release what is queued here). */
  | { type: 'set-workers'; workers: number }
  /**
   * The person paused contributing: take no new chunks, hand the queued ones back to their
   * controllers at once; running chunks finish and their results are delivered.
   */
  | { type: 'pause' }
  /** The person resumed: load the kernels deferred while paused and ask for chunks again. */
  | { type: 'resume' }
  /**
   * The person leaves the room: every chunk held here goes back to its controller at once,
   * running ones are aborted, and every job is dropped.
   */
  | { type: 'leave' }
  /** Time passed: silences, timeouts and gossip are checked. Every ~250 ms. */
  | { type: 'tick' };

/** Why a peer stopped working on a job. */
export type DropReason = 'done' | 'cancelled' | 'orphaned' | 'kernel-failed' | 'left';

/** What the peer core asks its shell to do, in order. */
export type PeerEffect =
  /** Send a message (to this tab's own id: deliver it to the local controller core). */
  | { type: 'send'; to: string; message: OutgoingJobMessage; body?: Uint8Array }
  /** Get the kernel ready (cache, else `kernel-request` to the controller), then `kernel-ready`. */
  | {
      type: 'load-kernel';
      jobId: string;
      kernel: string;
      sha256: string;
      params: unknown;
      controllerId: string;
    }
  /** Run a chunk on a free worker; answer with `chunk-done` or `chunk-error`. */
  | { type: 'run'; jobId: string; chunkId: number; descriptor: unknown }
  /** Stop the job's running chunks: their results are no longer wanted. */
  | { type: 'abort'; jobId: string }
  /** The job is gone from this peer (after `abort` if chunks were running). */
  | { type: 'job-dropped'; jobId: string; reason: DropReason };

/** This peer's view of one job, for the UI. */
export interface PeerJobSnapshot {
  jobId: string;
  controllerId: string;
  epoch: number;
  controllerReachable: boolean;
  queued: number;
  running: number;
  /** Results computed while the controller was unreachable, waiting for it. */
  unsent: number;
  /** Delivered results kept for a controller restart. */
  retained: number;
  computed: number;
  computeMs: number;
  stealsGiven: number;
  stealsTaken: number;
  failed: number;
}
