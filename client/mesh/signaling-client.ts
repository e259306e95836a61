/**
 * The peer's connection to the signaling server: joins a room, relays WebRTC signals, and
 * rejoins by itself when the socket drops (a server restart, a Wi-Fi blip). Data channels
 * do not depend on it: once peers are connected they keep working while this reconnects.
 */
import {
  SIGNALING_VERSION,
  type ErrorMessage,
  type JoinMessage,
  type Member,
  type MemberLeftMessage,
  type ServerMessage,
  type SignalingErrorCode,
  type WelcomeMessage,
} from '../../signaling/protocol.ts';
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
  /** Count of server messages that failed validation. */
  invalidMessages = 0;

  constructor(private readonly options: SignalingClientOptions) {
    super();
  }

  get state(): SignalingState {
    return this.currentState;
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

  /** Tells the room this member's new name or donated cores (and rejoins with them). */
  update(change: { name?: string; donatedCores?: number }): void {
    Object.assign(this.options.join, change);
    this.sendJson({ type: 'update', ...change });
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
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: 'join', v: SIGNALING_VERSION, ...this.options.join }));
    };
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data === 'string') this.receive(event.data);
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
        this.emit('member-left', message);
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
