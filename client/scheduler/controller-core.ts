/**
 * The controller of one job, as a pure state machine: `handle(event, now)` returns effects for
 * the shell to carry out, and never touches a timer, a channel or a database; a periodic `tick`
 * drives timeouts. It hands out batches sized by throughput, accepts the first valid result of
 * each chunk (or, under verification, the result a second peer confirmed), follows steals,
 * requeues the chunks of peers that go, removes peers caught returning wrong results,
 * checkpoints, and restores without recomputing what peers still hold. The rules and how a
 * shell drives it: README.md; events, effects and options: controller-types.ts; verification:
 * verification.ts.
 */
import { ChunkTable, type ChunkState } from './chunk-table.ts';
import {
  defaultControllerOptions,
  type ControllerConfig,
  type ControllerEffect,
  type ControllerEvent,
  type ControllerOptions,
  type ControllerSnapshot,
  type GoneReason,
} from './controller-types.ts';
import {
  MAX_CHUNKS_PER_MESSAGE,
  isControllerBound,
  type JobMessage,
  type JobMessageOf,
  type OutgoingJobMessage,
} from './job-messages.ts';
import { Persistence } from './persistence.ts';
import { PeerRoster, type PeerRecord } from './peer-roster.ts';
import { seededRandom, seedOf } from './seeded-random.ts';
import { Verification } from './verification.ts';

type Status = ControllerSnapshot['status'];

export class ControllerCore {
  readonly jobId: string;
  readonly epoch: number;
  private readonly options: ControllerOptions;
  private readonly table: ChunkTable;
  private readonly peers: PeerRoster;
  private status: Status = 'running';
  private readonly persistence: Persistence;
  private readonly verification: Verification;
  private duplicates = 0;
  private now = 0;
  private out: ControllerEffect[] = [];

  constructor(private readonly config: ControllerConfig) {
    this.jobId = config.jobId;
    this.epoch = config.restore ? config.restore.epoch + 1 : 1;
    const options = { ...defaultControllerOptions, ...config.options };
    options.maxBatch = Math.min(options.maxBatch, MAX_CHUNKS_PER_MESSAGE);
    this.options = options;
    this.persistence = new Persistence(options, config.restore?.expectPeers);
    this.table = new ChunkTable(config.chunks.length, config.restore?.done);
    const total = config.chunks.reduce((sum, chunk) => sum + chunk.cost, 0);
    const meanCost = Math.max(total / Math.max(config.chunks.length, 1), Number.MIN_VALUE);
    this.peers = new PeerRoster(options, meanCost);
    const random = seededRandom(seedOf(config.jobId));
    this.verification = new Verification(options, config.selfId, random);
  }

  /** Feeds one event; returns what the shell must do, in order. */
  handle(event: ControllerEvent, now: number): ControllerEffect[] {
    this.now = now;
    this.out = [];
    if (this.status !== 'running') {
      this.answerAfterEnd(event);
      return this.out;
    }
    switch (event.type) {
      case 'start':
        this.persistence.start(now);
        if (this.config.localCores > 0) this.join(this.config.selfId, this.config.localCores);
        if (this.table.count('done') === this.table.size) this.finish();
        else this.maybeEndLimbo();
        break;
      case 'peer-joined':
        this.join(event.peerId, event.cores);
        break;
      case 'peer-left':
        if (this.peers.get(event.peerId)?.alive) this.markGone(event.peerId, 'left');
        break;
      case 'peer-heard':
        this.heard(event.peerId);
        break;
      case 'received':
        this.received(event.from, event.message, event.valid === true, event);
        break;
      case 'tick':
        this.tick();
        break;
      case 'cancel':
        this.end('cancelled');
        this.out.push({ type: 'cancelled' });
        break;
    }
    return this.out;
  }

  /** The job's progress and per-peer statistics. */
  snapshot(): ControllerSnapshot {
    const { jobId, epoch, status, duplicates } = this;
    const total = this.table.size;
    return {
      jobId,
      epoch,
      status,
      total,
      ...this.table.counts(),
      duplicates,
      peers: this.peers.stats((peerId) => this.verification.trustOf(peerId)),
      verification: this.verification.stats(total),
    };
  }

  /** Where a chunk is and who holds it (the UI may paint tiles by owner). */
  chunk(chunkId: number): { state: ChunkState; owner: string | undefined; moves: number } {
    const t = this.table;
    return { state: t.stateOf(chunkId), owner: t.ownerOf(chunkId), moves: t.movesOf(chunkId) };
  }

  private join(peerId: string, cores: number): void {
    if (cores <= 0) return;
    if (this.verification.isCaught(peerId)) return this.sendEnd(peerId, 'job-cancel');
    this.peers.join(peerId, cores, this.now);
    this.send(peerId, {
      type: 'job-announce',
      jobId: this.jobId,
      kernel: this.config.kernel.name,
      sha256: this.config.kernel.sha256,
      params: this.config.params,
      controllerId: this.config.selfId,
      epoch: this.epoch,
      chunkCount: this.table.size,
      ...(this.config.manifest ? { manifest: this.config.manifest } : {}),
    });
  }

  /** Any sign of life. A peer written off as silent that speaks again is announced afresh. */
  private heard(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    peer.lastHeard = this.now;
    if (!peer.alive && peer.gone === 'silent') this.join(peerId, peer.cores);
  }

  private markGone(peerId: string, reason: GoneReason): void {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    peer.alive = false;
    peer.gone = reason;
    const requeued = this.table.requeueOwnedBy(peerId).length;
    this.peers.counter(peerId).reassignedAway += requeued;
    this.out.push({ type: 'peer-gone', peerId, reason, requeued });
    this.serveWaiting();
  }

  private received(
    from: string,
    message: JobMessage,
    valid: boolean,
    extra: { bodyBytes?: number; resultHash?: string },
  ): void {
    if (!('jobId' in message) || message.jobId !== this.jobId) return;
    this.heard(from);
    // A caught peer's steals still move chunks between others; nothing else of it counts.
    if (this.verification.isCaught(from) && message.type !== 'owner-changed') return;
    switch (message.type) {
      case 'chunk-request': {
        const peer = this.peers.get(from);
        if (peer?.alive && peer.synced) this.serve(from, peer);
        else if (peer?.alive) peer.askedUnsynced = true;
        return;
      }
      case 'chunk-result':
        return this.result(from, message, valid, extra.bodyBytes ?? 0, extra.resultHash ?? '');
      case 'chunk-failed':
        this.peers.counter(from).failures += 1;
        return this.chunkFailed(message.chunkId, message.moves, message.reason);
      case 'owner-changed':
        return this.ownerChanged(from, message);
      case 'job-status':
        return this.statusReported(from, message);
    }
  }

  /** Sends `peerId` a batch sized by its throughput (possibly empty: then it waits). */
  private serve(peerId: string, peer: PeerRecord): void {
    const verification = this.verification;
    const owned = (id: string) => this.table.ownedBy(id).size;
    const refs = this.table.assignQueued(
      peerId,
      this.peers.batchFor(peer, this.table.count('queued')),
      verification.enabled ? (id) => verification.mayRun(id, peerId) : undefined,
    );
    this.send(peerId, {
      type: 'chunk-assign',
      jobId: this.jobId,
      epoch: this.epoch,
      chunks: refs.map(({ id, moves }) => ({
        id,
        moves,
        descriptor: this.config.chunks[id].descriptor,
      })),
      remaining: this.table.count('queued') + this.table.count('limbo'),
      ...(refs.length === 0 ? { owners: this.peers.stealHint(peerId, owned) } : {}),
    });
    peer.waiting = refs.length === 0;
  }

  private serveWaiting(): void {
    for (const [peerId, peer] of this.peers) {
      if (this.table.count('queued') === 0) return;
      if (peer.alive && peer.synced && peer.waiting) this.serve(peerId, peer);
    }
  }

  private result(
    from: string,
    message: JobMessageOf<'chunk-result'>,
    valid: boolean,
    bodyBytes: number,
    hash: string,
  ): void {
    const { chunkId, computeMs } = message;
    if (!this.table.has(chunkId)) return;
    const counter = this.peers.counter(from);
    counter.resultBytes += bodyBytes;
    if (this.table.stateOf(chunkId) === 'done') {
      this.duplicates += 1;
      counter.duplicates += 1;
      return;
    }
    if (!valid) {
      counter.failures += 1;
      return this.chunkFailed(chunkId, message.moves, 'invalid result');
    }
    const cost = this.config.chunks[chunkId].cost;
    const verdict = this.verification.vote(chunkId, from, hash);
    if (verdict.kind === 'repeat') counter.duplicates += 1;
    else this.peers.learn(from, cost, computeMs);
    if (verdict.kind !== 'accept') return this.awaitReplica(chunkId);
    this.table.markDone(chunkId);
    counter.chunksComputed += 1;
    counter.computeMs += computeMs;
    counter.costDone += cost;
    counter.inputBytes += message.inputBytes ?? 0;
    this.out.push({ type: 'accept', chunkId, peerId: from });
    const full = this.persistence.accepted(chunkId, this.now);
    for (const loser of verdict.losers) this.catchPeer(loser);
    if (this.table.count('done') === this.table.size) return this.finish();
    if (full) this.checkpoint();
  }

  /**
   * A chunk's result waits for another peer's: the chunk is queued again unless a peer that
   * has not voted on it holds it already.
   */
  private awaitReplica(chunkId: number): void {
    const owner = this.table.ownerOf(chunkId);
    if (owner !== undefined && this.verification.mayRun(chunkId, owner)) return;
    this.table.requeue(chunkId);
    this.serveWaiting();
  }

  /**
   * Verification outvoted `peerId`: it leaves the job (told to drop it; its chunks are queued
   * again) and every chunk accepted on its word alone is revoked and computed again.
   */
  private catchPeer(peerId: string): void {
    const recompute = this.verification.catch(peerId);
    for (const chunkId of recompute) {
      this.table.reopen(chunkId);
      this.out.push({ type: 'revoke', chunkId });
    }
    this.out.push({ type: 'peer-caught', peerId, recomputed: recompute.length });
    this.sendEnd(peerId, 'job-cancel');
    const peer = this.peers.get(peerId);
    if (peer?.alive) this.markGone(peerId, 'untrusted');
    else if (peer) peer.gone = 'untrusted'; // so that speaking again does not rejoin it
    this.serveWaiting();
  }

  /** Checked chunks no live computing peer may run any more: see Verification.releaseStarved. */
  private releaseStarvedChecks(): void {
    const live = [...this.peers].filter(([, peer]) => peer.alive && peer.cores > 0);
    const waiting = live.some(([, peer]) => peer.waiting);
    const queued = (id: number) => this.table.stateOf(id) === 'queued';
    const ids = live.map(([peerId]) => peerId);
    if (this.verification.releaseStarved(ids, waiting, queued, this.now)) this.serveWaiting();
  }

  /** A failure (or invalid result) at a move older than the table knows is stale news. */
  private chunkFailed(chunkId: number, moves: number, reason: string): void {
    if (!this.table.has(chunkId) || this.table.stateOf(chunkId) === 'done') return;
    if (moves < this.table.movesOf(chunkId)) return;
    if (this.table.countFailure(chunkId) >= this.options.maxChunkFailures) {
      this.end('failed');
      this.out.push({ type: 'failed', chunkId, reason });
      return;
    }
    this.table.requeue(chunkId, moves);
    this.serveWaiting();
  }

  /**
   * Ownership news from a steal. The victim reports it, and the thief confirms it once the
   * grant arrived. Until confirmed the chunks are in transit: if the victim's channel breaks
   * then, the grant may have been lost with it, so they are requeued with the victim's own.
   */
  private ownerChanged(from: string, message: JobMessageOf<'owner-changed'>): void {
    const thief = message.to;
    const confirming = from === thief;
    if (!confirming && message.chunks.length > 0) {
      this.peers.counter(from).stealsGiven += 1;
      this.peers.counter(thief).stealsTaken += 1;
    }
    const thiefAlive = this.peers.get(thief)?.alive === true;
    for (const { id, moves } of message.chunks) {
      if (!this.table.has(id)) continue;
      const applied = this.table.claim(id, thief, moves);
      if (confirming) this.table.confirm(id, thief);
      else if (applied) this.table.stolen(id, from, thief, moves, this.now);
      if (applied && !thiefAlive) this.table.requeue(id);
    }
    if (!thiefAlive) this.serveWaiting();
  }

  /** What a peer holds, after an announce or a silence (see ChunkTable.reconcile). */
  private statusReported(from: string, message: JobMessageOf<'job-status'>): void {
    const peer = this.peers.get(from);
    if (!peer?.alive || message.epoch !== this.epoch) return;
    const wanted = this.table.reconcile(from, message.held, message.buffered);
    for (let i = 0; i < wanted.length; i += MAX_CHUNKS_PER_MESSAGE) {
      const chunkIds = wanted.slice(i, i + MAX_CHUNKS_PER_MESSAGE);
      this.send(from, { type: 'result-request', jobId: this.jobId, chunkIds });
    }
    peer.synced = true;
    peer.waiting = peer.askedUnsynced;
    peer.askedUnsynced = false;
    this.persistence.reportedBy(from);
    this.maybeEndLimbo();
    this.serveWaiting();
  }

  private tick(): void {
    const { silenceMs, transitTimeoutMs } = this.options;
    const silent = this.peers.silent(this.now - silenceMs, this.config.selfId);
    for (const peerId of silent) this.markGone(peerId, 'silent');
    this.maybeEndLimbo();
    if (this.table.expireTransit(this.now, transitTimeoutMs) > 0) this.serveWaiting();
    if (this.verification.enabled) this.releaseStarvedChecks();
    if (this.persistence.due(this.now, this.peers.others(this.config.selfId))) this.checkpoint();
  }

  private maybeEndLimbo(): void {
    if (this.table.count('limbo') === 0) return;
    if (!this.persistence.limboMayEnd(this.now, this.peers.allSynced())) return;
    this.table.releaseLimbo();
    this.serveWaiting();
  }

  private checkpoint(): void {
    const peers = this.peers.others(this.config.selfId);
    // A chunk revoked since it was accepted is saved once it is accepted again.
    const chunkIds = this.persistence.take(peers).filter((id) => this.table.stateOf(id) === 'done');
    this.out.push({ type: 'checkpoint', epoch: this.epoch, chunkIds, peers });
  }

  private finish(): void {
    if (this.persistence.waiting > 0) this.checkpoint();
    this.end('done');
    this.out.push({ type: 'done' });
  }

  /** Ends the job and tells every peer that ever had it. */
  private end(status: Exclude<Status, 'running'>): void {
    this.status = status;
    for (const [peerId] of this.peers) this.sendEnd(peerId);
  }

  /** After the end, a peer that joins or still talks to us about the job is told again. */
  private answerAfterEnd(event: ControllerEvent): void {
    if (event.type === 'peer-joined' && event.cores > 0) this.sendEnd(event.peerId);
    if (event.type !== 'received' || !isControllerBound(event.message)) return;
    if (event.message.jobId === this.jobId) this.sendEnd(event.from);
  }

  /** Tells a peer the job is over: done, or cancelled (also what a caught peer is told). */
  private sendEnd(peerId: string, type?: 'job-cancel'): void {
    const end = type ?? (this.status === 'done' ? 'job-done' : 'job-cancel');
    this.send(peerId, { type: end, jobId: this.jobId, epoch: this.epoch });
  }

  private send(to: string, message: OutgoingJobMessage): void {
    this.out.push({ type: 'send', to, message });
  }
}
