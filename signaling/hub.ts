/**
 * The signaling hub: admits connections (at most so many per address), takes raw frames
 * from them, enforces size and rate limits (per connection and per address), validates,
 * and dispatches to the handlers. Knows nothing about WebSockets; the server feeds it
 * through the `Connection` interface. Nothing a client sends can make it throw.
 */
import type { Connection } from './connection.ts';
import {
  handleJoin,
  handleLeave,
  handleSignal,
  handleUpdate,
  removeMember,
  sendError,
  type HubContext,
  type Session,
} from './handlers.ts';
import { handleRemoveMember, handleRotateToken } from './host-handlers.ts';
import type { SignalingMetrics } from './metrics.ts';
import { MAX_SIGNAL_MESSAGE_BYTES, type IceServer, type LeaveReason } from './protocol.ts';
import { KeyedRateLimiter, TokenBucket, type Clock, type RateLimit } from './rate-limit.ts';
import { RelayForwarder } from './relay.ts';
import { RELAY_DEFAULT_RATE } from './relay-frame.ts';
import { pruneRecords, type RoomRecords } from './room-records.ts';
import { countMembers, countRooms, createRooms } from './rooms.ts';
import { parseClientMessage } from './validate.ts';

/** Settings of a hub. */
export interface HubOptions {
  secret: Buffer;
  maxMembersPerRoom: number;
  /** Open sockets one address may hold; more are refused with `too-many-connections`. */
  maxConnectionsPerAddress: number;
  /** Every frame of one connection draws from this bucket. */
  connectionMessageRate: RateLimit;
  /** Every frame from one address draws from this bucket. */
  messageRate: RateLimit;
  /** Join attempts from one address draw from this bucket. */
  joinRate: RateLimit;
  /** Bytes of relayed frames (binary) one connection may send; default RELAY_DEFAULT_RATE. */
  relayRate?: RateLimit;
  metrics: SignalingMetrics;
  iceServersFor(conn: Connection): IceServer[];
  /** Token generations and removals, e.g. as loaded from the data directory. */
  records?: RoomRecords;
  /** Called after the records changed (the server saves them). */
  onRecordsChanged?: () => void;
  now?: Clock;
}

/**
 * Refusals one connection may collect for going over its own rate before it is closed:
 * a client that keeps flooding after being told is not going to stop.
 */
export const RATE_STRIKES: RateLimit = { ratePerSecond: 1, burst: 50 };

/** Per-connection state: its own message bucket and its strikes. */
interface ConnectionState {
  messages: TokenBucket;
  strikes: TokenBucket;
}

/** Rooms, sessions and the message pipeline of one server. */
export class SignalingHub {
  private readonly ctx: HubContext;
  private readonly messageLimiter: KeyedRateLimiter;
  private readonly connections = new Map<Connection, ConnectionState>();
  private readonly connectionsPerAddress = new Map<string, number>();
  private readonly now: Clock;
  private readonly relay: RelayForwarder;

  constructor(private readonly options: HubOptions) {
    const now = options.now ?? Date.now;
    this.now = now;
    this.messageLimiter = new KeyedRateLimiter(options.messageRate, now);
    this.ctx = {
      rooms: createRooms(),
      sessions: new Map<Connection, Session>(),
      secret: options.secret,
      maxMembersPerRoom: options.maxMembersPerRoom,
      joinLimiter: new KeyedRateLimiter(options.joinRate, now),
      records: options.records ?? new Map(),
      recordsChanged: () => options.onRecordsChanged?.(),
      metrics: options.metrics,
      iceServersFor: options.iceServersFor,
      now,
    };
    this.relay = new RelayForwarder(this.ctx, options.relayRate ?? RELAY_DEFAULT_RATE, now);
  }

  /** Number of rooms with members. */
  roomCount(): number {
    return countRooms(this.ctx.rooms);
  }

  /** Number of members over all rooms. */
  memberCount(): number {
    return countMembers(this.ctx.rooms);
  }

  /** True once `conn` has joined a room (and not left). */
  isJoined(conn: Connection): boolean {
    return this.ctx.sessions.has(conn);
  }

  /**
   * Admits a new connection, or refuses it (with an error, then closed) when its address
   * already holds as many sockets as allowed. Returns whether it was admitted.
   */
  connect(conn: Connection): boolean {
    const open = this.connectionsPerAddress.get(conn.address) ?? 0;
    if (open >= this.options.maxConnectionsPerAddress) {
      const limit = this.options.maxConnectionsPerAddress;
      sendError(
        this.ctx,
        conn,
        'too-many-connections',
        `this address already has ${limit} connections to the server; close some tabs`,
        true,
      );
      return false;
    }
    this.stateOf(conn);
    return true;
  }

  // Created on first use too, so that the hub works for callers that never call connect().
  private stateOf(conn: Connection): ConnectionState {
    let state = this.connections.get(conn);
    if (!state) {
      state = {
        messages: new TokenBucket(this.options.connectionMessageRate, this.now),
        strikes: new TokenBucket(RATE_STRIKES, this.now),
      };
      this.connections.set(conn, state);
      const open = this.connectionsPerAddress.get(conn.address) ?? 0;
      this.connectionsPerAddress.set(conn.address, open + 1);
    }
    return state;
  }

  private overRate(conn: Connection): boolean {
    const state = this.stateOf(conn);
    if (!state.messages.tryTake()) {
      if (!state.strikes.tryTake()) {
        sendError(
          this.ctx,
          conn,
          'rate-limited',
          'closing this connection: it kept sending faster than the server allows',
          true,
        );
        return true;
      }
      sendError(this.ctx, conn, 'rate-limited', 'too many messages on this connection; slow down');
      return true;
    }
    if (!this.messageLimiter.tryTake(conn.address)) {
      sendError(this.ctx, conn, 'rate-limited', 'too many messages from this address; slow down');
      return true;
    }
    return false;
  }

  /**
   * Handles one frame. Its size is checked before anything else, so that an oversized frame
   * costs no decoding; it is answered (not dropped) so the client learns why.
   */
  receive(conn: Connection, frame: Buffer, isBinary = false): void {
    if (frame.length > MAX_SIGNAL_MESSAGE_BYTES) {
      sendError(
        this.ctx,
        conn,
        'too-large',
        `message of ${frame.length} bytes exceeds the limit of ${MAX_SIGNAL_MESSAGE_BYTES}`,
      );
      return;
    }
    // A member's binary frames are relayed frames, with a byte budget of their own (relay.ts).
    if (isBinary && this.isJoined(conn)) return this.relay.receive(conn, frame);
    if (this.overRate(conn)) return;
    if (isBinary) {
      sendError(this.ctx, conn, 'bad-message', 'frames must be JSON text, not binary');
      return;
    }
    const parsed = parseClientMessage(frame.toString('utf8'));
    if (!parsed.ok) {
      sendError(this.ctx, conn, parsed.code, parsed.detail);
      return;
    }
    const message = parsed.message;
    if (message.type === 'join') {
      handleJoin(this.ctx, conn, message);
      return;
    }
    const session = this.ctx.sessions.get(conn);
    if (!session) {
      sendError(this.ctx, conn, 'not-joined', `send a join before '${message.type}'`);
      return;
    }
    switch (message.type) {
      case 'signal':
        handleSignal(this.ctx, conn, session, message);
        return;
      case 'update':
        handleUpdate(this.ctx, session, message);
        return;
      case 'leave':
        handleLeave(this.ctx, conn);
        return;
      case 'rotate-token':
        handleRotateToken(this.ctx, conn, session);
        return;
      case 'remove-member':
        handleRemoveMember(this.ctx, conn, session, message);
        return;
    }
  }

  /** Closes a connection that has not joined in time. */
  expireUnjoined(conn: Connection): void {
    if (this.isJoined(conn)) return;
    sendError(this.ctx, conn, 'not-joined', 'no join received in time', true);
  }

  /** Forgets a connection that went away and tells its room. */
  disconnect(conn: Connection, reason: LeaveReason): void {
    removeMember(this.ctx, conn, reason);
    if (!this.connections.delete(conn)) return;
    const open = (this.connectionsPerAddress.get(conn.address) ?? 1) - 1;
    if (open > 0) this.connectionsPerAddress.set(conn.address, open);
    else this.connectionsPerAddress.delete(conn.address);
  }

  /**
   * Drops rate-limit state of addresses that have been quiet long enough, and records of
   * rooms whose tokens have all expired.
   */
  prune(): void {
    this.messageLimiter.prune();
    this.ctx.joinLimiter.prune();
    if (pruneRecords(this.ctx.records, this.now())) this.ctx.recordsChanged();
  }
}
