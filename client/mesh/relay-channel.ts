/**
 * Channel-like adapters over the signaling WebSocket, for members whose data channel cannot
 * open. One RelayOutbox per signaling connection paces everything relayed over it below the
 * server's byte budget (the server drops frames over it, which would break a stream); each
 * member gets a RelayChannel, a `ChannelLike` whose `bufferedAmount` counts its bytes still in
 * the outbox, so FramedChannel's water marks give the same backpressure as on a data channel.
 *
 * Every relayed payload starts with `RELAY_LINK_HEADER_BYTES`: the sending link's nonce and
 * the receiving link's nonce as the sender knows it (0 before it heard from it), both u32
 * big-endian. They tell a frame of a new link from a late one of a link already closed, so
 * a new link never starts in the middle of an old stream (see `routeRelayed`).
 */
import {
  RELAY_CLIENT_BYTES_PER_SECOND,
  RELAY_FRAME_OVERHEAD_BYTES,
} from '../../signaling/relay-frame.ts';
import type { ChannelLike } from './framed-channel.ts';

export interface RelayOutboxOptions {
  /** Sends one relayed frame to member `to`; false when it could not (the socket is down). */
  send(to: string, payload: Uint8Array): boolean;
  /** Bytes per second at most; default RELAY_CLIENT_BYTES_PER_SECOND. */
  bytesPerSecond?: number;
  /** Bytes sent at once after a quiet spell; default a quarter of a second's worth. */
  burstBytes?: number;
  now?: () => number;
}

/** Bytes of the link header in front of every relayed payload. */
export const RELAY_LINK_HEADER_BYTES = 8;

/** A fresh link nonce: random, never 0 (0 means "not known yet"). */
export function newLinkNonce(): number {
  return (Math.floor(Math.random() * 0xffff_fffe) + 1) >>> 0;
}

/** Splits a relayed payload into its link header and the framed bytes; undefined if short. */
export function readLinkHeader(
  payload: Uint8Array,
): { sender: number; echoed: number; data: Uint8Array } | undefined {
  if (payload.byteLength < RELAY_LINK_HEADER_BYTES) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, RELAY_LINK_HEADER_BYTES);
  const sender = view.getUint32(0);
  if (sender === 0) return undefined;
  return { sender, echoed: view.getUint32(4), data: payload.subarray(RELAY_LINK_HEADER_BYTES) };
}

interface Queued {
  channel: RelayChannel;
  payload: Uint8Array;
}

/** The paced queue of one signaling connection's relayed frames, first in first out. */
export class RelayOutbox {
  private readonly queue: Queued[] = [];
  private readonly rate: number;
  private readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private updatedAt: number;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: RelayOutboxOptions) {
    this.rate = options.bytesPerSecond ?? RELAY_CLIENT_BYTES_PER_SECOND;
    this.burst = options.burstBytes ?? Math.ceil(this.rate / 4);
    this.now = options.now ?? Date.now;
    this.tokens = this.burst;
    this.updatedAt = this.now();
  }

  /** A channel to member `to` for a link with nonce `nonce`. */
  channel(to: string, nonce: number): RelayChannel {
    return new RelayChannel(to, nonce, this);
  }

  /** @internal Queues one message of `channel`. */
  enqueue(channel: RelayChannel, payload: Uint8Array): void {
    this.queue.push({ channel, payload });
    this.pump();
  }

  /** @internal Drops what `channel` still has queued. */
  forget(channel: RelayChannel): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i]!.channel === channel) this.queue.splice(i, 1);
    }
  }

  private pump(): void {
    if (this.timer !== undefined) return;
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.rate);
    this.updatedAt = now;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      const cost = next.payload.byteLength + RELAY_FRAME_OVERHEAD_BYTES;
      // A frame bigger than the burst goes out once the bucket is full, leaving it in debt.
      if (this.tokens < Math.min(cost, this.burst)) {
        const waitMs = ((Math.min(cost, this.burst) - this.tokens) / this.rate) * 1000;
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, Math.ceil(waitMs));
        return;
      }
      this.queue.shift();
      this.tokens -= cost;
      next.channel.delivered(next.payload, this.options.send(next.channel.to, next.payload));
    }
  }
}

/** One member's relay channel; FramedChannel sends through it as through a data channel. */
export class RelayChannel implements ChannelLike {
  bufferedAmountLowThreshold = 0;
  private queued = 0;
  private closed = false;
  private readonly lowListeners = new Set<() => void>();
  /** Called when the outbox could not send (the signaling socket is down): the stream broke. */
  onBroken: (() => void) | undefined;

  /** The remote link's nonce, once a frame from it arrived; 0 until then. */
  remoteNonce = 0;

  constructor(
    readonly to: string,
    readonly nonce: number,
    private readonly outbox: RelayOutbox,
  ) {}

  get bufferedAmount(): number {
    return this.queued;
  }

  send(data: Uint8Array<ArrayBuffer>): void {
    if (this.closed) throw new Error('the relay channel is closed');
    const payload = new Uint8Array(RELAY_LINK_HEADER_BYTES + data.byteLength);
    const view = new DataView(payload.buffer);
    view.setUint32(0, this.nonce);
    view.setUint32(4, this.remoteNonce);
    payload.set(data, RELAY_LINK_HEADER_BYTES);
    this.queued += payload.byteLength;
    this.outbox.enqueue(this, payload);
  }

  addEventListener(_type: 'bufferedamountlow', listener: () => void): void {
    this.lowListeners.add(listener);
  }

  removeEventListener(_type: 'bufferedamountlow', listener: () => void): void {
    this.lowListeners.delete(listener);
  }

  /** Stops for good, dropping what is still queued. */
  close(): void {
    this.closed = true;
    this.outbox.forget(this);
    this.queued = 0;
  }

  /** @internal The outbox handed `payload` on (`sent`) or could not. */
  delivered(payload: Uint8Array, sent: boolean): void {
    const before = this.queued;
    this.queued -= payload.byteLength;
    if (!sent && !this.closed) this.onBroken?.();
    if (
      before > this.bufferedAmountLowThreshold &&
      this.queued <= this.bufferedAmountLowThreshold
    ) {
      // Later, as a data channel fires it: a send that drains at once must not re-enter the
      // framing layer's pump from inside its own `send`.
      queueMicrotask(() => {
        for (const listener of [...this.lowListeners]) listener();
      });
    }
  }
}
