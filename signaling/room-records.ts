/**
 * What the server must remember about a room beyond its tokens: the token generation the
 * host has rotated to, and the peer ids the host removed. Plain data and pure functions;
 * room-records-file.ts keeps it in the data directory so that it survives a restart.
 *
 * A room nobody rotated or removed from has no record: generation 0, like every room
 * before rotation existed. A record is kept until every token of its room has expired,
 * after which it cannot change any decision and is dropped.
 */

/** The remembered state of one room. */
export interface RoomRecord {
  /** Current token generation; tokens of an older one are refused. */
  generation: number;
  /** Removed peer id → the generation it was removed in. */
  removed: Record<string, number>;
  /** ms since epoch after which no token of this room can be valid. */
  keepUntil: number;
}

/** Room id → record. */
export type RoomRecords = Map<string, RoomRecord>;

/** Why a join with a genuine, unexpired token is still refused. */
export type Admission = 'ok' | 'token-revoked' | 'removed';

/** Decides whether `peerId` may join `roomId` with a token of `generation`. */
export function admit(
  records: RoomRecords,
  roomId: string,
  peerId: string,
  generation: number,
): Admission {
  const record = records.get(roomId);
  if (!record) return 'ok';
  if (generation < record.generation) return 'token-revoked';
  const removedIn = record.removed[peerId];
  if (removedIn !== undefined && generation <= removedIn) return 'removed';
  return 'ok';
}

/**
 * Notes that a genuine token of `generation` exists. Only this server can sign one, so a
 * generation above the record's means the record was lost (a deleted data directory): it
 * is raised again. Returns true when the records changed.
 */
export function noteGeneration(
  records: RoomRecords,
  roomId: string,
  generation: number,
  expiresAt: number,
): boolean {
  const record = records.get(roomId);
  if (generation === 0 || (record && record.generation >= generation)) return false;
  records.set(roomId, {
    generation,
    removed: record?.removed ?? {},
    keepUntil: Math.max(record?.keepUntil ?? 0, expiresAt),
  });
  return true;
}

function recordOf(records: RoomRecords, roomId: string, keepUntil: number): RoomRecord {
  let record = records.get(roomId);
  if (!record) {
    record = { generation: 0, removed: {}, keepUntil };
    records.set(roomId, record);
  }
  record.keepUntil = Math.max(record.keepUntil, keepUntil);
  return record;
}

/** Moves `roomId` to its next generation and returns it. */
export function rotateGeneration(records: RoomRecords, roomId: string, keepUntil: number): number {
  const record = recordOf(records, roomId, keepUntil);
  record.generation += 1;
  return record.generation;
}

/** Refuses `peerId` in `roomId` for tokens up to the current generation. */
export function recordRemoval(
  records: RoomRecords,
  roomId: string,
  peerId: string,
  keepUntil: number,
): void {
  const record = recordOf(records, roomId, keepUntil);
  record.removed[peerId] = record.generation;
}

/** Drops records whose room has no valid token left; returns true when any went. */
export function pruneRecords(records: RoomRecords, nowMs: number): boolean {
  let changed = false;
  for (const [roomId, record] of records) {
    if (record.keepUntil <= nowMs) {
      records.delete(roomId);
      changed = true;
    }
  }
  return changed;
}
