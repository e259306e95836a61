/**
 * One WebRTC link to one other member: a simple-peer connection carrying a FramedChannel,
 * with a `hello` exchange that checks the remote identity, heartbeats that measure RTT and
 * detect a vanished peer, and validation of every incoming header before anyone sees it.
 */
import SimplePeer from 'simple-peer';
import type { IceServer } from '../../signaling/protocol.ts';
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
import { FramedChannel, fragmentSizeFor } from './framed-channel.ts';
import type { IncomingMessage } from './transport.ts';

/** connecting → open (channel up, hello received) → closed (for good; make a new link). */
export type LinkState = 'connecting' | 'open' | 'closed';

export type LinkCloseReason =
  'destroyed' | 'channel-closed' | 'timeout' | 'connect-timeout' | 'error' | 'identity';

export interface PeerLinkOptions {
  remoteId: string;
  /** True on the member with the lower id, which makes the offer (no glare). */
  initiator: boolean;
  iceServers: IceServer[];
  /** What this peer says about itself in `hello`. */
  hello: Omit<PeerMessageOf<'hello'>, 'type' | 'v'>;
  /** Sends a signal to the remote member through the signaling server. */
  sendSignal: (data: unknown) => void;
  /** A WebRTC implementation for Node (node-datachannel/polyfill); browsers use their own. */
  wrtc?: SimplePeer.Options['wrtc'];
  heartbeatIntervalMs?: number;
  /** Silence longer than this closes the link (the peer is gone). */
  silenceTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface PeerLinkEvents extends Record<string, unknown> {
  state: LinkState;
  message: IncomingMessage;
  rtt: number;
  /** An invalid frame from the remote (counted; the link stays up). */
  invalid: PdError;
}

/** The part of simple-peer's instance this module reaches into (not in its public API). */
interface SimplePeerInternals {
  _channel: RTCDataChannel | null;
  _pc: RTCPeerConnection | null;
}

/** Errors answered per second at most, so two confused peers cannot ping-pong errors. */
const MAX_ERROR_REPLIES_PER_SECOND = 5;
/** Messages held before 'connect' at most; a peer flooding before it is ready is dropped. */
const MAX_EARLY_MESSAGES = 256;

export class PeerLink extends Emitter<PeerLinkEvents> {
  readonly remoteId: string;
  private readonly peer: SimplePeer.Instance;
  private channel: FramedChannel | undefined;
  private currentState: LinkState = 'connecting';
  private remoteHello: PeerMessageOf<'hello'> | undefined;
  private heartbeatSeq = 0;
  private lastHeardAt = 0;
  private timers: ReturnType<typeof setInterval>[] = [];
  private errorReplies = { second: 0, count: 0 };
  /**
   * Data that arrived before simple-peer's 'connect': the remote's channel can open (and its
   * `hello` arrive) while this side still waits for its own readiness checks.
   */
  private early: Uint8Array[] = [];
  /** Smoothed round-trip time in ms (undefined until the first heartbeat is answered). */
  rttMs: number | undefined;
  /** Frames from the remote that failed validation. */
  invalidFrames = 0;
  closeReason: LinkCloseReason | undefined;

  constructor(private readonly options: PeerLinkOptions) {
    super();
    this.remoteId = options.remoteId;
    this.peer = new SimplePeer({
      initiator: options.initiator,
      trickle: true,
      config: { iceServers: options.iceServers },
      ...(options.wrtc ? { wrtc: options.wrtc } : {}),
    });
    this.peer.on('signal', (data) => options.sendSignal(data));
    this.peer.on('connect', () => this.onConnect());
    this.peer.on('data', (data: Uint8Array) => this.onData(data));
    this.peer.on('close', () => this.close('channel-closed'));
    this.peer.on('error', (err) => {
      console.warn(`link to ${this.remoteId} failed`, err);
      this.close('error');
    });
    const connectTimeout = setTimeout(() => {
      if (this.currentState === 'connecting') this.close('connect-timeout');
    }, options.connectTimeoutMs ?? 15_000);
    this.timers.push(connectTimeout);
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

  /** Feeds a signal that the remote sent through the signaling server. */
  signal(data: unknown): void {
    if (this.currentState === 'closed') return;
    try {
      this.peer.signal(data as SimplePeer.SignalData);
    } catch (err) {
      // simple-peer throws on malformed signals; a bad signal must not crash the session.
      console.warn(`bad signal from ${this.remoteId}`, err);
    }
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
    this.peer.destroy();
    this.setState('closed');
  }

  private onData(data: Uint8Array): void {
    if (this.channel) return this.channel.receive(data);
    if (this.early.length >= MAX_EARLY_MESSAGES) return this.close('error');
    this.early.push(data);
  }

  private onConnect(): void {
    const internals = this.peer as unknown as SimplePeerInternals;
    const dataChannel = internals._channel;
    if (!dataChannel) return this.close('error');
    // The framing layer's defaults (a 64 KiB send queue, 32 KiB fragments) suit every stack:
    // Chromium needs them (see DEFAULT_HIGH_WATER_MARK) and node-datachannel loses nothing.
    const maxMessageSize = fragmentSizeFor(internals._pc?.sctp?.maxMessageSize);
    this.channel = new FramedChannel(dataChannel, { maxMessageSize });
    // Messages go to the framing layer straight from the channel: simple-peer's own path
    // copies each into a Buffer and pushes it through a readable stream, which costs most of
    // a data channel's throughput. simple-peer keeps handling open/close/errors.
    dataChannel.binaryType = 'arraybuffer';
    dataChannel.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
      if (typeof event.data !== 'string') this.channel?.receive(event.data);
    };
    this.channel.onFrame((frame) => this.onFrame(frame));
    this.channel.onError((err) => this.onInvalid(err));
    this.lastHeardAt = Date.now();
    void this.send({ type: 'hello', ...this.options.hello }, undefined, { priority: 'control' });
    for (const data of this.early) this.channel.receive(data);
    this.early = [];
    this.timers.push(setInterval(() => this.tick(), this.options.heartbeatIntervalMs ?? 1000));
  }

  private tick(): void {
    if (Date.now() - this.lastHeardAt > (this.options.silenceTimeoutMs ?? 3000)) {
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
