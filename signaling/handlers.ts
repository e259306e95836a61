/**
 * What the server does with each valid client message. Functions over the room model and
 * the session table; they reach clients only through the `Connection` interface.
 */
import { CloseCode, type Connection } from './connection.ts';
import { countError, type SignalingMetrics } from './metrics.ts';
import {
  SIGNALING_VERSION,
  type IceServer,
  type JoinMessage,
  type LeaveReason,
  type ServerMessage,
  type SignalOutMessage,
  type SignalingErrorCode,
  type UpdateMessage,
} from './protocol.ts';
import type { Clock, KeyedRateLimiter } from './rate-limit.ts';
import { admit, noteGeneration, type RoomRecords } from './room-records.ts';
import { joinRoom, leaveRoom, findSeat, otherSeats, updateMember, type Rooms } from './rooms.ts';
import { verifyHostToken, verifyRoomToken } from './tokens.ts';

/** Where a joined connection sits. */
export interface Session {
  roomId: string;
  peerId: string;
  /** Expiry of the host token it joined with (ms since epoch); undefined for other members. */
  hostUntil?: number;
}

/** Everything the handlers read and change. */
export interface HubContext {
  rooms: Rooms<Connection>;
  sessions: Map<Connection, Session>;
  secret: Buffer;
  maxMembersPerRoom: number;
  joinLimiter: KeyedRateLimiter;
  /** Token generations and removals; call `recordsChanged` after changing them. */
  records: RoomRecords;
  recordsChanged(): void;
  metrics: SignalingMetrics;
  /** ICE servers to offer a connection (depends on the host name it used). */
  iceServersFor(conn: Connection): IceServer[];
  now: Clock;
}

/** Sends an `error`; a fatal one also closes the connection. Every error is counted. */
export function sendError(
  ctx: HubContext,
  conn: Connection,
  code: SignalingErrorCode,
  message: string,
  fatal = false,
): void {
  countError(ctx.metrics, code);
  conn.send({ type: 'error', code, message, fatal });
  if (fatal) conn.close(CloseCode.policyViolation, code);
}

function refuseJoin(
  ctx: HubContext,
  conn: Connection,
  code: SignalingErrorCode,
  message: string,
): void {
  ctx.metrics.joinsRefused.inc({ reason: code });
  sendError(ctx, conn, code, message, true);
}

/** Sends `message` to every member of the session's room but the session's own. */
export function broadcast(ctx: HubContext, session: Session, message: ServerMessage): void {
  for (const seat of otherSeats(ctx.rooms, session.roomId, session.peerId)) seat.link.send(message);
}

/**
 * The host token's expiry when the join carries a valid one (in the message, or in the
 * browser's host cookie); 'refused' after refusing a join whose message carries a bad one.
 * A bad cookie only means a stale one (another server's), so that member joins as a guest.
 */
function checkHost(
  ctx: HubContext,
  conn: Connection,
  msg: JoinMessage,
): { expiresAt: number } | undefined | 'refused' {
  const token = msg.hostToken ?? conn.hostTokens?.get(msg.room);
  if (token === undefined) return undefined;
  const check = verifyHostToken(ctx.secret, msg.room, token, ctx.now());
  if (check.ok) return check;
  if (msg.hostToken === undefined) return undefined;
  refuseJoin(ctx, conn, 'bad-token', 'the host token is not valid for this room');
  return 'refused';
}

/** Checks the version, rate limit, token and capacity, then seats the member. */
export function handleJoin(ctx: HubContext, conn: Connection, msg: JoinMessage): void {
  if (ctx.sessions.has(conn)) {
    sendError(ctx, conn, 'already-joined', 'this connection has already joined a room');
    return;
  }
  if (!ctx.joinLimiter.tryTake(conn.address)) {
    refuseJoin(ctx, conn, 'rate-limited', 'too many joins from this address; wait a little');
    return;
  }
  if (msg.v !== SIGNALING_VERSION) {
    refuseJoin(ctx, conn, 'bad-version', `server speaks version ${SIGNALING_VERSION}`);
    return;
  }
  const check = verifyRoomToken(ctx.secret, msg.room, msg.token, ctx.now());
  if (!check.ok) {
    const text =
      check.code === 'token-expired'
        ? 'the room link has expired; ask for a new one'
        : 'the room token is not valid for this room';
    refuseJoin(ctx, conn, check.code, text);
    return;
  }
  const host = checkHost(ctx, conn, msg);
  if (host === 'refused') return;
  if (noteGeneration(ctx.records, msg.room, check.generation, check.expiresAt)) {
    ctx.recordsChanged();
  }
  const admission = admit(ctx.records, msg.room, msg.peerId, check.generation);
  // The host token is the stronger credential: the host is let in with any genuine link.
  if (admission === 'token-revoked' && !host) {
    refuseJoin(
      ctx,
      conn,
      'token-revoked',
      'The host replaced this room link with a new one. Ask the host for the new link.',
    );
    return;
  }
  if (admission === 'removed') {
    refuseJoin(ctx, conn, 'removed', 'The host removed this device from the room.');
    return;
  }
  const member = {
    peerId: msg.peerId,
    name: msg.name,
    device: msg.device,
    donatedCores: msg.donatedCores,
    joinedAt: ctx.now(),
    ...(host ? { host: true as const } : {}),
  };
  const result = joinRoom(ctx.rooms, msg.room, member, conn, ctx.maxMembersPerRoom);
  if (result.kind === 'full') {
    refuseJoin(ctx, conn, 'room-full', `the room already has ${ctx.maxMembersPerRoom} members`);
    return;
  }
  const session: Session = {
    roomId: msg.room,
    peerId: msg.peerId,
    ...(host ? { hostUntil: host.expiresAt } : {}),
  };
  ctx.sessions.set(conn, session);
  ctx.metrics.joins.inc();
  conn.send({
    type: 'welcome',
    v: SIGNALING_VERSION,
    room: msg.room,
    peerId: msg.peerId,
    members: result.others,
    iceServers: ctx.iceServersFor(conn),
    tokenExpiresAt: check.expiresAt,
    host: host !== undefined,
  });
  if (result.kind === 'joined') {
    broadcast(ctx, session, { type: 'member-joined', member: result.member });
    return;
  }
  // A reload or reconnect: the old connection is told and closed, and the others see an
  // update, so their data channels to this peer id are not torn down and rebuilt twice.
  ctx.sessions.delete(result.previous);
  result.previous.send({ type: 'member-left', peerId: msg.peerId, reason: 'replaced' });
  result.previous.close(CloseCode.replaced, 'replaced');
  broadcast(ctx, session, { type: 'member-updated', member: result.member });
}

/** Relays a signal to another member of the same room. */
export function handleSignal(
  ctx: HubContext,
  conn: Connection,
  session: Session,
  msg: SignalOutMessage,
): void {
  const target =
    msg.to === session.peerId ? undefined : findSeat(ctx.rooms, session.roomId, msg.to);
  if (!target) {
    sendError(ctx, conn, 'unknown-peer', `no member ${msg.to} in this room`);
    return;
  }
  target.link.send({ type: 'signal', from: session.peerId, data: msg.data });
  ctx.metrics.signalsRelayed.inc();
}

/** Applies a member's change to itself and tells the others. */
export function handleUpdate(ctx: HubContext, session: Session, msg: UpdateMessage): void {
  const patch = {
    ...(msg.name === undefined ? {} : { name: msg.name }),
    ...(msg.donatedCores === undefined ? {} : { donatedCores: msg.donatedCores }),
  };
  const member = updateMember(ctx.rooms, session.roomId, session.peerId, patch);
  if (member) broadcast(ctx, session, { type: 'member-updated', member });
}

/** Removes a connection's member (if it still has one) and tells the others why. */
export function removeMember(ctx: HubContext, conn: Connection, reason: LeaveReason): void {
  const session = ctx.sessions.get(conn);
  if (!session) return;
  ctx.sessions.delete(conn);
  const seat = leaveRoom(ctx.rooms, session.roomId, session.peerId, conn);
  if (seat) broadcast(ctx, session, { type: 'member-left', peerId: session.peerId, reason });
}

/** A member leaves on purpose; its connection is closed normally. */
export function handleLeave(ctx: HubContext, conn: Connection): void {
  removeMember(ctx, conn, 'left');
  conn.close(CloseCode.normal, 'left');
}
