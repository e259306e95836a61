/**
 * One WebRTC link to one other member: a simple-peer connection carrying a FramedChannel.
 * The hello exchange, heartbeats and validation are FramedLink's.
 */
import SimplePeer from 'simple-peer';
import type { IceServer } from '../../signaling/protocol.ts';
import { FramedChannel, fragmentSizeFor } from './framed-channel.ts';
import { FramedLink, type FramedLinkOptions } from './framed-link.ts';

export type { LinkCloseReason, LinkState, PeerLinkEvents } from './framed-link.ts';

export interface PeerLinkOptions extends FramedLinkOptions {
  /** True on the member with the lower id, which makes the offer (no glare). */
  initiator: boolean;
  iceServers: IceServer[];
  /** Sends a signal to the remote member through the signaling server. */
  sendSignal: (data: unknown) => void;
  /** A WebRTC implementation for Node (node-datachannel/polyfill); browsers use their own. */
  wrtc?: SimplePeer.Options['wrtc'];
  connectTimeoutMs?: number;
}

/** The part of simple-peer's instance this module reaches into (not in its public API). */
interface SimplePeerInternals {
  _channel: RTCDataChannel | null;
  _pc: RTCPeerConnection | null;
}

/** Messages held before 'connect' at most; a peer flooding before it is ready is dropped. */
const MAX_EARLY_MESSAGES = 256;

export class PeerLink extends FramedLink {
  private readonly peer: SimplePeer.Instance;
  /**
   * Data that arrived before simple-peer's 'connect': the remote's channel can open (and its
   * `hello` arrive) while this side still waits for its own readiness checks.
   */
  private early: Uint8Array[] = [];

  constructor(options: PeerLinkOptions) {
    super(options);
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
      if (this.state === 'closed') return;
      console.warn(`link to ${this.remoteId} failed`, err);
      this.close('error');
    });
    const connectTimeout = setTimeout(() => {
      if (this.state === 'connecting') this.close('connect-timeout');
    }, options.connectTimeoutMs ?? 15_000);
    this.timers.push(connectTimeout);
  }

  /** Feeds a signal that the remote sent through the signaling server. */
  signal(data: unknown): void {
    if (this.state === 'closed') return;
    try {
      this.peer.signal(data as SimplePeer.SignalData);
    } catch (err) {
      // simple-peer throws on malformed signals; a bad signal must not crash the session.
      console.warn(`bad signal from ${this.remoteId}`, err);
    }
  }

  protected override teardown(): void {
    this.peer.destroy();
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
    const channel = new FramedChannel(dataChannel, { maxMessageSize });
    // Messages go to the framing layer straight from the channel: simple-peer's own path
    // copies each into a Buffer and pushes it through a readable stream, which costs most of
    // a data channel's throughput. simple-peer keeps handling open/close/errors.
    dataChannel.binaryType = 'arraybuffer';
    dataChannel.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
      if (typeof event.data !== 'string') this.channel?.receive(event.data);
    };
    this.attach(channel);
    for (const data of this.early) channel.receive(data);
    this.early = [];
  }
}
