/**
 * One simulated member of a room: a small shell that drives a PeerCore (and, on the job's
 * controller, a ControllerCore) over a MemoryTransport, on a simulated clock. It is also the
 * reference for a real shell: which transport events become which core events, how effects
 * are carried out, ticks and heartbeats, and the loopback between a controller and its own
 * tab's peer. Workers are simulated: a chunk takes cost × msPerCost (± jitter) of clock time;
 * a faulty node corrupts a fraction of its results (verification must catch it).
 */
import { parsePeerMessage, withVersion } from '../protocol/messages.ts';
import type { MemoryMesh, MemoryTransport } from '../mesh/memory-transport.ts';
import type { IncomingMessage } from '../mesh/transport.ts';
import type { ControllerCore } from './controller-core.ts';
import type { ControllerEffect, ControllerEvent } from './controller-types.ts';
import { fakeKernel, fakeResult, type FakeParams } from './fake-kernel.ts';
import { isJobMessage, type JobMessage, type OutgoingJobMessage } from './job-messages.ts';
import { PeerCore } from './peer-core.ts';
import { resultHash } from './result-hash.ts';
import type { PeerEffect, PeerEvent, PeerOptions } from './peer-types.ts';
import type { SimClock } from './sim-clock.ts';

export interface SimNodeOptions {
  cores: number;
  msPerCost: number;
  /** Chunk times vary by ± jitter / 2 of their nominal time. */
  jitter: number;
  tickMs: number;
  heartbeatMs: number;
  kernelLoadMs: number;
  rng: () => number;
  params: FakeParams;
  peerOptions?: Partial<PeerOptions>;
  /** The cores a peer donates, as its `hello` would say. */
  coresOf: (peerId: string) => number;
  /** The fraction of its results this node corrupts (a cheater); 0 or absent: honest. */
  faulty?: number;
}

/** What the simulation watches. */
export interface SimNodeHooks {
  started?(chunkId: number): void;
  computed?(chunkId: number): void;
  controllerEffect?(effect: ControllerEffect, body: Uint8Array | undefined): void;
}

export class SimNode {
  alive = true;
  readonly transport: MemoryTransport;
  readonly peer: PeerCore;
  controller: ControllerCore | undefined;
  private heartbeatSeq = 0;

  constructor(
    private readonly clock: SimClock,
    private readonly mesh: MemoryMesh,
    readonly id: string,
    private readonly options: SimNodeOptions,
    private readonly hooks: SimNodeHooks = {},
  ) {
    this.transport = mesh.join(id);
    this.peer = new PeerCore({ selfId: id, workers: options.cores, options: options.peerOptions });
    this.transport.onPeerChange(({ peerId, open }) => {
      if (!this.alive) return;
      if (open) {
        this.toController({ type: 'peer-joined', peerId, cores: options.coresOf(peerId) });
        this.toPeer({ type: 'peer-joined', peerId });
      } else {
        this.toController({ type: 'peer-left', peerId });
        this.toPeer({ type: 'peer-left', peerId });
      }
    });
    this.transport.onMessage((event) => this.alive && this.incoming(event));
    const alive = () => this.alive;
    clock.every(options.tickMs, clock.now, () => this.tick(), alive);
    clock.every(options.heartbeatMs, clock.now, () => this.heartbeat(), alive);
  }

  /** Starts a controller on this node (the job's submitter, or its restart). */
  startController(controller: ControllerCore): void {
    this.controller = controller;
    this.toController({ type: 'start' });
  }

  /** Dies: `close` breaks its channels; `silent` leaves them open but never speaks again. */
  kill(mode: 'close' | 'silent'): void {
    this.alive = false;
    if (mode === 'close') this.mesh.drop(this.id);
  }

  private tick(): void {
    this.toController({ type: 'tick' });
    this.toPeer({ type: 'tick' });
  }

  private heartbeat(): void {
    const message = {
      type: 'heartbeat',
      seq: this.heartbeatSeq++,
      sentAt: this.clock.now,
    } as const;
    for (const peerId of this.transport.peers()) void this.transport.send(peerId, message);
  }

  /** Transport messages: any frame means the sender is alive; job messages go to the cores. */
  private incoming({ from, message, body }: IncomingMessage): void {
    if (!isJobMessage(message)) {
      this.toController({ type: 'peer-heard', peerId: from });
      this.toPeer({ type: 'peer-heard', peerId: from });
      return;
    }
    this.jobMessage(from, message, body);
  }

  private jobMessage(from: string, message: JobMessage, body?: Uint8Array): void {
    const controller = this.controller;
    if (controller && 'jobId' in message && message.jobId === controller.jobId) {
      const valid =
        message.type === 'chunk-result' ? this.validResult(message.chunkId, body) : undefined;
      const hash = valid && body ? { resultHash: resultHash(body) } : {};
      this.toController({ type: 'received', from, message, valid, ...hash }, body);
    }
    this.toPeer({ type: 'received', from, message });
  }

  /** The controller shell's check of a result body (meta.parseChunk + meta.validateResult). */
  private validResult(chunkId: number, body: Uint8Array | undefined): boolean {
    try {
      const params = this.options.params;
      const chunk = fakeKernel.parseChunk(fakeKernel.split(params)[chunkId], params);
      fakeKernel.validateResult(params, chunk, body ?? new Uint8Array());
      return true;
    } catch {
      return false;
    }
  }

  private toController(event: ControllerEvent, body?: Uint8Array): void {
    if (!this.alive || !this.controller) return;
    for (const effect of this.controller.handle(event, this.clock.now)) {
      if (effect.type === 'send') this.route(effect.to, effect.message);
      this.hooks.controllerEffect?.(effect, body);
    }
  }

  private toPeer(event: PeerEvent): void {
    if (!this.alive) return;
    for (const effect of this.peer.handle(event, this.clock.now)) this.peerEffect(effect);
  }

  private peerEffect(effect: PeerEffect): void {
    switch (effect.type) {
      case 'send':
        return this.route(effect.to, effect.message, effect.body);
      case 'load-kernel': {
        const { jobId } = effect;
        this.clock.schedule(this.options.kernelLoadMs, () => {
          this.toPeer({ type: 'kernel-ready', jobId });
        });
        return;
      }
      case 'run': {
        const { jobId, chunkId } = effect;
        const { msPerCost, jitter, rng, params, faulty = 0 } = this.options;
        const nominal = params.chunkCosts[chunkId] * msPerCost;
        const computeMs = Math.max(1, nominal * (1 + jitter * (rng() - 0.5)));
        const result = fakeResult(chunkId);
        if (faulty > 0 && rng() < faulty) result[0] ^= 0xff; // still valid: same length
        this.hooks.started?.(chunkId);
        this.clock.schedule(computeMs, () => {
          if (!this.alive) return;
          this.hooks.computed?.(chunkId);
          this.toPeer({
            type: 'chunk-done',
            jobId,
            chunkId,
            computeMs,
            result,
          });
        });
        return;
      }
      case 'abort':
      case 'job-dropped':
        return; // the core ignores late results of a dropped job
    }
  }

  /**
   * Sends through the transport, or — to this node itself — through a loopback that keeps
   * order and validates like a channel (a controller and its own tab's peer talk this way).
   */
  private route(to: string, message: OutgoingJobMessage, body?: Uint8Array): void {
    if (to !== this.id) {
      this.transport.send(to, message, body).catch(() => {}); // a closed channel: peer-left follows
      return;
    }
    const header: unknown = JSON.parse(JSON.stringify(withVersion(message)));
    this.clock.schedule(0, () => {
      const parsed = parsePeerMessage(header);
      if (this.alive && isJobMessage(parsed)) this.jobMessage(this.id, parsed, body);
    });
  }
}
