/**
 * One job as a peer holds it: a deque of unstarted chunks (the peer works from the bottom,
 * the newest end; thieves take from the top, the oldest end), the chunks running on its
 * workers, and the results it still owes or keeps for the controller. Pure data with small
 * operations; peer-core.ts decides when to use them.
 */
import {
  MAX_STATUS_CHUNKS,
  type AssignedChunk,
  type ChunkRef,
  type JobMessageOf,
} from './job-messages.ts';
import type { PeerJobSnapshot, PeerOptions } from './peer-types.ts';

/** News of a steal for the controller. */
type OwnerNews = Omit<JobMessageOf<'owner-changed'>, 'v'>;
/** Steals remembered for the controller, at most. */
const MAX_STEAL_NEWS = 1024;

/** A computed result waiting for (or kept after) delivery. */
export interface HeldResult {
  moves: number;
  computeMs: number;
  /** Input bytes fetched for the chunk (reported with the result). */
  inputBytes: number;
  body: Uint8Array;
  /** When it was computed (unsent) or delivered (retained). */
  at: number;
}

/** `none`: may ask; `pending`: asked; `waiting`: the controller had nothing and will push. */
export type RequestState = 'none' | 'pending' | 'waiting';

/** What a peer needs to load a job's kernel, kept from the announce until it contributes. */
export interface KernelSpec {
  kernel: string;
  sha256: string;
  params: unknown;
}

export class PeerJob {
  ready = false;
  /** Set while the kernel is yet to be loaded (deferred while the peer does not contribute). */
  deferredKernel: KernelSpec | undefined;
  /** Unstarted chunks: index 0 is the top (oldest), the end is the bottom (newest). */
  readonly deque: AssignedChunk[] = [];
  readonly running = new Map<number, AssignedChunk>();
  request: RequestState = 'none';
  requestAt = 0;
  steal: { victim: string; at: number } | undefined;
  controllerUp = true;
  controllerSeenAt: number;
  downSince = 0;
  /** Results computed while the controller was unreachable. */
  readonly unsent = new Map<number, HeldResult>();
  /** Delivered results, oldest first, kept in case the controller restarts before saving. */
  readonly retained = new Map<number, HeldResult>();
  private retainedBytes = 0;
  /** Recent steals this peer granted, and whether their news reached the controller's link. */
  private stealNews: { news: OwnerNews; at: number; sent: boolean }[] = [];
  /** Unstarted chunks other peers last said they had (gossip, steal grants). */
  readonly loads = new Map<string, number>();
  gossipAt = Number.NEGATIVE_INFINITY;
  private gossipQueued = -1;
  readonly stats = { computed: 0, computeMs: 0, stealsGiven: 0, stealsTaken: 0, failed: 0 };

  constructor(
    readonly jobId: string,
    public controllerId: string,
    public epoch: number,
    now: number,
  ) {
    this.controllerSeenAt = now;
  }

  /** True when the chunk is queued or running here. */
  holds(chunkId: number): boolean {
    return this.running.has(chunkId) || this.deque.some((chunk) => chunk.id === chunkId);
  }

  /** The result of a chunk this peer computed and still has, delivered or not. */
  resultOf(chunkId: number): HeldResult | undefined {
    return this.unsent.get(chunkId) ?? this.retained.get(chunkId);
  }

  /** Empties the deque (the chunks go back to the controller); returns how many there were. */
  releaseQueued(): number {
    const count = this.deque.length;
    this.deque.length = 0;
    this.request = 'none';
    return count;
  }

  /** The newest unstarted chunk, which this peer runs next. */
  popNewest(): AssignedChunk | undefined {
    return this.deque.pop();
  }

  /**
   * Removes the older half (rounded up) of the unstarted chunks, for a thief. Running chunks
   * never move. Each moved chunk's move count grows by one.
   */
  takeOlderHalf(): AssignedChunk[] {
    const count = Math.ceil(this.deque.length / 2);
    return this.deque.splice(0, count).map((chunk) => ({ ...chunk, moves: chunk.moves + 1 }));
  }

  /** True (and noted) when the queue length is due for gossip: every interval, sooner on change. */
  gossipDue(now: number, intervalMs: number, minIntervalMs: number): boolean {
    const since = now - this.gossipAt;
    const changed = this.deque.length !== this.gossipQueued;
    if (since < intervalMs && (!changed || since < minIntervalMs)) return false;
    this.gossipAt = now;
    this.gossipQueued = this.deque.length;
    return true;
  }

  /** Remembers a steal this peer granted (`sent`: its news went to the controller). */
  noteSteal(news: OwnerNews, now: number, sent: boolean): void {
    this.stealNews.push({ news, at: now, sent });
    if (this.stealNews.length > MAX_STEAL_NEWS) this.stealNews.shift();
  }

  /**
   * The news to send before a job-status: steals granted while the controller was away, and
   * — for a controller that restarted (`all`), which lost what it had heard — every steal of
   * the last `sinceMs`, whose grants may still be on their way to the thieves.
   */
  takeStealNews(now: number, sinceMs: number, all: boolean): OwnerNews[] {
    this.stealNews = this.stealNews.filter((entry) => now - entry.at <= sinceMs);
    const news = this.stealNews.filter((entry) => all || !entry.sent).map((entry) => entry.news);
    for (const entry of this.stealNews) entry.sent = true;
    return news;
  }

  /** The controller is unreachable: results buffer, and a pending request is forgotten. */
  controllerDown(now: number): void {
    this.controllerUp = false;
    this.downSince = now;
    this.request = 'none';
  }

  /**
   * Applies the timeouts: a silent (remote) controller becomes unreachable, one unreachable
   * too long orphans the job, unanswered requests and steals are given up, old results go.
   */
  expire(now: number, options: PeerOptions, remote: boolean): 'orphaned' | undefined {
    if (remote && this.controllerUp && now - this.controllerSeenAt > options.silenceMs) {
      this.controllerDown(now);
    }
    if (!this.controllerUp && now - this.downSince > options.orphanMs) return 'orphaned';
    if (this.request === 'pending' && now - this.requestAt > options.requestTimeoutMs) {
      this.request = 'none';
    }
    if (this.steal && now - this.steal.at > options.stealTimeoutMs) {
      this.loads.set(this.steal.victim, 0);
      this.steal = undefined;
    }
    this.expireRetained(now - options.retainMs);
    return undefined;
  }

  /** Keeps a delivered result, dropping the oldest ones beyond `maxBytes`. */
  retain(chunkId: number, result: HeldResult, maxBytes: number): void {
    this.unsent.delete(chunkId);
    this.forget(chunkId);
    this.retained.set(chunkId, result);
    this.retainedBytes += result.body.byteLength;
    for (const oldest of this.retained.keys()) {
      if (this.retainedBytes <= maxBytes) break;
      this.forget(oldest);
    }
  }

  /** Drops delivered results older than `olderThan`. */
  private expireRetained(olderThan: number): void {
    for (const [chunkId, result] of this.retained) {
      if (result.at >= olderThan) break;
      this.forget(chunkId);
    }
  }

  /** What `job-status` reports: chunks held (queued or running) and results on hand. */
  status(): { held: ChunkRef[]; buffered: number[] } {
    const held = [...this.running.values(), ...this.deque]
      .slice(0, MAX_STATUS_CHUNKS)
      .map(({ id, moves }) => ({ id, moves }));
    const buffered = [...this.unsent.keys(), ...this.retained.keys()].slice(0, MAX_STATUS_CHUNKS);
    return { held, buffered };
  }

  snapshot(): PeerJobSnapshot {
    return {
      jobId: this.jobId,
      controllerId: this.controllerId,
      epoch: this.epoch,
      controllerReachable: this.controllerUp,
      queued: this.deque.length,
      running: this.running.size,
      unsent: this.unsent.size,
      retained: this.retained.size,
      ...this.stats,
    };
  }

  private forget(chunkId: number): void {
    const result = this.retained.get(chunkId);
    if (!result) return;
    this.retainedBytes -= result.body.byteLength;
    this.retained.delete(chunkId);
  }
}
