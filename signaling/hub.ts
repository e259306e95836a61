/**
 * The signaling hub: takes raw frames from connections, enforces size and rate limits,
 * validates, and dispatches to the handlers. Knows nothing about WebSockets; the server
 * feeds it through the `Connection` interface. Nothing a client sends can make it throw.
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
import type { SignalingMetrics } from './metrics.ts';
import { MAX_SIGNAL_MESSAGE_BYTES, type IceServer, type LeaveReason } from './protocol.ts';
import { KeyedRateLimiter, type Clock, type RateLimit } from './rate-limit.ts';
import { countMembers, countRooms, createRooms } from './rooms.ts';
import { parseClientMessage } from './validate.ts';

/** Settings of a hub. */
export interface HubOptions {
  secret: Buffer;
  maxMembersPerRoom: number;
  /** Every frame from one address draws from this bucket. */
  messageRate: RateLimit;
  /** Join attempts from one address draw from this bucket. */
  joinRate: RateLimit;
  metrics: SignalingMetrics;
  iceServersFor(conn: Connection): IceServer[];
  now?: Clock;
}

/** Rooms, sessions and the message pipeline of one server. */
export class SignalingHub {
  private readonly ctx: HubContext;
  private readonly messageLimiter: KeyedRateLimiter;

  constructor(options: HubOptions) {
    const now = options.now ?? Date.now;
    this.messageLimiter = new KeyedRateLimiter(options.messageRate, now);
    this.ctx = {
      rooms: createRooms(),
      sessions: new Map<Connection, Session>(),
      secret: options.secret,
      maxMembersPerRoom: options.maxMembersPerRoom,
      joinLimiter: new KeyedRateLimiter(options.joinRate, now),
      metrics: options.metrics,
      iceServersFor: options.iceServersFor,
      now,
    };
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
    if (!this.messageLimiter.tryTake(conn.address)) {
      sendError(this.ctx, conn, 'rate-limited', 'too many messages from this address; slow down');
      return;
    }
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
  }

  /** Drops rate-limit state of addresses that have been quiet long enough. */
  pruneRateLimits(): void {
    this.messageLimiter.prune();
    this.ctx.joinLimiter.prune();
  }
}
