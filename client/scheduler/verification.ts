/**
 * Result verification for one job, as pure bookkeeping (BOINC-style quorum, adaptive): a
 * chunk chosen for checking is not accepted on one peer's word — its result's hash waits for
 * a second peer's; a mismatch waits for a third, and the first hash two peers agree on wins.
 * Peers whose hash lost are caught. Trust grows with agreeing results, so a trusted peer's
 * results are chosen for checking less often, though never with zero chance. The controller's
 * own results are trusted: never checked, and decisive in a dispute. The controller core acts
 * on the verdicts (requeue, accept, remove a caught peer, recompute what it alone vouched for).
 */
import type { ControllerOptions, VerificationStats } from './controller-types.ts';

/** What to do with a valid result, from `Verification.vote`. */
export type Verdict =
  /** Accept (merge) this result; `losers` are peers whose different result it outvoted. */
  | { kind: 'accept'; confirmed: boolean; losers: string[] }
  /** Keep the hash; the chunk must run on a peer that has not voted on it yet. */
  | { kind: 'wait' }
  /** This peer already voted on the chunk (it stole its own replica, say): not a new vote. */
  | { kind: 'repeat' };

interface Vote {
  peerId: string;
  hash: string;
}

/** A peer's record of checks, as in PeerStats. */
export interface TrustRecord {
  checked: number;
  agreed: number;
  caught: boolean;
}

type VerifyOptions = Pick<
  ControllerOptions,
  'verify' | 'verifyMin' | 'verifyTrustScale' | 'verifyAloneAfterMs'
>;

export class Verification {
  /** Chunks whose results wait for a quorum, with the votes so far. */
  private readonly votes = new Map<number, Vote[]>();
  /** Chunks accepted on one peer's word alone, by that peer: recomputed if it is caught. */
  private readonly vouched = new Map<string, Set<number>>();
  /** Chunks no other eligible peer was left to check: the next result is taken alone. */
  private readonly exempt = new Set<number>();
  private readonly trust = new Map<string, TrustRecord>();
  private checkedChunks = 0;
  private replicas = 0;
  private recomputed = 0;
  private readonly caught: string[] = [];
  /** Since when checked chunks wait for a peer that may run them (see releaseStarved). */
  private starvedSince: number | undefined;

  constructor(
    private readonly options: VerifyOptions,
    /** The controller's own peer: its results are trusted. */
    private readonly selfId: string,
    /** Uniform in [0, 1): seeded, so the core stays deterministic. */
    private readonly random: () => number,
  ) {}

  get enabled(): boolean {
    return this.options.verify > 0;
  }

  /** The chance that a result of `peerId` is chosen for checking (see ControllerOptions). */
  checkProbability(peerId: string): number {
    const { verify, verifyMin, verifyTrustScale } = this.options;
    if (verify <= 0 || peerId === this.selfId) return 0;
    if (verify >= 1) return 1;
    const agreed = this.trust.get(peerId)?.agreed ?? 0;
    return Math.max(Math.min(verifyMin, verify), verify / (1 + agreed / verifyTrustScale));
  }

  /** False when `peerId` already voted on the chunk: its replica must run elsewhere. */
  mayRun(chunkId: number, peerId: string): boolean {
    return !this.votes.get(chunkId)?.some((vote) => vote.peerId === peerId);
  }

  /** Peers that voted on a chunk still waiting for a quorum (none: not waiting). */
  votersOf(chunkId: number): string[] {
    return (this.votes.get(chunkId) ?? []).map((vote) => vote.peerId);
  }

  /**
   * A chunk whose one vote came from the only peers left that compute is taken on its next
   * result alone, rather than waiting for a peer that may never come — once some peer has
   * waited for work `verifyAloneAfterMs` with such chunks queued. Called on every tick with
   * the live computing peers; returns true when it exempted chunks (serve the waiting peers).
   */
  releaseStarved(
    live: readonly string[],
    someoneWaits: boolean,
    isQueued: (chunkId: number) => boolean,
    now: number,
  ): boolean {
    const starved: number[] = [];
    if (someoneWaits) {
      for (const [chunkId, votes] of this.votes) {
        if (votes.length !== 1 || !isQueued(chunkId)) continue;
        if (!live.some((peerId) => this.mayRun(chunkId, peerId))) starved.push(chunkId);
      }
    }
    if (starved.length === 0) {
      this.starvedSince = undefined;
      return false;
    }
    this.starvedSince ??= now;
    if (now - this.starvedSince < this.options.verifyAloneAfterMs) return false;
    this.starvedSince = undefined;
    for (const chunkId of starved) this.exemptChunk(chunkId);
    return true;
  }

  /** A valid result of `chunkId` from `peerId`, whose decoded bytes hash to `hash`. */
  vote(chunkId: number, peerId: string, hash: string): Verdict {
    const votes = this.votes.get(chunkId);
    if (!votes) {
      const exempt = this.exempt.delete(chunkId);
      if (exempt || this.random() >= this.checkProbability(peerId)) {
        this.vouch(peerId, chunkId);
        return { kind: 'accept', confirmed: false, losers: [] };
      }
      this.votes.set(chunkId, [{ peerId, hash }]);
      this.checkedChunks += 1;
      return { kind: 'wait' };
    }
    if (votes.some((vote) => vote.peerId === peerId)) return { kind: 'repeat' };
    this.replicas += 1;
    votes.push({ peerId, hash });
    const agreeing = votes.filter((vote) => vote.hash === hash);
    // Two agreeing peers settle it; so does the controller's own (trusted) result.
    if (agreeing.length < 2 && peerId !== this.selfId) return { kind: 'wait' };
    this.votes.delete(chunkId);
    const losers: string[] = [];
    for (const vote of votes) {
      const record = this.record(vote.peerId);
      record.checked += 1;
      if (vote.hash === hash) record.agreed += 1;
      else losers.push(vote.peerId);
    }
    return { kind: 'accept', confirmed: true, losers };
  }

  /**
   * Marks `peerId` caught: forgets its votes, and returns the chunks it alone vouched for
   * (accepted without a check), which must be computed again.
   */
  catch(peerId: string): number[] {
    const record = this.record(peerId);
    if (record.caught) return [];
    record.caught = true;
    this.caught.push(peerId);
    for (const [chunkId, votes] of this.votes) {
      const kept = votes.filter((vote) => vote.peerId !== peerId);
      if (kept.length === 0) this.votes.delete(chunkId);
      else this.votes.set(chunkId, kept);
    }
    const ids = [...(this.vouched.get(peerId) ?? [])].sort((a, b) => a - b);
    this.vouched.delete(peerId);
    this.recomputed += ids.length;
    return ids;
  }

  isCaught(peerId: string): boolean {
    return this.trust.get(peerId)?.caught === true;
  }

  /**
   * No peer that may still run this chunk is left: its next result is taken alone (its one
   * vote is dropped, so the chunk runs once more without a check).
   */
  private exemptChunk(chunkId: number): void {
    const votes = this.votes.get(chunkId);
    if (!votes) return;
    this.votes.delete(chunkId);
    this.exempt.add(chunkId);
    this.replicas += 1; // the dropped vote's work is spent on checking
  }

  /** A peer's checks so far. */
  trustOf(peerId: string): TrustRecord {
    return { ...(this.trust.get(peerId) ?? { checked: 0, agreed: 0, caught: false }) };
  }

  stats(total: number): VerificationStats {
    const extra = this.replicas + this.recomputed;
    return {
      fraction: this.options.verify,
      checkedChunks: this.checkedChunks,
      replicas: this.replicas,
      recomputed: this.recomputed,
      overhead: total > 0 ? extra / total : 0,
      caught: [...this.caught],
    };
  }

  private vouch(peerId: string, chunkId: number): void {
    if (peerId === this.selfId || !this.enabled) return;
    let set = this.vouched.get(peerId);
    if (!set) this.vouched.set(peerId, (set = new Set()));
    set.add(chunkId);
  }

  private record(peerId: string): TrustRecord {
    let record = this.trust.get(peerId);
    if (!record) this.trust.set(peerId, (record = { checked: 0, agreed: 0, caught: false }));
    return record;
  }
}
