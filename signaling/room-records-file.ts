/**
 * Keeps the room records (room-records.ts) in `<dataDir>/rooms.json`, so that a rotated
 * token and a removal outlive a restart as the rooms themselves do. Writes go to a temporary
 * file that is renamed over the old one, one at a time, so a crash never leaves half a file.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RoomRecord, RoomRecords } from './room-records.ts';

/** File name of the records inside the data directory. */
export const ROOM_RECORDS_FILE = 'rooms.json';

function isRecord(value: unknown): value is RoomRecord {
  const r = value as RoomRecord | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    Number.isSafeInteger(r.generation) &&
    Number.isFinite(r.keepUntil) &&
    typeof r.removed === 'object' &&
    r.removed !== null &&
    Object.values(r.removed).every((g) => Number.isSafeInteger(g))
  );
}

/** Reads the records; a missing file is an empty set, a damaged one an error. */
export async function loadRoomRecords(dataDir: string): Promise<RoomRecords> {
  const path = join(dataDir, ROOM_RECORDS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  const json = JSON.parse(text) as { rooms?: Record<string, unknown> };
  const records: RoomRecords = new Map();
  for (const [roomId, value] of Object.entries(json.rooms ?? {})) {
    if (!isRecord(value)) throw new Error(`${path}: the record of room ${roomId} is damaged`);
    records.set(roomId, value);
  }
  return records;
}

/** Saves the records on request, at most one write at a time, the latest state last. */
export class RoomRecordsFile {
  private writing: Promise<void> = Promise.resolve();
  private pending = false;

  constructor(
    private readonly dataDir: string,
    private readonly records: RoomRecords,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Schedules a write of the current state; requests during a write are merged. */
  save(): void {
    if (this.pending) return;
    this.pending = true;
    this.writing = this.writing.then(async () => {
      this.pending = false;
      try {
        await this.write();
      } catch (err) {
        this.onError(err as Error);
      }
    });
  }

  /** Resolves once every requested write has finished. */
  flush(): Promise<void> {
    return this.writing;
  }

  private async write(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    const path = join(this.dataDir, ROOM_RECORDS_FILE);
    const rooms = Object.fromEntries(this.records);
    await writeFile(`${path}.tmp`, `${JSON.stringify({ rooms }, null, 1)}\n`, { mode: 0o600 });
    await rename(`${path}.tmp`, path);
  }
}
