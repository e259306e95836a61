/**
 * The peer's connection to the signaling server: joins a room, relays WebRTC signals, and
 * rejoins by itself when the socket drops (a server restart, a Wi-Fi blip). Data channels
 * do not depend on it: once peers are connected they keep working while this reconnects.
 * The room's host also rotates the room token and removes members through it.
 */
import {
  SIGNALING_VERSION,
  type ErrorMessage,
  type JoinMessage,
  type Member,
  type MemberLeftMessage,
  type RoomTokenMessage,
  type ServerMessage,
  type SignalingErrorCode,
  type WelcomeMessage,
} from '../../signaling/protocol.ts';
import { decodeRelayFrame, encodeRelayFrame } from '../../signaling/relay-frame.ts';
import { Emitter } from './emitter.ts';
import { parseServerMessage } from './server-message.ts';

/** Where the client stands with the server. */
export type SignalingState = 'connecting' | 'joined' | 'reconnecting' | 'refused' | 'closed';

/** Error codes after which rejoining with the same token cannot succeed. */
const FINAL_CODES: ReadonlySet<SignalingErrorCode> = new Set([
  'bad-token',
  'token-expired',
  'bad-version',
  'room-full',
  'token-revoked',
  'removed',
]);

export interface SignalingClientOptions {
  /** `ws(s)://host:port/ws` */
  url: string;
  join: Omit<JoinMessage, 'type' | 'v'>;
  /** A WebSocket constructor; Node 20 has none built in, so headless peers pass `ws`'s. */
  WebSocket?: typeof WebSocket;
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

export interface SignalingEvents extends Record<string, unknown> {
  state: SignalingState;
  welcome: WelcomeMessage;
  'member-joined': Member;
  'member-updated': Member;
  'member-left': MemberLeftMessage;
  signal: { from: string; data: unknown };
  /** A relayed frame from member `from` (see relay-frame.ts). */
  relay: { from: string; payload: Uint8Array };
  /** The host rotated the room token; rejoins use the new one from now on. */
  'room-token': RoomTokenMessage;
  /** A refused join (final) or a refused message (the session goes on). */
  error: ErrorMessage;
}

/** A client of the signaling server for one room membership. */
export class SignalingClient extends Emitter<SignalingEvents> {
  private socket: WebSocket | undefined;
  private currentState: SignalingState = 'closed';
  private attempts = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private hostNow = false;
  /** Count of server messages that failed validation. */
  invalidMessages = 0;

  constructor(private readonly options: SignalingClientOptions) {
    super();
  }

  get state(): SignalingState {
    return this.currentState;
  }

  /**
   * True when the server accepted this member as the room's host at the last welcome: its
   * join carried the host token (`join.hostToken`, or in a browser the cookie that
   * `POST /api/rooms` set for the creating browser).
   */
  get isHost(): boolean {
    return this.hostNow;
  }

  /** The room token joins use: the link's, or the newest the host rotated to. */
  get token(): string {
    return this.options.join.token;
  }

  /** Opens the socket and joins; afterwards rejoins by itself until `close()` or a refusal. */
  connect(): void {
    this.stopped = false;
    this.open();
  }

  /** Relays a simple-peer signal to member `to`. */
  signal(to: string, data: unknown): void {
    this.sendJson({ type: 'signal', to, data });
  }

  /**
   * Relays `payload` to member `to` over this socket (the fallback when no data channel
   * opens); false when the socket is not open, so the frame was not sent.
   */
  relay(to: string, payload: Uint8Array): boolean {
    if (this.socket?.readyState !== 1 || this.currentState !== 'joined') return false;
    this.socket.send(encodeRelayFrame(to, payload));
    return true;
  }

  /** Bytes queued on the socket and not yet sent. */
  get bufferedAmount(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  /** Tells the room this member's new name or donated cores (and rejoins with them). */
  update(change: { name?: string; donatedCores?: number }): void {
    Object.assign(this.options.join, change);
    this.sendJson({ type: 'update', ...change });
  }

  /** Host only: replaces the room token; everyone in the room receives `room-token`. */
  rotateToken(): void {
    this.sendJson({ type: 'rotate-token' });
  }

  /** Host only: removes member `peerId` from the room. */
  removeMember(peerId: string): void {
    this.sendJson({ type: 'remove-member', peerId });
  }

  /** Leaves the room (if `leave`) and stops reconnecting. */
  close(leave = true): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    if (leave) this.sendJson({ type: 'leave' });
    this.socket?.close(1000, 'left');
    this.socket = undefined;
    this.setState('closed');
  }

  private open(): void {
    const WebSocketImpl = this.options.WebSocket ?? globalThis.WebSocket;
    this.setState(this.attempts === 0 ? 'connecting' : 'reconnecting');
    const socket = new WebSocketImpl(this.options.url);
    this.socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: 'join', v: SIGNALING_VERSION, ...this.options.join }));
    };
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data === 'string') this.receive(event.data);
      else if (event.data instanceof ArrayBuffer) this.receiveRelay(new Uint8Array(event.data));
      else this.invalidMessages++;
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (this.stopped) return;
      this.scheduleReconnect();
    };
    // An error is always followed by close, which decides what happens next.
    socket.onerror = () => {};
  }

  private receive(text: string): void {
    let message: ServerMessage;
    try {
      message = parseServerMessage(text);
    } catch (err) {
      this.invalidMessages++;
      console.warn('ignored an invalid message from the signaling server', err);
      return;
    }
    switch (message.type) {
      case 'welcome':
        this.attempts = 0;
        this.hostNow = message.host;
        this.setState('joined');
        this.emit('welcome', message);
        break;
      case 'member-joined':
        this.emit('member-joined', message.member);
        break;
      case 'member-updated':
        this.emit('member-updated', message.member);
        break;
      case 'member-left':
        if (message.peerId === this.options.join.peerId && message.reason === 'replaced') {
          // Another socket joined with this identity (the same tab reloaded elsewhere, or a
          // duplicated tab). Rejoining would take the seat back and start a tug of war.
          this.stopped = true;
          this.setState('refused');
          this.emit('error', {
            type: 'error',
            code: 'id-taken',
            message: 'another tab joined this room with the identity of this one',
            fatal: true,
          });
          break;
        }
        // A removal is as final as leaving on purpose: RoomSession keeps probing the links of
        // members whose socket merely dropped, and a removed member's tab may still answer.
        this.emit(
          'member-left',
          message.reason === 'removed' ? { ...message, reason: 'left' } : message,
        );
        break;
      case 'room-token':
        this.options.join.token = message.token;
        this.emit('room-token', message);
        break;
      case 'signal':
        this.emit('signal', { from: message.from, data: message.data });
        break;
      case 'error':
        if (FINAL_CODES.has(message.code)) {
          this.stopped = true;
          this.setState('refused');
        }
        this.emit('error', message);
        break;
    }
  }

  private receiveRelay(frame: Uint8Array): void {
    const relayed = decodeRelayFrame(frame);
    if (relayed) this.emit('relay', { from: relayed.peerId, payload: relayed.payload });
    else this.invalidMessages++;
  }

  private scheduleReconnect(): void {
    const min = this.options.minReconnectDelayMs ?? 250;
    const max = this.options.maxReconnectDelayMs ?? 3000;
    // Exponential backoff with jitter, so a restarted server is not hit by every peer at once.
    const delay = Math.min(max, min * 2 ** this.attempts) * (0.75 + Math.random() * 0.5);
    this.attempts++;
    this.setState('reconnecting');
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  private sendJson(message: object): void {
    if (this.socket?.readyState === 1) this.socket.send(JSON.stringify(message));
  }

  private setState(state: SignalingState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.emit('state', state);
  }
}
