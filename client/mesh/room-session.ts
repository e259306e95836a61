/**
 * Membership of one room: the signaling client introduces members, and this keeps one
 * PeerLink to each (the lower id offers), retries links that fail while both ends are still
 * in the room, and implements Transport over the open links. Links outlive the signaling
 * socket, so a server restart does not interrupt work. A pair whose data channel does not
 * open in time falls back to a RelayLink through the server (which does need the socket).
 */
import type { DeviceInfo, ErrorMessage, Member } from '../../signaling/protocol.ts';
import { SIGNALING_PATH } from '../../signaling/protocol.ts';
import type { OutgoingMessage } from '../protocol/messages.ts';
import { PdError } from '../protocol/errors.ts';
import { Emitter } from './emitter.ts';
import { LinkProber, type ProbeResult } from './link-probe.ts';
import { PeerLink, type PeerLinkOptions } from './peer-link.ts';
import { RelayOutbox, newLinkNonce, readLinkHeader } from './relay-channel.ts';
import { RelayLink, routeRelayed } from './relay-link.ts';
import { SignalingClient, type SignalingState } from './signaling-client.ts';
import type { IncomingMessage, PeerChange, SendOptions, Transport } from './transport.ts';

export interface SelfInfo {
  peerId: string;
  name: string;
  device: DeviceInfo;
  donatedCores: number;
}

export interface RoomSessionOptions {
  /** Base URL of the server (http or https); the WebSocket URL is derived from it. */
  serverUrl: string;
  roomId: string;
  token: string;
  self: SelfInfo;
  WebSocket?: typeof WebSocket;
  wrtc?: PeerLinkOptions['wrtc'];
  /** How long a departed member stays listed as gone. */
  goneListedMs?: number;
  /**
   * A data channel still not open this long after its link started gives way to a relay
   * through the signaling server; default 10 s, 0 never relays.
   */
  relayAfterMs?: number;
}

/** How a member looks from here. */
export type ConnectionState = 'self' | 'connecting' | 'connected' | 'gone';

export interface PeerView {
  peerId: string;
  name: string;
  device: DeviceInfo;
  donatedCores: number;
  connection: ConnectionState;
  rttMs?: number;
  /** Present (true) when frames to this member go through the server, not a data channel. */
  relayed?: true;
}

export interface RoomSessionEvents extends Record<string, unknown> {
  /** Something shown in the member list changed. */
  change: undefined;
  signaling: SignalingState;
  /** The server refused the join (bad or expired token, full room) or a message. */
  error: ErrorMessage;
  message: IncomingMessage;
  peer: PeerChange;
}

/** Attempts to reopen a link to a member before giving up (about five minutes, backed off). */
const MAX_RETRIES = 32;

/** Either kind of link to a member. */
type MemberLink = PeerLink | RelayLink;

export class RoomSession extends Emitter<RoomSessionEvents> implements Transport {
  readonly selfId: string;
  readonly signaling: SignalingClient;
  private readonly members = new Map<string, Member>();
  private readonly links = new Map<string, MemberLink>();
  private readonly relayTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly outbox: RelayOutbox;
  private readonly gone = new Map<string, { member: Member; at: number }>();
  private readonly retries = new Map<
    string,
    { attempt: number; timer: ReturnType<typeof setTimeout> }
  >();
  private readonly offered = new WeakSet<MemberLink>();
  private iceServers: RTCIceServer[] = [];
  private readonly prober = new LinkProber(this);
  private closed = false;

  constructor(private readonly options: RoomSessionOptions) {
    super();
    this.selfId = options.self.peerId;
    const url = new URL(SIGNALING_PATH, options.serverUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    this.signaling = new SignalingClient({
      url: url.href,
      join: { room: options.roomId, token: options.token, ...options.self },
      ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    });
    this.outbox = new RelayOutbox({ send: (to, data) => this.signaling.relay(to, data) });
    this.signaling.on('state', (state) => {
      // Relayed frames in flight are lost with the socket, which breaks their streams.
      if (state !== 'joined') this.closeRelayLinks();
      this.emit('signaling', state);
      this.emit('change', undefined);
    });
    this.signaling.on('welcome', (welcome) => {
      this.iceServers = welcome.iceServers;
      for (const member of welcome.members) this.addMember(member);
    });
    this.signaling.on('member-joined', (member) => this.addMember(member));
    this.signaling.on('member-updated', (member) => this.addMember(member));
    this.signaling.on('member-left', ({ peerId, reason }) => this.onMemberLeft(peerId, reason));
    this.signaling.on('signal', ({ from, data }) => this.onSignal(from, data));
    this.signaling.on('relay', ({ from, payload }) => this.onRelay(from, payload));
    this.signaling.on('error', (error) => {
      // The server dropped a relayed frame: some relayed stream has a hole in it now.
      if (error.code === 'relay-limited') this.closeRelayLinks();
      this.emit('error', error);
    });
  }

  /** Joins the room. */
  start(): void {
    this.signaling.connect();
  }

  /** Leaves the room and closes every link. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signaling.close(true);
    for (const retry of this.retries.values()) clearTimeout(retry.timer);
    for (const timer of this.relayTimers.values()) clearTimeout(timer);
    for (const link of this.links.values()) link.close();
    this.links.clear();
    this.emit('change', undefined);
  }

  /** This member first, then the others in join order, then recently departed ones. */
  view(): PeerView[] {
    const self: PeerView = { ...this.options.self, connection: 'self' };
    const now = Date.now();
    const goneListedMs = this.options.goneListedMs ?? 15_000;
    const others = [...this.members.values()].map((member): PeerView => {
      const link = this.links.get(member.peerId);
      const open = link?.state === 'open';
      return {
        ...member,
        ...(link?.hello ? { name: link.hello.name, donatedCores: link.hello.donatedCores } : {}),
        connection: open ? 'connected' : 'connecting',
        ...(open && link.rttMs !== undefined ? { rttMs: link.rttMs } : {}),
        ...(open && link instanceof RelayLink ? { relayed: true as const } : {}),
      };
    });
    const departed = [...this.gone.values()]
      .filter((entry) => now - entry.at < goneListedMs)
      .map(({ member }): PeerView => ({ ...member, connection: 'gone' }));
    return [self, ...others, ...departed];
  }

  peers(): readonly string[] {
    return [...this.links.values()].filter((l) => l.state === 'open').map((l) => l.remoteId);
  }

  send(
    to: string,
    message: OutgoingMessage,
    body?: Uint8Array,
    options?: SendOptions,
  ): Promise<void> {
    const link = this.links.get(to);
    if (!link || link.state !== 'open') return Promise.reject(new PdError('peer-unknown', to));
    return link.send(message, body, options);
  }

  onMessage(listener: (event: IncomingMessage) => void): () => void {
    return this.on('message', listener);
  }

  onPeerChange(listener: (event: PeerChange) => void): () => void {
    return this.on('peer', listener);
  }

  /** Runs the link test against every connected peer in turn. */
  async probeAll(bytes: number): Promise<ProbeResult[]> {
    const results: ProbeResult[] = [];
    for (const peerId of this.peers()) results.push(await this.prober.probe(peerId, bytes));
    return results;
  }

  private addMember(member: Member): void {
    if (member.peerId === this.selfId || this.closed) return;
    this.members.set(member.peerId, member);
    this.gone.delete(member.peerId);
    this.ensureLink(member.peerId);
    this.emit('change', undefined);
  }

  private onMemberLeft(peerId: string, reason: string): void {
    const member = this.members.get(peerId);
    if (!member) {
      // Already shown gone (its link fell silent): it left the server too, so stop offering.
      this.cancelRetry(peerId);
      if (this.gone.has(peerId)) this.links.get(peerId)?.close();
      return;
    }
    const link = this.links.get(peerId);
    // The data channel is the truth about a peer: one whose signaling socket dropped but whose
    // channel still answers heartbeats is still here (a closed tab does not always close its
    // channels, hence the probe). Leaving on purpose is final.
    if (reason !== 'left' && link?.state === 'open') return link.probeLiveness();
    this.members.delete(peerId);
    this.gone.set(peerId, { member, at: Date.now() });
    link?.close();
    this.emit('change', undefined);
  }

  private ensureLink(peerId: string): MemberLink {
    const existing = this.links.get(peerId);
    if (existing && existing.state !== 'closed') return existing;
    const link = new PeerLink({
      remoteId: peerId,
      initiator: this.selfId < peerId,
      iceServers: this.iceServers,
      hello: { ...this.options.self },
      sendSignal: (data) => this.signaling.signal(peerId, data),
      ...(this.options.wrtc ? { wrtc: this.options.wrtc } : {}),
    });
    this.track(link);
    this.scheduleRelay(link);
    return link;
  }

  private track(link: MemberLink): void {
    this.links.set(link.remoteId, link);
    link.on('state', (state) => this.onLinkState(link, state));
    link.on('rtt', () => this.emit('change', undefined));
    link.on('message', (event) => {
      if (!this.prober.handle(event)) this.emit('message', event);
    });
    this.emit('change', undefined);
  }

  /**
   * Both members time their own side of a link, and either one whose data channel is still
   * not open by then starts relaying; the first relayed frame makes the other follow (see
   * onRelay), so the pair agree without a negotiation of their own.
   */
  private scheduleRelay(link: PeerLink): void {
    const after = this.options.relayAfterMs ?? 10_000;
    if (after <= 0) return;
    clearTimeout(this.relayTimers.get(link.remoteId));
    const timer = setTimeout(() => {
      this.relayTimers.delete(link.remoteId);
      if (this.closed || this.links.get(link.remoteId) !== link) return;
      if (link.state !== 'connecting') return;
      console.info(
        `no data channel to ${link.remoteId} after ${after / 1000} s: relaying through the server`,
      );
      this.startRelay(link.remoteId);
    }, after);
    this.relayTimers.set(link.remoteId, timer);
  }

  /** Replaces the link to `peerId` (if any) with a new relay link. */
  private startRelay(peerId: string): RelayLink {
    const previous = this.links.get(peerId);
    const link = new RelayLink({
      remoteId: peerId,
      hello: { ...this.options.self },
      channel: this.outbox.channel(peerId, newLinkNonce()),
    });
    link.on('state', (state) => {
      if (state === 'open') console.info(`link to ${peerId} is relayed through the server`);
    });
    this.track(link);
    if (previous && previous.state !== 'closed') {
      // Its own 'closed' is ignored below, as it is no longer the member's link.
      if (previous.state === 'open') this.emit('peer', { peerId, open: false });
      previous.close('replaced');
    }
    return link;
  }

  private onRelay(from: string, payload: Uint8Array): void {
    if (this.closed) return;
    const header = readLinkHeader(payload);
    if (!header) return;
    const current = this.links.get(from);
    const live = current instanceof RelayLink && current.state !== 'closed' ? current : undefined;
    const route = routeRelayed(live, header.sender, header.echoed);
    if (route === 'drop') return;
    let link = live;
    if (route === 'new' || !link) {
      if (!this.members.has(from)) {
        const departed = this.gone.get(from)?.member;
        if (!departed) return;
        this.addMember(departed);
      }
      link = this.startRelay(from);
    }
    link.receive(header.sender, header.data);
  }

  private closeRelayLinks(): void {
    for (const link of [...this.links.values()]) {
      if (link instanceof RelayLink) link.close('channel-closed');
    }
  }

  private onLinkState(link: MemberLink, state: MemberLink['state']): void {
    if (this.links.get(link.remoteId) !== link) return;
    if (state === 'open') {
      this.cancelRetry(link.remoteId);
      const lapsed = this.gone.get(link.remoteId);
      if (lapsed && !this.members.has(link.remoteId)) {
        this.gone.delete(link.remoteId);
        this.members.set(link.remoteId, lapsed.member);
      }
      this.emit('peer', { peerId: link.remoteId, open: true });
    }
    if (state === 'closed') {
      if (link.hello) this.emit('peer', { peerId: link.remoteId, open: false });
      const member = this.members.get(link.remoteId);
      if (member && link.closeReason === 'timeout') {
        // Silence with the member still listed: its tab froze or its network went. Show it
        // gone now. Its signaling socket may well outlive a short outage, so no word comes
        // from the server: the offering side keeps offering (with backoff) until the link
        // opens again or the server says the member left; the other side answers the offer.
        this.members.delete(link.remoteId);
        this.gone.set(link.remoteId, { member, at: Date.now() });
        if (this.selfId < link.remoteId && !this.closed) this.scheduleRetry(link.remoteId);
      } else if ((member || this.retries.has(link.remoteId)) && !this.closed) {
        this.scheduleRetry(link.remoteId);
      }
    }
    this.emit('change', undefined);
  }

  private scheduleRetry(peerId: string): void {
    const attempt = (this.retries.get(peerId)?.attempt ?? 0) + 1;
    if (attempt > MAX_RETRIES) return this.cancelRetry(peerId);
    const delay = Math.min(10_000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
    const timer = setTimeout(() => {
      const wanted = this.members.has(peerId) || this.gone.has(peerId);
      if (wanted && !this.closed) this.ensureLink(peerId);
    }, delay);
    this.retries.set(peerId, { attempt, timer });
  }

  private cancelRetry(peerId: string): void {
    const retry = this.retries.get(peerId);
    if (retry) clearTimeout(retry.timer);
    this.retries.delete(peerId);
  }

  private onSignal(from: string, data: unknown): void {
    if (this.closed) return;
    const isOffer = (data as { type?: unknown } | null)?.type === 'offer';
    let link = this.links.get(from);
    // A new offer on a link that already had one means the remote started over (it reloaded
    // or its side of the link failed first): answer it on a fresh link.
    // So does an offer while relaying: the remote tries WebRTC again.
    const restart = link && (link instanceof RelayLink || this.offered.has(link));
    if (isOffer && link && (restart || link.state !== 'connecting')) {
      link.close();
      link = undefined;
    }
    if (link instanceof RelayLink) return; // a late candidate of the link the relay replaced
    if (!link || link.state === 'closed') {
      if (!isOffer) return; // stale candidate for a link that no longer exists
      if (!this.members.has(from)) {
        // Only a member the server introduced (now or before) gets a link.
        const departed = this.gone.get(from)?.member;
        if (!departed) return;
        this.addMember(departed);
      }
      const fresh = this.ensureLink(from);
      if (!(fresh instanceof PeerLink)) return;
      link = fresh;
    }
    if (isOffer) this.offered.add(link);
    link.signal(data);
  }
}
