/**
 * The executor side of a peer, for every job it works on, as a pure state machine:
 * `handle(event, now)` returns effects and never touches a timer, a worker or a channel. It
 * answers announces with its status, pulls batches when low, runs the newest chunk of a deque,
 * steals when idle (stealing.ts), buffers results while the controller is away and delivers them
 * when asked, and drops a job when it ends. While paused (or with no workers) it takes no chunks
 * and loads no kernels, and hands back whatever reaches its deque. Rules and the shell's part:
 * README.md; events, effects and options: peer-types.ts; one job's state: peer-job.ts.
 */
import type { JobMessage, JobMessageOf, OutgoingJobMessage } from './job-messages.ts';
import { PeerJob, type HeldResult } from './peer-job.ts';
import { acceptGrant, answerSteal, tryToSteal, type Outbox } from './stealing.ts';
import {
  defaultPeerOptions,
  type DropReason,
  type PeerConfig,
  type PeerEffect,
  type PeerEvent,
  type PeerJobSnapshot,
  type PeerOptions,
} from './peer-types.ts';

export class PeerCore {
  readonly selfId: string;
  private workers: number;
  private isPaused: boolean;
  private readonly options: PeerOptions;
  private readonly jobs = new Map<string, PeerJob>();
  /** Peers with an open channel, and when each was last heard. */
  private readonly peers = new Map<string, number>();
  private now = 0;
  private out: PeerEffect[] = [];
  private readonly outbox: Outbox = (to, message) => this.send(to, message);

  constructor(config: PeerConfig) {
    this.selfId = config.selfId;
    this.workers = Math.max(0, config.workers);
    this.isPaused = config.paused === true;
    this.options = { ...defaultPeerOptions, ...config.options };
  }

  /** Feeds one event; returns what the shell must do, in order. */
  handle(event: PeerEvent, now: number): PeerEffect[] {
    this.now = now;
    this.out = [];
    switch (event.type) {
      case 'peer-joined':
        this.peers.set(event.peerId, now);
        for (const job of this.jobs.values()) job.gossipAt = Number.NEGATIVE_INFINITY;
        break;
      case 'peer-left':
        this.peerLeft(event.peerId);
        break;
      case 'peer-heard':
        this.heard(event.peerId, true);
        break;
      case 'received':
        this.heard(event.from, event.message.type !== 'job-announce');
        this.received(event.from, event.message);
        break;
      case 'kernel-ready': {
        const job = this.jobs.get(event.jobId);
        if (job) job.ready = true;
        break;
      }
      case 'kernel-failed':
        this.drop(event.jobId, 'kernel-failed');
        break;
      case 'chunk-done':
        this.chunkDone(event.jobId, event.chunkId, event.computeMs, event.result, event.inputBytes);
        break;
      case 'chunk-error':
        this.chunkError(event.jobId, event.chunkId, event.reason);
        break;
      case 'set-workers':
        this.workers = Math.max(0, event.workers);
        this.loadDeferredKernels();
        break;
      case 'pause':
        this.isPaused = true;
        break;
      case 'resume':
        this.isPaused = false;
        for (const job of this.jobs.values()) job.request = 'none';
        this.loadDeferredKernels();
        break;
      case 'leave':
        this.isPaused = true;
        for (const job of [...this.jobs.values()]) this.leaveJob(job);
        break;
      case 'tick':
        for (const job of [...this.jobs.values()]) this.tick(job);
        break;
    }
    if (this.contributing) this.schedule();
    else this.releaseQueued();
    return this.out;
  }

  /** Every job this peer holds, for the UI. */
  snapshot(): PeerJobSnapshot[] {
    return [...this.jobs.values()].map((job) => job.snapshot());
  }

  /** True while paused (or started paused and not yet resumed). */
  get paused(): boolean {
    return this.isPaused;
  }

  /** Takes chunks and loads kernels: not paused, and with workers. */
  private get contributing(): boolean {
    return !this.isPaused && this.workers > 0;
  }

  /**
   * Hands every queued chunk back: the deques empty and each controller hears a `job-status`
   * without them, so it requeues them at once (ChunkTable.reconcile) and serves its waiting
   * peers. Chunks that arrive later (an assign or a steal grant already on its way) come back
   * the same way. A controller that is away learns it from the status sent when it returns.
   */
  private releaseQueued(): void {
    for (const job of this.jobs.values()) {
      if (job.releaseQueued() > 0 && job.controllerUp) this.sendStatus(job);
    }
  }

  /** Loads the kernels of jobs announced while this peer did not contribute. */
  private loadDeferredKernels(): void {
    if (!this.contributing) return;
    for (const job of this.jobs.values()) {
      const spec = job.deferredKernel;
      if (!spec) continue;
      job.deferredKernel = undefined;
      const { jobId, controllerId } = job;
      this.out.push({ type: 'load-kernel', jobId, ...spec, controllerId });
    }
  }

  /** Gives a job up for good: nothing held here, running chunks aborted, the job dropped. */
  private leaveJob(job: PeerJob): void {
    job.releaseQueued();
    if (job.running.size > 0) this.out.push({ type: 'abort', jobId: job.jobId });
    job.running.clear();
    if (job.controllerUp) this.sendStatus(job);
    this.drop(job.jobId, 'left');
  }

  private peerLeft(peerId: string): void {
    this.peers.delete(peerId);
    for (const job of this.jobs.values()) {
      job.loads.delete(peerId);
      if (job.steal?.victim === peerId) job.steal = undefined;
      if (job.controllerId === peerId && job.controllerUp) job.controllerDown(this.now);
    }
  }

  /** Any sign of life; a controller heard again after a silence gets our status. */
  private heard(peerId: string, revive: boolean): void {
    if (peerId === this.selfId) return;
    this.peers.set(peerId, this.now);
    for (const job of this.jobs.values()) {
      if (job.controllerId !== peerId) continue;
      job.controllerSeenAt = this.now;
      if (revive && !job.controllerUp) {
        job.controllerUp = true;
        this.sendStatus(job);
      }
    }
  }

  private received(from: string, message: JobMessage): void {
    if (message.type === 'job-announce') return this.announced(from, message);
    if (!('jobId' in message)) return;
    const job = this.jobs.get(message.jobId);
    if (message.type === 'steal-request')
      return answerSteal(job, message.jobId, from, this.outbox, this.now);
    if (!job) return;
    const fromController = from === job.controllerId;
    switch (message.type) {
      case 'chunk-assign':
        if (fromController && message.epoch === job.epoch) this.assigned(job, message);
        return;
      case 'result-request':
        if (!fromController) return;
        for (const chunkId of message.chunkIds) {
          const result = job.resultOf(chunkId);
          if (result) this.deliver(job, chunkId, result);
        }
        return;
      case 'steal-grant':
        return acceptGrant(job, from, message, this.selfId, this.outbox);
      case 'job-load':
        if (from !== this.selfId) job.loads.set(from, message.queued);
        return;
      case 'job-cancel':
      case 'job-done':
        if (!fromController || message.epoch < job.epoch) return;
        return this.drop(job.jobId, message.type === 'job-done' ? 'done' : 'cancelled');
    }
  }

  private announced(from: string, message: JobMessageOf<'job-announce'>): void {
    if (from !== message.controllerId) return;
    let job = this.jobs.get(message.jobId);
    let restarted = false;
    if (!job) {
      job = new PeerJob(message.jobId, from, message.epoch, this.now);
      this.jobs.set(job.jobId, job);
      const { kernel, sha256, params } = message;
      // Without consent (paused, or no cores donated) nothing of the job is fetched yet.
      job.deferredKernel = { kernel, sha256, params };
      this.loadDeferredKernels();
    } else {
      const older = message.epoch < job.epoch;
      if (older || (message.epoch === job.epoch && from !== job.controllerId)) return;
      restarted = message.epoch > job.epoch;
      job.controllerId = from;
      job.epoch = message.epoch;
      job.controllerUp = true;
      job.controllerSeenAt = this.now;
      job.request = 'none';
    }
    this.sendStatus(job, restarted);
  }

  private assigned(job: PeerJob, { chunks, owners }: JobMessageOf<'chunk-assign'>): void {
    // The controller's count of who owns what is fresher than their gossip.
    for (const owner of owners ?? []) {
      if (owner.peerId !== this.selfId) job.loads.set(owner.peerId, owner.chunks);
    }
    for (const chunk of chunks) {
      const result = job.resultOf(chunk.id);
      if (result) this.deliver(job, chunk.id, result);
      else if (!job.holds(chunk.id)) job.deque.push(chunk);
    }
    // The latest answer is the controller's view: empty means it will push when it can.
    job.request = chunks.length === 0 ? 'waiting' : 'none';
  }

  /** A worker's result: to the controller now, or buffered until it is back. */
  private chunkDone(
    jobId: string,
    chunkId: number,
    computeMs: number,
    body: Uint8Array,
    inputBytes = 0,
  ): void {
    const job = this.jobs.get(jobId);
    const chunk = job?.running.get(chunkId);
    if (!job || !chunk) return; // aborted, or the job is gone
    job.running.delete(chunkId);
    job.stats.computed += 1;
    job.stats.computeMs += computeMs;
    const result = { moves: chunk.moves, computeMs, inputBytes, body, at: this.now };
    if (job.controllerUp) this.deliver(job, chunkId, result);
    else job.unsent.set(chunkId, result);
  }

  private chunkError(jobId: string, chunkId: number, reason: string): void {
    const job = this.jobs.get(jobId);
    const chunk = job?.running.get(chunkId);
    if (!job || !chunk) return;
    job.running.delete(chunkId);
    job.stats.failed += 1;
    // While the controller is away the failure is not reported: our next job-status omits the
    // chunk, and the controller requeues what we no longer hold.
    if (!job.controllerUp) return;
    const moves = chunk.moves;
    this.send(job.controllerId, { type: 'chunk-failed', jobId, chunkId, moves, reason });
  }

  private deliver(job: PeerJob, chunkId: number, result: HeldResult): void {
    const { moves, computeMs, inputBytes, body } = result;
    const message = {
      type: 'chunk-result',
      jobId: job.jobId,
      chunkId,
      moves,
      computeMs,
      ...(inputBytes ? { inputBytes } : {}),
    } as const;
    this.send(job.controllerId, message, body);
    job.retain(chunkId, { ...result, at: this.now }, this.options.maxRetainedBytes);
  }

  /** What we hold and can deliver, after the news of steals it missed (see takeStealNews). */
  private sendStatus(job: PeerJob, restarted = false): void {
    const news = job.takeStealNews(this.now, this.options.retainMs, restarted);
    for (const message of news) this.send(job.controllerId, message);
    const { held, buffered } = job.status();
    const { jobId, epoch } = job;
    this.send(job.controllerId, { type: 'job-status', jobId, epoch, held, buffered });
  }

  private tick(job: PeerJob): void {
    const remote = job.controllerId !== this.selfId;
    if (job.expire(this.now, this.options, remote) === 'orphaned') {
      return this.drop(job.jobId, 'orphaned');
    }
    this.gossip(job);
  }

  /** Tells every peer this job's queue length: at least every interval, sooner on change. */
  private gossip(job: PeerJob): void {
    const { gossipIntervalMs, gossipMinIntervalMs } = this.options;
    if (!job.gossipDue(this.now, gossipIntervalMs, gossipMinIntervalMs)) return;
    const queued = job.deque.length;
    const message = {
      type: 'job-load',
      jobId: job.jobId,
      queued,
      running: job.running.size,
    } as const;
    for (const peerId of this.peers.keys()) this.send(peerId, message);
  }

  private drop(jobId: string, reason: DropReason): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    if (job.running.size > 0) this.out.push({ type: 'abort', jobId });
    this.jobs.delete(jobId);
    this.out.push({ type: 'job-dropped', jobId, reason });
  }

  /** Fills free workers from the bottom of the deques, then asks for more or steals. */
  private schedule(): void {
    const jobs = [...this.jobs.values()].filter((job) => job.ready);
    let running = jobs.reduce((sum, job) => sum + job.running.size, 0);
    for (let progress = true; progress && running < this.workers;) {
      progress = false;
      for (const job of jobs) {
        const chunk = running < this.workers ? job.popNewest() : undefined;
        if (!chunk) continue;
        job.running.set(chunk.id, chunk);
        running += 1;
        progress = true;
        const { jobId } = job;
        this.out.push({ type: 'run', jobId, chunkId: chunk.id, descriptor: chunk.descriptor });
      }
    }
    for (const job of jobs) {
      this.maybeRequest(job);
      if (running < this.workers) {
        tryToSteal(job, this.outbox, this.peers, this.now, this.options.silenceMs);
      }
    }
  }

  private maybeRequest(job: PeerJob): void {
    const lowWater = Math.max(1, this.options.lowWater ?? this.workers);
    if (this.workers === 0 || !job.controllerUp || job.request !== 'none') return;
    if (job.deque.length >= lowWater) return;
    const want = Math.max(1, 2 * lowWater - job.deque.length);
    this.send(job.controllerId, { type: 'chunk-request', jobId: job.jobId, want });
    job.request = 'pending';
    job.requestAt = this.now;
  }

  private send(to: string, message: OutgoingJobMessage, body?: Uint8Array): void {
    this.out.push(body ? { type: 'send', to, message, body } : { type: 'send', to, message });
  }
}
