/**
 * The controller's view of the peers of one job: who is alive, whether each answered the
 * latest announce, its measured throughput (which sizes its batches), and its statistics.
 * Records outlive a peer's departure, so a peer that comes back keeps what was learned.
 */
import type { ControllerOptions, GoneReason, PeerStats } from './controller-types.ts';
import { MAX_STEAL_HINTS } from './job-messages.ts';

export interface PeerRecord {
  cores: number;
  lastHeard: number;
  alive: boolean;
  gone?: GoneReason;
  /** It answered our latest `job-announce`; until then its requests are not served. */
  synced: boolean;
  /** It asked and got nothing: serve it as soon as chunks are queued. */
  waiting: boolean;
  /**
   * It asked before its `job-status` arrived (the two can cross: a peer may ask as soon as
   * its kernel is ready). Served once it is synced, instead of after its request timeout.
   */
  askedUnsynced: boolean;
  /** Cost units per ms on one core; a default until its first accepted result. */
  ratePerCore: number;
  learned: boolean;
}

/** A peer that owns `chunks` more chunks than it has cores, named in an empty chunk-assign. */
export interface StealHint {
  peerId: string;
  chunks: number;
}

/** A peer's counters, as in PeerStats. */
export type PeerCounters = Omit<
  PeerStats,
  'peerId' | 'throughput' | 'alive' | 'checked' | 'agreed' | 'caught'
>;

export class PeerRoster {
  private readonly records = new Map<string, PeerRecord>();
  private readonly counters = new Map<string, PeerCounters>();

  constructor(
    private readonly options: ControllerOptions,
    /** Mean chunk cost of the job: a batch is counted in chunks of this cost. */
    private readonly meanCost: number,
  ) {}

  get(peerId: string): PeerRecord | undefined {
    return this.records.get(peerId);
  }

  /** Every record, departed peers included. */
  [Symbol.iterator](): IterableIterator<[string, PeerRecord]> {
    return this.records.entries();
  }

  /** A peer (re)joins: alive, not yet synced; what was learned about it is kept. */
  join(peerId: string, cores: number, now: number): PeerRecord {
    const known = this.records.get(peerId);
    const record: PeerRecord = {
      cores,
      lastHeard: now,
      alive: true,
      synced: false,
      waiting: false,
      askedUnsynced: false,
      ratePerCore: known?.ratePerCore ?? this.meanCost / this.options.assumedChunkMs,
      learned: known?.learned ?? false,
    };
    this.records.set(peerId, record);
    return record;
  }

  /** Live peers other than `selfId`, sorted: the job's other peers, as checkpoints save them. */
  others(selfId: string): string[] {
    const ids = [...this.records].filter(([id, peer]) => peer.alive && id !== selfId);
    return ids.map(([id]) => id).sort();
  }

  /** Live peers other than `selfId` (its own tab cannot fall silent) not heard since `since`. */
  silent(since: number, selfId: string): string[] {
    const ids = [...this.records].filter(
      ([id, p]) => p.alive && id !== selfId && p.lastHeard < since,
    );
    return ids.map(([id]) => id);
  }

  /** True when every live peer answered the latest announce. */
  allSynced(): boolean {
    return [...this.records.values()].every((peer) => !peer.alive || peer.synced);
  }

  /** Learns from an accepted result: an exponential moving average of cost per ms. */
  learn(peerId: string, cost: number, computeMs: number): void {
    const peer = this.records.get(peerId);
    if (!peer) return;
    const sample = cost / Math.max(computeMs, 1);
    const weight = peer.learned ? this.options.throughputSmoothing : 1;
    peer.ratePerCore = peer.ratePerCore * (1 - weight) + sample * weight;
    peer.learned = true;
  }

  /**
   * Chunks for one batch: about `batchTargetMs` of work at the peer's throughput, at least one
   * per core, but no more than its throughput's share of the `queued` chunks (so one early
   * peer cannot take everything), and at least one.
   */
  batchFor(peer: PeerRecord, queued: number): number {
    const { batchTargetMs, maxBatch } = this.options;
    const throughput = peer.ratePerCore * peer.cores;
    const target = Math.round((throughput * batchTargetMs) / this.meanCost);
    let total = 0;
    for (const other of this.records.values()) {
      if (other.alive) total += other.ratePerCore * other.cores;
    }
    const share = Math.ceil((queued * throughput) / Math.max(total, throughput));
    return Math.max(1, Math.min(Math.max(target, peer.cores), maxBatch, share));
  }

  /**
   * Where an idle `asker` should steal: the live peers that own more chunks than they have
   * cores (so likely some not yet started), most first, at most MAX_STEAL_HINTS of them.
   */
  stealHint(asker: string, owned: (peerId: string) => number): StealHint[] {
    const hint: StealHint[] = [];
    for (const [peerId, peer] of this.records) {
      const spare = owned(peerId) - peer.cores;
      if (peer.alive && peerId !== asker && spare > 0) hint.push({ peerId, chunks: spare });
    }
    hint.sort((a, b) => b.chunks - a.chunks || (a.peerId < b.peerId ? -1 : 1));
    return hint.slice(0, MAX_STEAL_HINTS);
  }

  counter(peerId: string): PeerCounters {
    let counter = this.counters.get(peerId);
    if (!counter) {
      counter = {
        chunksComputed: 0,
        computeMs: 0,
        costDone: 0,
        inputBytes: 0,
        resultBytes: 0,
        stealsGiven: 0,
        stealsTaken: 0,
        reassignedAway: 0,
        duplicates: 0,
        failures: 0,
      };
      this.counters.set(peerId, counter);
    }
    return counter;
  }

  /** Every peer ever seen or counted, by id, with its verification record from `trustOf`. */
  stats(
    trustOf: (peerId: string) => Pick<PeerStats, 'checked' | 'agreed' | 'caught'>,
  ): PeerStats[] {
    const ids = new Set([...this.counters.keys(), ...this.records.keys()]);
    return [...ids].sort().map((peerId) => {
      const peer = this.records.get(peerId);
      const throughput = peer ? peer.ratePerCore * peer.cores : 0;
      const alive = peer?.alive ?? false;
      return { peerId, ...this.counter(peerId), throughput, alive, ...trustOf(peerId) };
    });
  }
}
