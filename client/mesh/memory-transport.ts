/**
 * An in-memory full mesh for tests and simulations: every member gets a Transport, and every
 * pair of members a reliable, ordered channel. Like the WebRTC link, a sender's header goes
 * through JSON and the receiver validates it with `parsePeerMessage`; an invalid one is counted
 * and reported, never delivered. Delivery runs on a clock the test controls (a simulated one,
 * or microtasks by default), and a member can be dropped as if its channels had closed.
 * Realm-neutral.
 */
import { PdError, isPdError } from '../protocol/errors.ts';
import { parsePeerMessage, withVersion, type OutgoingMessage } from '../protocol/messages.ts';
import type { IncomingMessage, PeerChange, Transport } from './transport.ts';

/** Runs callbacks later; callbacks due at the same time run in the order they were scheduled. */
export interface DeliveryClock {
  schedule(delayMs: number, run: () => void): void;
}

export interface MemoryMeshOptions {
  clock?: DeliveryClock;
  /** Delay of one message from `from` to `to` (may vary: a channel stays ordered anyway). */
  latencyMs?: (from: string, to: string) => number;
}

const microtaskClock: DeliveryClock = {
  schedule: (delayMs, run) => (delayMs > 0 ? void setTimeout(run, delayMs) : queueMicrotask(run)),
};

/** One direction of a channel: headers in flight, delivered oldest first. */
interface Channel {
  open: boolean;
  inFlight: { header: unknown; body?: Uint8Array }[];
}

export class MemoryMesh {
  private readonly members = new Map<string, MemoryTransport>();
  /** Keyed `from→to`. */
  private readonly channels = new Map<string, Channel>();
  readonly clock: DeliveryClock;
  private readonly latencyMs: (from: string, to: string) => number;

  constructor(options: MemoryMeshOptions = {}) {
    this.clock = options.clock ?? microtaskClock;
    this.latencyMs = options.latencyMs ?? (() => 0);
  }

  /** Adds a member, with a channel to every present member (both ends hear it open). */
  join(peerId: string): MemoryTransport {
    if (this.members.has(peerId)) throw new Error(`${peerId} is already in the mesh`);
    const transport = new MemoryTransport(this, peerId);
    const others = [...this.members.keys()];
    this.members.set(peerId, transport);
    for (const other of others) {
      this.channels.set(`${peerId}→${other}`, { open: true, inFlight: [] });
      this.channels.set(`${other}→${peerId}`, { open: true, inFlight: [] });
      this.notify(other, { peerId, open: true });
      this.notify(peerId, { peerId: other, open: true });
    }
    return transport;
  }

  /** Closes every channel of `peerId` as if they broke: messages in flight are lost. */
  drop(peerId: string): void {
    if (!this.members.has(peerId)) return;
    for (const other of this.members.keys()) {
      if (other !== peerId) this.disconnect(peerId, other);
    }
    this.members.delete(peerId);
  }

  /** Closes the channel between two members (both ends hear it close). */
  disconnect(a: string, b: string): void {
    const ab = this.channels.get(`${a}→${b}`);
    const ba = this.channels.get(`${b}→${a}`);
    if (!ab?.open || !ba?.open) return;
    for (const channel of [ab, ba]) {
      channel.open = false;
      channel.inFlight = [];
    }
    this.notify(a, { peerId: b, open: false });
    this.notify(b, { peerId: a, open: false });
  }

  /** Members `peerId` has an open channel to. */
  peersOf(peerId: string): string[] {
    return [...this.members.keys()].filter(
      (other) => this.channels.get(`${peerId}→${other}`)?.open === true,
    );
  }

  /** @internal Called by MemoryTransport.send. */
  transmit(from: string, to: string, message: OutgoingMessage, body?: Uint8Array): void {
    const channel = this.channels.get(`${from}→${to}`);
    if (!channel?.open) throw new PdError('peer-unknown', to);
    const header: unknown = JSON.parse(JSON.stringify(withVersion(message)));
    channel.inFlight.push(body ? { header, body: body.slice() } : { header });
    // Each delivery takes the oldest message in flight, so the channel stays ordered whatever
    // the latencies; a closed channel has none left.
    this.clock.schedule(this.latencyMs(from, to), () => {
      const next = channel.inFlight.shift();
      if (!next || !channel.open) return;
      this.members.get(to)?.receive(from, next.header, next.body);
    });
  }

  private notify(peerId: string, change: PeerChange): void {
    const transport = this.members.get(peerId);
    this.clock.schedule(0, () => transport?.changed(change));
  }
}

export class MemoryTransport implements Transport {
  /** Frames from peers that failed validation. */
  invalidFrames = 0;
  private readonly messageListeners = new Set<(event: IncomingMessage) => void>();
  private readonly peerListeners = new Set<(event: PeerChange) => void>();
  private readonly invalidListeners = new Set<(error: PdError, from: string) => void>();
  private closed = false;

  constructor(
    private readonly mesh: MemoryMesh,
    readonly selfId: string,
  ) {}

  peers(): readonly string[] {
    return this.closed ? [] : this.mesh.peersOf(this.selfId);
  }

  send(to: string, message: OutgoingMessage, body?: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new PdError('channel-closed', to));
    try {
      this.mesh.transmit(this.selfId, to, message, body);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  onMessage(listener: (event: IncomingMessage) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  onPeerChange(listener: (event: PeerChange) => void): () => void {
    this.peerListeners.add(listener);
    return () => this.peerListeners.delete(listener);
  }

  /** Hears frames refused by validation (the real link answers them with `error`). */
  onInvalid(listener: (error: PdError, from: string) => void): () => void {
    this.invalidListeners.add(listener);
    return () => this.invalidListeners.delete(listener);
  }

  /** Leaves the mesh: every channel closes. */
  close(): void {
    if (this.closed) return;
    this.mesh.drop(this.selfId);
    this.closed = true;
  }

  /** @internal Called by MemoryMesh. */
  receive(from: string, header: unknown, body?: Uint8Array): void {
    if (this.closed) return;
    let event: IncomingMessage;
    try {
      event = body
        ? { from, message: parsePeerMessage(header), body }
        : { from, message: parsePeerMessage(header) };
    } catch (err) {
      this.invalidFrames += 1;
      const error = isPdError(err) ? err : new PdError('message-invalid', String(err));
      for (const listener of [...this.invalidListeners]) listener(error, from);
      return;
    }
    for (const listener of [...this.messageListeners]) listener(event);
  }

  /** @internal Called by MemoryMesh. */
  changed(change: PeerChange): void {
    if (this.closed && change.open) return;
    for (const listener of [...this.peerListeners]) listener(change);
  }
}
