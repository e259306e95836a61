/**
 * A link to one member whose data channel would not open, relayed through the signaling
 * server's WebSocket. It offers what PeerLink offers (hello and identity check, heartbeats
 * and RTT, framed `send`, 'message' events) over a RelayChannel, so RoomSession and the jobs
 * above it treat it as any other open link. Either side may start one: a relayed frame of a
 * new link from a member makes the other side create its own (see `routeRelayed`).
 */
import { RELAY_MAX_PAYLOAD_BYTES } from '../../signaling/relay-frame.ts';
import { FramedChannel } from './framed-channel.ts';
import { FramedLink, type FramedLinkOptions } from './framed-link.ts';
import { RELAY_LINK_HEADER_BYTES, type RelayChannel } from './relay-channel.ts';

export interface RelayLinkOptions extends FramedLinkOptions {
  /** The member's channel in the session's RelayOutbox (it carries this link's nonce). */
  channel: RelayChannel;
  /** A link whose remote does not say hello within this time closes; default 15 s. */
  connectTimeoutMs?: number;
}

/** What to do with a relayed frame: feed it to the live link, start a new one, or drop it. */
export type RelayRoute = 'feed' | 'new' | 'drop';

/**
 * Decides where a relayed frame from link `sender` goes, which names `echoed` as the link it
 * is for (0: the sender has not heard from this side yet). `link` is this side's live relay
 * link to that member, if any. A frame naming a link of ours that is not the live one is a
 * late frame of a closed stream: starting a link on it would begin mid-stream, so it is
 * dropped, and the sender's link falls silent and closes by itself.
 */
export function routeRelayed(
  link: { nonce: number; remoteNonce: number } | undefined,
  sender: number,
  echoed: number,
): RelayRoute {
  if (!link) return echoed === 0 ? 'new' : 'drop';
  if (echoed !== 0 && echoed !== link.nonce) return 'drop';
  if (link.remoteNonce === 0 || link.remoteNonce === sender) return 'feed';
  // A link we have not heard from before: the remote started over.
  return echoed === 0 ? 'new' : 'drop';
}

export class RelayLink extends FramedLink {
  private readonly relayChannel: RelayChannel;

  constructor(options: RelayLinkOptions) {
    // Relayed frames share the server's socket with everything else, and a server that is
    // busy for a moment should not cost the pair their link: allow more silence than WebRTC.
    super({ silenceTimeoutMs: 6000, ...options });
    this.relayChannel = options.channel;
    this.relayChannel.onBroken = () => this.close('channel-closed');
    const maxMessageSize = RELAY_MAX_PAYLOAD_BYTES - RELAY_LINK_HEADER_BYTES;
    this.attach(new FramedChannel(this.relayChannel, { maxMessageSize }));
    const connectTimeout = setTimeout(() => {
      if (this.state === 'connecting') this.close('connect-timeout');
    }, options.connectTimeoutMs ?? 15_000);
    this.timers.push(connectTimeout);
  }

  /** This link's nonce. */
  get nonce(): number {
    return this.relayChannel.nonce;
  }

  /** The remote link's nonce (0 until a frame from it arrived). */
  get remoteNonce(): number {
    return this.relayChannel.remoteNonce;
  }

  /** Feeds the framed bytes of one relayed payload that `routeRelayed` sent here. */
  receive(sender: number, data: Uint8Array): void {
    if (this.state === 'closed') return;
    this.relayChannel.remoteNonce = sender;
    this.channel?.receive(data);
  }

  protected override teardown(): void {
    this.relayChannel.close();
  }
}
