/**
 * The room model: which members are in which room, in join order. Plain Maps and pure
 * functions; it never touches a socket. Each member is paired with an opaque `link` (the
 * server puts its connection there) so that callers can tell a member's current
 * connection from one it replaced.
 */
import type { Member } from './protocol.ts';

/** A member together with the connection that currently speaks for it. */
export interface Seat<L> {
  member: Member;
  link: L;
}

/** Room id → (peer id → seat). Map order is join order. */
export type Rooms<L> = Map<string, Map<string, Seat<L>>>;

/** An empty set of rooms. */
export function createRooms<L>(): Rooms<L> {
  return new Map();
}

/** Outcome of {@link joinRoom}. */
export type JoinResult<L> =
  | { kind: 'joined'; member: Member; others: Member[] }
  /** The peer id was already seated: the new link takes over and `previous` is dropped. */
  | { kind: 'replaced'; member: Member; others: Member[]; previous: L }
  | { kind: 'full' };

/**
 * Seats `member` in `roomId`, creating the room on first join. A member whose peer id is
 * already seated replaces the old seat (a reloaded tab or a reconnecting client) and keeps
 * its place and `joinedAt`, so the others see one update rather than a leave and a join.
 */
export function joinRoom<L>(
  rooms: Rooms<L>,
  roomId: string,
  member: Member,
  link: L,
  maxMembers: number,
): JoinResult<L> {
  let room = rooms.get(roomId);
  const existing = room?.get(member.peerId);
  if (room && existing) {
    const kept: Member = { ...member, joinedAt: existing.member.joinedAt };
    room.set(member.peerId, { member: kept, link });
    return {
      kind: 'replaced',
      member: kept,
      others: othersIn(room, member.peerId),
      previous: existing.link,
    };
  }
  if ((room?.size ?? 0) >= maxMembers) return { kind: 'full' };
  if (!room) {
    room = new Map();
    rooms.set(roomId, room);
  }
  room.set(member.peerId, { member, link });
  return { kind: 'joined', member, others: othersIn(room, member.peerId) };
}

/**
 * Removes `peerId` from `roomId` if `link` still speaks for it (a replaced connection that
 * closes late must not evict its successor). Empty rooms are forgotten. Returns the removed
 * seat, or undefined when nothing changed.
 */
export function leaveRoom<L>(
  rooms: Rooms<L>,
  roomId: string,
  peerId: string,
  link: L,
): Seat<L> | undefined {
  const room = rooms.get(roomId);
  const seat = room?.get(peerId);
  if (!room || !seat || seat.link !== link) return undefined;
  room.delete(peerId);
  if (room.size === 0) rooms.delete(roomId);
  return seat;
}

/** What a member may change about itself after joining. */
export interface MemberPatch {
  name?: string;
  donatedCores?: number;
}

/** Applies `patch` to a seated member; returns the new member, or undefined if not seated. */
export function updateMember<L>(
  rooms: Rooms<L>,
  roomId: string,
  peerId: string,
  patch: MemberPatch,
): Member | undefined {
  const seat = rooms.get(roomId)?.get(peerId);
  if (!seat) return undefined;
  seat.member = {
    ...seat.member,
    ...(patch.name === undefined ? {} : { name: patch.name }),
    ...(patch.donatedCores === undefined ? {} : { donatedCores: patch.donatedCores }),
  };
  return seat.member;
}

/** The seat of `peerId` in `roomId`, if any. */
export function findSeat<L>(rooms: Rooms<L>, roomId: string, peerId: string): Seat<L> | undefined {
  return rooms.get(roomId)?.get(peerId);
}

/** Every seat in `roomId` except `peerId`'s, in join order. */
export function otherSeats<L>(rooms: Rooms<L>, roomId: string, peerId: string): Seat<L>[] {
  const room = rooms.get(roomId);
  if (!room) return [];
  return [...room.values()].filter((seat) => seat.member.peerId !== peerId);
}

/** Number of rooms with at least one member. */
export function countRooms<L>(rooms: Rooms<L>): number {
  return rooms.size;
}

/** Number of members over all rooms. */
export function countMembers<L>(rooms: Rooms<L>): number {
  let total = 0;
  for (const room of rooms.values()) total += room.size;
  return total;
}

function othersIn<L>(room: Map<string, Seat<L>>, peerId: string): Member[] {
  const others: Member[] = [];
  for (const seat of room.values()) if (seat.member.peerId !== peerId) others.push(seat.member);
  return others;
}
