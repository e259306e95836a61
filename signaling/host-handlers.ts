/**
 * What only the room's host may do: rotate the room token and remove a member. The host is
 * the member that joined with the host token `POST /api/rooms` gave the room's creator.
 */
import { CloseCode, type Connection } from './connection.ts';
import { broadcast, sendError, type HubContext, type Session } from './handlers.ts';
import { countError } from './metrics.ts';
import type { RemoveMemberMessage } from './protocol.ts';
import { recordRemoval, rotateGeneration } from './room-records.ts';
import { findSeat, leaveRoom } from './rooms.ts';
import { createRoomToken } from './tokens.ts';

function refuseUnlessHost(ctx: HubContext, conn: Connection, session: Session): number | undefined {
  if (session.hostUntil === undefined) {
    sendError(ctx, conn, 'not-host', 'only the host of the room may do this');
  }
  return session.hostUntil;
}

/**
 * Moves the room to a new token generation: joins with an older token are refused from now
 * on, while every member already in stays and receives the new token (so that it can rejoin
 * after a server restart or a reload). The new token lasts as long as the host token.
 */
export function handleRotateToken(ctx: HubContext, conn: Connection, session: Session): void {
  const hostUntil = refuseUnlessHost(ctx, conn, session);
  if (hostUntil === undefined) return;
  const generation = rotateGeneration(ctx.records, session.roomId, hostUntil);
  ctx.recordsChanged();
  const token = createRoomToken(ctx.secret, session.roomId, hostUntil, generation);
  const message = { type: 'room-token', token, expiresAt: hostUntil } as const;
  conn.send(message);
  broadcast(ctx, session, message);
}

/**
 * Removes a member: it is told why and its socket closed, the others see it leave with
 * reason `removed`, and its peer id may not join again with a token of this generation.
 */
export function handleRemoveMember(
  ctx: HubContext,
  conn: Connection,
  session: Session,
  msg: RemoveMemberMessage,
): void {
  const hostUntil = refuseUnlessHost(ctx, conn, session);
  if (hostUntil === undefined) return;
  const seat =
    msg.peerId === session.peerId ? undefined : findSeat(ctx.rooms, session.roomId, msg.peerId);
  if (!seat) {
    sendError(ctx, conn, 'unknown-peer', `no other member ${msg.peerId} in this room`);
    return;
  }
  recordRemoval(ctx.records, session.roomId, msg.peerId, hostUntil);
  ctx.recordsChanged();
  ctx.sessions.delete(seat.link);
  leaveRoom(ctx.rooms, session.roomId, msg.peerId, seat.link);
  // Fatal, but closed with its own code rather than sendError's policy violation.
  countError(ctx.metrics, 'removed');
  seat.link.send({
    type: 'error',
    code: 'removed',
    message: 'The host removed this device from the room.',
    fatal: true,
  });
  seat.link.close(CloseCode.removed, 'removed');
  const left = { type: 'member-left', peerId: msg.peerId, reason: 'removed' } as const;
  conn.send(left);
  broadcast(ctx, session, left);
}
