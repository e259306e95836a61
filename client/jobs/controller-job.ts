/**
 * The shell around one ControllerCore: a job this tab submitted. It validates result bodies
 * with the kernel's meta, hashes them for verification, merges accepted results into the
 * output (a revoked chunk's region is overwritten when it is accepted again), keeps unsaved
 * results for the next checkpoint, and reports progress. Sending goes through the RoomJobs
 * router, which owns the transport and the loopback to this tab's own peer.
 */
import type { KernelMeta } from '../../kernels/kernel-meta.ts';
import { ControllerCore } from '../scheduler/controller-core.ts';
import type {
  ControllerEffect,
  ControllerEvent,
  ControllerRestore,
  ControllerSnapshot,
} from '../scheduler/controller-types.ts';
import type { JobMessage, OutgoingJobMessage } from '../scheduler/job-messages.ts';
import { Emitter } from '../mesh/emitter.ts';
import { decodeResult, encodeRawResult } from '../protocol/result-encoding.ts';
import { resultHash } from '../scheduler/result-hash.ts';

/** Largest decoded chunk result accepted (a Mandelbrot tile is at most 256 KiB). */
const MAX_RESULT_BYTES = 16 * 1024 * 1024;

/** A kernel meta whose types are not known statically (the registry's entries). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMeta = KernelMeta<any, any, any>;

/** What the job asks of whoever stores it (IndexedDB in a tab, disk in Node). */
export interface JobStore {
  /** Persist these accepted results and the controller's epoch and peers. */
  checkpoint(
    results: Array<{ chunkId: number; peerId: string; bytes: Uint8Array }>,
    state: {
      epoch: number;
      peers: string[];
      done: number;
      total: number;
      status: ControllerSnapshot['status'];
    },
  ): Promise<void>;
}

export interface ControllerJobConfig {
  jobId: string;
  selfId: string;
  meta: AnyMeta;
  params: unknown;
  kernel: { name: string; sha256: string };
  /** Jobs with input data: their blob manifest's SHA-256 (see RoomJobs.submit). */
  manifest?: string;
  localCores: number;
  /**
   * Result verification: the chance a result is checked by a second peer (0 or absent: off,
   * 1: every chunk). See ControllerOptions.verify.
   */
  verify?: number;
  send: (to: string, message: OutgoingJobMessage) => void;
  store?: JobStore;
  restore?: ControllerRestore & {
    results: Array<{ chunkId: number; peerId: string; bytes: Uint8Array }>;
  };
}

export interface ControllerJobEvents extends Record<string, unknown> {
  /** A chunk's result was merged (or restored from a checkpoint). */
  accepted: {
    chunkId: number;
    chunk: unknown;
    peerId: string;
    result: Uint8Array;
    restored: boolean;
  };
  /** The job finished, was cancelled or failed; `snapshot` tells which. */
  ended: ControllerSnapshot;
  /** Something shown in progress changed. */
  progress: undefined;
  'peer-gone': { peerId: string; requeued: number };
  /** Verification caught a peer returning wrong results; `recomputed` chunks run again. */
  'peer-caught': { peerId: string; recomputed: number };
  /** An accepted chunk runs again (its peer was caught): its merged region is stale. */
  revoked: { chunkId: number; chunk: unknown };
}

export class ControllerJob extends Emitter<ControllerJobEvents> {
  readonly jobId: string;
  readonly meta: AnyMeta;
  readonly params: unknown;
  readonly chunks: unknown[];
  readonly output: unknown;
  readonly core: ControllerCore;
  readonly startedAt = performance.now();
  endedAt: number | undefined;
  failure: string | undefined;
  /** Cost units of accepted chunks (pixels × iterations for Mandelbrot). */
  doneCost = 0;
  private readonly unsaved = new Map<number, { peerId: string; bytes: Uint8Array }>();
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly config: ControllerJobConfig) {
    super();
    const { meta } = config;
    this.jobId = config.jobId;
    this.meta = meta;
    this.params = meta.parseParams(config.params);
    this.chunks = meta.split(this.params);
    this.output = meta.createOutput(this.params);
    this.core = new ControllerCore({
      jobId: config.jobId,
      selfId: config.selfId,
      kernel: config.kernel,
      ...(config.manifest ? { manifest: config.manifest } : {}),
      params: config.params,
      chunks: this.chunks.map((descriptor) => ({
        descriptor,
        cost: meta.cost(this.params, descriptor),
      })),
      localCores: config.localCores,
      ...(config.restore ? { restore: config.restore } : {}),
      ...(config.verify ? { options: { verify: config.verify } } : {}),
    });
  }

  /** Merges checkpointed results (after a reload), then announces the job. */
  start(): void {
    for (const { chunkId, peerId, bytes } of this.config.restore?.results ?? []) {
      this.merge(chunkId, peerId, decodeResult(bytes, this.maxResultBytes(chunkId)), undefined);
    }
    this.handle({ type: 'start' });
  }

  snapshot(): ControllerSnapshot {
    return this.core.snapshot();
  }

  /** Feeds a scheduler message for this job; result bodies are checked here. */
  received(from: string, message: JobMessage, body?: Uint8Array): void {
    let valid: boolean | undefined;
    let decoded: Uint8Array | undefined;
    let hash: string | undefined;
    if (message.type === 'chunk-result') {
      try {
        decoded = body && decodeResult(body, this.maxResultBytes(message.chunkId));
        valid = this.validResult(message.chunkId, decoded);
      } catch {
        valid = false; // counted by the core as an invalid result; the chunk runs again
      }
      // Verification compares the decoded bytes: two encodings of one result agree.
      if (valid && decoded && this.config.verify) hash = resultHash(decoded);
    }
    // The core's `accept` merges the decoded bytes; checkpoints keep the compact wire form.
    const event: ControllerEvent = {
      type: 'received',
      from,
      message,
      ...(valid === undefined ? {} : { valid }),
      ...(body ? { bodyBytes: body.byteLength } : {}),
      ...(hash ? { resultHash: hash } : {}),
    };
    for (const effect of this.core.handle(event, performance.now()))
      this.apply(effect, decoded, body);
  }

  handle(event: ControllerEvent): void {
    for (const effect of this.core.handle(event, performance.now())) this.apply(effect);
  }

  cancel(): void {
    this.handle({ type: 'cancel' });
  }

  /** Chunks not yet safe on disk: assigned and not done, or accepted and not checkpointed. */
  inFlight(): number {
    return this.snapshot().owned + this.unsaved.size;
  }

  /** Resolves when every checkpoint issued so far is on disk. */
  flushed(): Promise<void> {
    return this.saving;
  }

  private apply(effect: ControllerEffect, body?: Uint8Array, stored?: Uint8Array): void {
    switch (effect.type) {
      case 'send':
        return this.config.send(effect.to, effect.message);
      case 'accept':
        if (body) this.merge(effect.chunkId, effect.peerId, body, stored ?? encodeRawResult(body));
        return;
      case 'checkpoint':
        return this.checkpoint(effect.chunkIds, effect.epoch, effect.peers);
      case 'peer-gone':
        this.emit('peer-gone', { peerId: effect.peerId, requeued: effect.requeued });
        return this.emit('progress', undefined);
      case 'peer-caught':
        this.emit('peer-caught', { peerId: effect.peerId, recomputed: effect.recomputed });
        return this.emit('progress', undefined);
      case 'revoke':
        return this.revoke(effect.chunkId);
      case 'failed':
        this.failure = `chunk ${effect.chunkId} failed: ${effect.reason}`;
        return this.end();
      case 'done':
      case 'cancelled':
        return this.end();
    }
  }

  private end(): void {
    this.endedAt ??= performance.now();
    const snapshot = this.snapshot();
    // The final checkpoint (issued before `done`) is written first, so "done" on disk is true.
    void this.saving.then(() => this.emit('ended', snapshot));
    this.emit('progress', undefined);
  }

  /** Merges decoded bytes; `stored` is what the next checkpoint keeps (none when restored). */
  private merge(
    chunkId: number,
    peerId: string,
    bytes: Uint8Array,
    stored: Uint8Array | undefined,
  ): void {
    const restored = stored === undefined;
    const chunk = this.chunks[chunkId];
    this.meta.merge(this.output, this.params, chunk, bytes);
    this.doneCost += this.meta.cost(this.params, chunk);
    if (stored) this.unsaved.set(chunkId, { peerId, bytes: stored });
    this.emit('accepted', { chunkId, chunk, peerId, result: bytes, restored });
    this.emit('progress', undefined);
  }

  /** A merged chunk no longer counts; its region is overwritten when it is accepted again. */
  private revoke(chunkId: number): void {
    const chunk = this.chunks[chunkId];
    this.doneCost -= this.meta.cost(this.params, chunk);
    this.unsaved.delete(chunkId);
    this.emit('revoked', { chunkId, chunk });
  }

  private checkpoint(chunkIds: number[], epoch: number, peers: string[]): void {
    const store = this.config.store;
    const results = chunkIds.flatMap((chunkId) => {
      const saved = this.unsaved.get(chunkId);
      this.unsaved.delete(chunkId);
      return saved ? [{ chunkId, ...saved }] : [];
    });
    if (!store) return;
    const { done, total, status } = this.snapshot();
    this.saving = this.saving
      .then(() => store.checkpoint(results, { epoch, peers, done, total, status }))
      .catch((err: unknown) => console.error('checkpoint failed', err));
  }

  /** The decode bound of a chunk's result: the kernel's own when it has one. */
  private maxResultBytes(chunkId: number): number {
    const chunk = this.chunks[chunkId];
    if (chunk === undefined || !this.meta.maxResultBytes) return MAX_RESULT_BYTES;
    return Math.min(MAX_RESULT_BYTES, this.meta.maxResultBytes(this.params, chunk));
  }

  private validResult(chunkId: number, body: Uint8Array | undefined): boolean {
    const chunk = this.chunks[chunkId];
    if (chunk === undefined || !body) return false;
    try {
      this.meta.validateResult(this.params, chunk, body);
      return true;
    } catch {
      return false;
    }
  }
}
