/**
 * Jobs in one room, for one member: the PeerCore that computes whatever jobs reach this
 * member, the ControllerJobs it submitted, and the routing between them and the transport —
 * including the loopback over which a controller talks to its own tab's peer. It is the
 * real counterpart of the simulation's SimNode (client/scheduler/sim-node.ts).
 */
import { kernelByName } from '../../kernels/registry.ts';
import { Emitter } from '../mesh/emitter.ts';
import type { IncomingMessage } from '../mesh/transport.ts';
import { parsePeerMessage, withVersion } from '../protocol/messages.ts';
import { PdError } from '../protocol/errors.ts';
import { encodeRawResult, encodeResult } from '../protocol/result-encoding.ts';
import { sha256Hex } from '../protocol/sha256.ts';
import {
  isJobMessage,
  type JobMessage,
  type OutgoingJobMessage,
} from '../scheduler/job-messages.ts';
import { PeerCore } from '../scheduler/peer-core.ts';
import type { PeerEffect, PeerEvent } from '../scheduler/peer-types.ts';
import { BlobExchange } from './blob-exchange.ts';
import { BlobStore } from './blob-store.ts';
import { ControllerJob, type ControllerJobConfig } from './controller-job.ts';
import { KernelExchange } from './kernel-exchange.ts';

import type { RoomJobsEvents, RoomJobsOptions } from './room-jobs-types.ts';

export type {
  ChunkRunner,
  KernelStore,
  RoomJobsEvents,
  RoomJobsOptions,
} from './room-jobs-types.ts';

const TICK_MS = 250;

/**
 * Chunks started per worker. Pools run with the same `runsPerWorker`, so the second chunk
 * already waits in the worker's own queue when it finishes the first: a worker does not sit
 * idle while this thread merges, paints, encodes or sends (1–2 ms a chunk, which cost a
 * quarter of a render when the second chunk waited on this thread to be posted).
 */
export const RUNS_PER_WORKER = 2;

interface JobInfo {
  kernel: string;
  sha256: string;
  params: unknown;
  bytes?: Uint8Array;
  abort: AbortController;
  controllerId: string;
  /** Jobs with input data: blob name → SHA-256, from the job's manifest. */
  manifest?: Map<string, string>;
  /** Peers that granted us chunks of this job: they likely hold those chunks' blobs. */
  sources: Set<string>;
}

export class RoomJobs extends Emitter<RoomJobsEvents> {
  readonly selfId: string;
  readonly peer: PeerCore;
  readonly controllers = new Map<string, ControllerJob>();
  /** Chunks this member computed, for any job, since it joined. */
  chunksComputed = 0;
  private readonly jobs = new Map<string, JobInfo>();
  private readonly kernelExchange: KernelExchange;
  readonly blobs: BlobStore;
  /** Manifest hashes announced per job (a job-announce comes before its load-kernel). */
  private readonly manifests = new Map<string, string>();
  private readonly blobExchange: BlobExchange;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly timer: ReturnType<typeof setInterval>;
  /** While leaving: the sends still on their way, awaited before the links close. */
  private flushing: Promise<unknown>[] | undefined;

  constructor(private readonly options: RoomJobsOptions) {
    super();
    const { transport } = options;
    this.selfId = transport.selfId;
    this.blobs = options.blobs ?? new BlobStore();
    this.blobExchange = new BlobExchange({
      selfId: this.selfId,
      store: this.blobs,
      send: (to, message, body) => this.route(to, message, body),
      timeoutMs: options.blobFetchTimeoutMs ?? 30_000,
    });
    this.kernelExchange = new KernelExchange({
      send: (to, message, body) => this.route(to, message, body),
      timeoutMs: options.kernelFetchTimeoutMs ?? 30_000,
    });
    this.peer = new PeerCore({
      selfId: this.selfId,
      workers: options.workers * RUNS_PER_WORKER,
      paused: options.paused === true,
    });
    this.unsubscribe.push(
      transport.onMessage((event) => this.incoming(event)),
      transport.onPeerChange(({ peerId, open }) => {
        if (!open) this.blobExchange.peerLeft(peerId);
        this.toPeer(open ? { type: 'peer-joined', peerId } : { type: 'peer-left', peerId });
        for (const job of this.controllers.values()) {
          job.handle(
            open
              ? { type: 'peer-joined', peerId, cores: options.coresOf(peerId) }
              : { type: 'peer-left', peerId },
          );
        }
      }),
    );
    for (const peerId of transport.peers()) this.toPeer({ type: 'peer-joined', peerId });
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Submits a job from this tab: it becomes the job's controller. */
  async submit(
    kernel: { name: string; bytes: Uint8Array },
    params: unknown,
    options: {
      jobId?: string;
      localCores: number;
      /** The job's input data, for kernels that take some (`meta.blobs`). */
      data?: unknown;
      store?: ControllerJobConfig['store'];
      restore?: ControllerJobConfig['restore'];
      /** Result verification (see ControllerJobConfig.verify). */
      verify?: number;
    },
  ): Promise<ControllerJob> {
    const meta = kernelByName(kernel.name);
    const jobId =
      options.jobId ?? `j${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const sha256 = await this.options.kernels
      .put(kernel.bytes, kernel.name)
      .catch(() => sha256Hex(kernel.bytes));
    this.kernelExchange.keep(sha256, kernel.bytes);
    const manifest = meta.blobs
      ? await this.blobExchange.publishJobData(`controller:${jobId}`, meta, params, options.data)
      : undefined;
    const job = new ControllerJob({
      jobId,
      selfId: this.selfId,
      meta,
      params,
      kernel: { name: kernel.name, sha256 },
      ...(manifest ? { manifest } : {}),
      localCores: options.localCores,
      send: (to, message) => this.route(to, message),
      ...(options.store ? { store: options.store } : {}),
      ...(options.restore ? { restore: options.restore } : {}),
      ...(options.verify ? { verify: options.verify } : {}),
    });
    this.controllers.set(job.jobId, job);
    job.on('ended', () => {
      this.controllers.delete(job.jobId);
      this.blobs.release(`controller:${job.jobId}`);
    });
    // Listeners subscribe before start(), which merges (and reports) checkpointed results.
    this.emit('job-started', job);
    job.start();
    for (const peerId of this.options.transport.peers()) {
      job.handle({ type: 'peer-joined', peerId, cores: this.options.coresOf(peerId) });
    }
    return job;
  }

  /** Changes the workers this member computes with. */
  setWorkers(workers: number): void {
    this.options.runner.size = Math.max(1, workers);
    this.toPeer({ type: 'set-workers', workers: workers * RUNS_PER_WORKER });
  }

  /** True while this member takes no new chunks (see pause). */
  get paused(): boolean {
    return this.peer.paused;
  }

  /**
   * Stops taking new chunks: the queued ones go back to their controllers at once, running
   * ones finish and deliver their results.
   */
  pause(): void {
    if (this.peer.paused) return;
    this.toPeer({ type: 'pause' });
    this.emit('paused', true);
    this.emit('work', this.peer.snapshot());
  }

  /** Takes chunks again after `pause` (or after starting paused). */
  resume(): void {
    if (!this.peer.paused) return;
    this.toPeer({ type: 'resume' });
    this.emit('paused', false);
    this.emit('work', this.peer.snapshot());
  }

  /**
   * Hands every chunk held here back to its controller (running ones are aborted) and waits,
   * at most `timeoutMs`, for those messages to leave before closing — so controllers requeue
   * them now rather than when they notice the links closed. The caller closes the session.
   */
  async leave(timeoutMs = 1000): Promise<void> {
    const sends: Promise<unknown>[] = [];
    this.flushing = sends;
    this.toPeer({ type: 'leave' });
    this.flushing = undefined;
    this.emit('work', []);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled(sends),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    this.close();
  }

  close(): void {
    clearInterval(this.timer);
    for (const off of this.unsubscribe) off();
    for (const info of this.jobs.values()) info.abort.abort();
    for (const job of this.controllers.values()) job.cancel();
  }

  private tick(): void {
    for (const job of this.controllers.values()) job.handle({ type: 'tick' });
    this.toPeer({ type: 'tick' });
    this.emit('work', this.peer.snapshot());
  }

  private incoming({ from, message, body }: IncomingMessage): void {
    if (!isJobMessage(message)) {
      // Heartbeats and other mesh frames: the sender is alive.
      for (const job of this.controllers.values()) job.handle({ type: 'peer-heard', peerId: from });
      return this.toPeer({ type: 'peer-heard', peerId: from });
    }
    this.jobMessage(from, message, body);
  }

  private jobMessage(from: string, message: JobMessage, body?: Uint8Array): void {
    if (message.type === 'kernel-request') return this.kernelExchange.serve(from, message.sha256);
    if (message.type === 'kernel-bytes') {
      return this.kernelExchange.received(message.sha256, body);
    }
    if (message.type === 'blob-request') return this.blobExchange.serve(from, message.sha256);
    if (message.type === 'blob-bytes') return this.blobExchange.answer(from, message.sha256, body);
    if (message.type === 'blob-missing') return this.blobExchange.answer(from, message.sha256);
    if (message.type === 'job-announce' && message.manifest) {
      this.manifests.set(message.jobId, message.manifest);
    }
    if (message.type === 'steal-grant') this.jobs.get(message.jobId)?.sources.add(from);
    const job = 'jobId' in message ? this.controllers.get(message.jobId) : undefined;
    job?.received(from, message, body);
    this.toPeer({ type: 'received', from, message });
  }

  private toPeer(event: PeerEvent): void {
    for (const effect of this.peer.handle(event, performance.now())) this.peerEffect(effect);
  }

  private peerEffect(effect: PeerEffect): void {
    switch (effect.type) {
      case 'send':
        return this.route(effect.to, effect.message, effect.body);
      case 'load-kernel': {
        const info: JobInfo = {
          kernel: effect.kernel,
          sha256: effect.sha256,
          params: effect.params,
          abort: new AbortController(),
          controllerId: effect.controllerId,
          sources: new Set(),
        };
        this.jobs.set(effect.jobId, info);
        void this.loadKernel(effect.jobId, info, effect.controllerId);
        return;
      }
      case 'run':
        return void this.runChunk(effect.jobId, effect.chunkId, effect.descriptor);
      case 'abort': {
        const info = this.jobs.get(effect.jobId);
        if (info) {
          info.abort.abort();
          info.abort = new AbortController();
        }
        return;
      }
      case 'job-dropped':
        this.jobs.get(effect.jobId)?.abort.abort();
        this.jobs.delete(effect.jobId);
        this.manifests.delete(effect.jobId);
        this.blobs.release(`peer:${effect.jobId}`);
        return;
    }
  }

  private async loadKernel(jobId: string, info: JobInfo, controllerId: string): Promise<void> {
    try {
      const meta = kernelByName(info.kernel);
      info.params = meta.parseParams(info.params);
      info.bytes =
        this.kernelExchange.known(info.sha256) ??
        (await this.options.kernels.get(
          info.sha256,
          (sha) => this.kernelExchange.fetch(controllerId, sha),
          info.kernel,
        ));
      this.kernelExchange.keep(info.sha256, info.bytes);
      const manifestSha = this.manifests.get(jobId);
      if (meta.inputsOf && !manifestSha) throw new PdError('blob-unavailable', 'no manifest');
      if (manifestSha) {
        info.manifest = await this.blobExchange.fetchManifest(`peer:${jobId}`, manifestSha, [
          controllerId,
        ]);
      }
      this.toPeer({ type: 'kernel-ready', jobId });
    } catch (err) {
      this.toPeer({
        type: 'kernel-failed',
        jobId,
        reason: err instanceof Error ? err.message : String(err),
      });
    }
  }

  private async runChunk(jobId: string, chunkId: number, descriptor: unknown): Promise<void> {
    const info = this.jobs.get(jobId);
    if (!info?.bytes)
      return this.toPeer({ type: 'chunk-error', jobId, chunkId, reason: 'kernel not loaded' });
    try {
      // Peers that handed us chunks of this job first, then the controller, which has them all.
      const { inputs, fetchedBytes } = await this.blobExchange.fetchInputs(`peer:${jobId}`, {
        meta: kernelByName(info.kernel),
        params: info.params,
        manifest: info.manifest,
        descriptor,
        sources: [...info.sources, info.controllerId],
      });
      const { result, ms } = await this.options.runner.run(
        {
          kernel: info.kernel,
          sha256: info.sha256,
          bytes: info.bytes,
          params: info.params,
          chunk: descriptor,
          inputs,
        },
        { signal: info.abort.signal, timeoutMs: this.options.chunkTimeoutMs ?? 60_000 },
      );
      this.chunksComputed++;
      this.toPeer({
        type: 'chunk-done',
        jobId,
        chunkId,
        computeMs: ms,
        result,
        ...(fetchedBytes ? { inputBytes: fetchedBytes } : {}),
      });
    } catch (err) {
      if (info.abort.signal.aborted) return; // the core asked for this; it expects no answer
      this.toPeer({
        type: 'chunk-error',
        jobId,
        chunkId,
        reason: err instanceof Error ? err.message : String(err),
      });
    }
  }

  /**
   * Sends over the transport, or — to this member itself — through a loopback that keeps
   * order and validates like a channel, so a controller and its own peer speak the wire format.
   */
  private route(to: string, message: OutgoingJobMessage, body?: Uint8Array): void {
    if (message.type === 'chunk-result' && body) {
      body = to === this.selfId ? encodeRawResult(body) : encodeResult(body);
    }
    if (to !== this.selfId) {
      const priority = body ? 'bulk' : 'control';
      const sent = this.options.transport.send(to, message, body, { priority }).catch(() => {
        // No open link (the peer left, or is reconnecting after a reload): peer-left follows
        // or already came, so a blob request asks the next source now, not after a timeout.
        if (message.type === 'blob-request') this.blobExchange.answer(to, message.sha256);
      });
      this.flushing?.push(sent);
      return;
    }
    const header: unknown = JSON.parse(JSON.stringify(withVersion(message)));
    // A macrotask, not a microtask: a controller and its own peer must not be able to
    // starve the page (rendering, input, the data channels) by talking to each other.
    setTimeout(() => {
      const parsed = parsePeerMessage(header);
      if (isJobMessage(parsed)) this.jobMessage(this.selfId, parsed, body);
    }, 0);
  }
}
