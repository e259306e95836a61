/**
 * What every link to one other member does once it has a FramedChannel, whatever carries it
 * (a WebRTC data channel in PeerLink, the signaling server's WebSocket in RelayLink): the
 * `hello` exchange that checks the remote identity, heartbeats that measure RTT and detect a
 * vanished peer, and validation of every incoming header before anyone sees it.
 */
import { PdError, isPdError } from '../protocol/errors.ts';
import type { Frame } from '../protocol/frame.ts';
import {
  parsePeerMessage,
  withVersion,
  type OutgoingMessage,
  type PeerMessage,
  type PeerMessageOf,
} from '../protocol/messages.ts';
import { Emitter } from './emitter.ts';
import type { FramedChannel } from './framed-channel.ts';
import type { IncomingMessage } from './transport.ts';

/** connecting → open (channel up, hello received) → closed (for good; make a new link). */
export type LinkState = 'connecting' | 'open' | 'closed';

export type LinkCloseReason =
  | 'destroyed'
  | 'channel-closed'
  | 'timeout'
  | 'connect-timeout'
  | 'error'
  | 'identity'
  /** The pair moved to another kind of link (WebRTC gave way to the relay). */
  | 'replaced';

export interface FramedLinkOptions {
  remoteId: string;
  /** What this peer says about itself in `hello`. */
  hello: Omit<PeerMessageOf<'hello'>, 'type' | 'v'>;
  heartbeatIntervalMs?: number;
  /** Silence longer than this closes the link (the peer is gone). */
  silenceTimeoutMs?: number;
}

export interface PeerLinkEvents extends Record<string, unknown> {
  state: LinkState;
  message: IncomingMessage;
  rtt: number;
  /** An invalid frame from the remote (counted; the link stays up). */
  invalid: PdError;
}

/** Errors answered per second at most, so two confused peers cannot ping-pong errors. */
const MAX_ERROR_REPLIES_PER_SECOND = 5;

/** A link to one member over a FramedChannel; subclasses supply and tear down the channel. */
export abstract class FramedLink extends Emitter<PeerLinkEvents> {
  readonly remoteId: string;
  protected channel: FramedChannel | undefined;
  protected timers: ReturnType<typeof setInterval>[] = [];
  private currentState: LinkState = 'connecting';
  private remoteHello: PeerMessageOf<'hello'> | undefined;
  private heartbeatSeq = 0;
  private lastHeardAt = 0;
  private errorReplies = { second: 0, count: 0 };
  /** Smoothed round-trip time in ms (undefined until the first heartbeat is answered). */
  rttMs: number | undefined;
  /** Frames from the remote that failed validation. */
  invalidFrames = 0;
  closeReason: LinkCloseReason | undefined;

  constructor(private readonly linkOptions: FramedLinkOptions) {
    super();
    this.remoteId = linkOptions.remoteId;
  }

  get state(): LinkState {
    return this.currentState;
  }

  /** What the remote said about itself, once its `hello` arrived. */
  get hello(): PeerMessageOf<'hello'> | undefined {
    return this.remoteHello;
  }

  /** The framing layer's counters (bytes, frames, errors, buffer high-water). */
  get stats(): FramedChannel['stats'] | undefined {
    return this.channel?.stats;
  }

  /** Sends a message (and optional body); resolves once it is handed to the channel. */
  send(
    message: OutgoingMessage,
    body?: Uint8Array,
    options?: { priority?: 'control' | 'bulk'; signal?: AbortSignal },
  ): Promise<void> {
    if (!this.channel || this.currentState === 'closed') {
      return Promise.reject(new PdError('peer-unknown', this.remoteId));
    }
    const frame: Frame = body
      ? { header: withVersion(message), body }
      : { header: withVersion(message) };
    return this.channel.send(frame, options);
  }

  /**
   * Checks that the remote is still there: unless a frame arrives within `windowMs`, the link
   * closes as timed out. For a hint from elsewhere (the server saw its socket close) that is
   * quicker than waiting out the silence timeout; a live peer heartbeats every second.
   */
  probeLiveness(windowMs = 1500): void {
    if (this.currentState !== 'open') return;
    const since = Date.now();
    this.sendQuietly({ type: 'heartbeat', seq: this.heartbeatSeq++, sentAt: since });
    const timer = setTimeout(() => {
      if (this.lastHeardAt < since) this.close('timeout');
    }, windowMs);
    this.timers.push(timer);
  }

  /** Closes the link for good. */
  close(reason: LinkCloseReason = 'destroyed'): void {
    if (this.currentState === 'closed') return;
    this.closeReason = reason;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.channel?.close();
    this.teardown();
    this.setState('closed');
  }

  /** Releases what carries the channel (called once, from `close`). */
  protected abstract teardown(): void;

  /** Starts using `channel`: says hello and heartbeats from now on. */
  protected attach(channel: FramedChannel): void {
    this.channel = channel;
    channel.onFrame((frame) => this.onFrame(frame));
    channel.onError((err) => this.onInvalid(err));
    this.lastHeardAt = Date.now();
    // Quietly: a link closed before its hello went out (a remote that failed the identity
    // check, say) must not leave a rejected promise behind.
    this.sendQuietly({ type: 'hello', ...this.linkOptions.hello });
    const interval = this.linkOptions.heartbeatIntervalMs ?? 1000;
    this.timers.push(setInterval(() => this.tick(), interval));
  }

  private tick(): void {
    if (Date.now() - this.lastHeardAt > (this.linkOptions.silenceTimeoutMs ?? 3000)) {
      return this.close('timeout');
    }
    this.sendQuietly({ type: 'heartbeat', seq: this.heartbeatSeq++, sentAt: Date.now() });
  }

  private onFrame(frame: Frame): void {
    this.lastHeardAt = Date.now();
    let message: PeerMessage;
    try {
      message = parsePeerMessage(frame.header);
    } catch (err) {
      return this.onInvalid(err);
    }
    switch (message.type) {
      case 'hello':
        if (message.peerId !== this.remoteId) {
          console.warn(`peer ${this.remoteId} introduced itself as ${message.peerId}`);
          return this.close('identity');
        }
        this.remoteHello = message;
        this.setState('open');
        return;
      case 'heartbeat':
        this.sendQuietly({ type: 'heartbeat-ack', seq: message.seq, echoSentAt: message.sentAt });
        break;
      case 'heartbeat-ack': {
        const sample = Math.max(0, Date.now() - message.echoSentAt);
        // Exponentially weighted, as TCP's SRTT (RFC 6298 uses 1/8).
        this.rttMs = this.rttMs === undefined ? sample : this.rttMs * 0.875 + sample * 0.125;
        this.emit('rtt', this.rttMs);
        break;
      }
      case 'error':
        console.warn(`peer ${this.remoteId} refused a frame: ${message.code} ${message.message}`);
        break;
    }
    if (this.currentState !== 'open') return; // nothing but hello counts before hello
    this.emit('message', { from: this.remoteId, message, body: frame.body });
  }

  private onInvalid(err: unknown): void {
    this.invalidFrames++;
    const error = isPdError(err) ? err : new PdError('message-invalid', String(err));
    this.emit('invalid', error);
    const second = Math.floor(Date.now() / 1000);
    if (this.errorReplies.second !== second) this.errorReplies = { second, count: 0 };
    if (this.errorReplies.count++ < MAX_ERROR_REPLIES_PER_SECOND) {
      this.sendQuietly({ type: 'error', code: error.code, message: error.message.slice(0, 1024) });
    }
  }

  /** Control messages whose loss the heartbeat timeout already covers. */
  private sendQuietly(message: OutgoingMessage): void {
    this.send(message, undefined, { priority: 'control' }).catch(() => {});
  }

  private setState(state: LinkState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.emit('state', state);
  }
}
