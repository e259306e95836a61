import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  admit,
  noteGeneration,
  pruneRecords,
  recordRemoval,
  rotateGeneration,
  type RoomRecords,
} from '../../../signaling/room-records.ts';
import {
  ROOM_RECORDS_FILE,
  RoomRecordsFile,
  loadRoomRecords,
} from '../../../signaling/room-records-file.ts';
import { tempDir } from './support/test-server.ts';

const UNTIL = Date.UTC(2030, 0, 2);

describe('room records', () => {
  it('admit every genuine token of a room nobody rotated or removed from', () => {
    const records: RoomRecords = new Map();
    assert.equal(admit(records, 'room1', 'peer-a', 0), 'ok');
    assert.equal(records.size, 0, 'such rooms cost nothing');
  });

  it('refuse older generations after a rotation, and accept the new one', () => {
    const records: RoomRecords = new Map();
    assert.equal(rotateGeneration(records, 'room1', UNTIL), 1);
    assert.equal(admit(records, 'room1', 'peer-a', 0), 'token-revoked');
    assert.equal(admit(records, 'room1', 'peer-a', 1), 'ok');
    assert.equal(admit(records, 'room2', 'peer-a', 0), 'ok', 'other rooms are untouched');
    assert.equal(rotateGeneration(records, 'room1', UNTIL), 2);
    assert.equal(admit(records, 'room1', 'peer-a', 1), 'token-revoked');
  });

  it('refuse a removed peer id with tokens up to its generation, not a later one', () => {
    const records: RoomRecords = new Map();
    recordRemoval(records, 'room1', 'peer-x', UNTIL);
    assert.equal(admit(records, 'room1', 'peer-x', 0), 'removed');
    assert.equal(admit(records, 'room1', 'peer-y', 0), 'ok');
    rotateGeneration(records, 'room1', UNTIL);
    assert.equal(admit(records, 'room1', 'peer-x', 1), 'ok', 'the host shared a new link with it');
  });

  it('raise a lost generation again from a genuine newer token', () => {
    const records: RoomRecords = new Map();
    assert.equal(noteGeneration(records, 'room1', 0, UNTIL), false);
    assert.equal(noteGeneration(records, 'room1', 3, UNTIL), true);
    assert.equal(admit(records, 'room1', 'peer-a', 2), 'token-revoked');
    assert.equal(noteGeneration(records, 'room1', 3, UNTIL), false);
  });

  it('are dropped once every token of their room has expired', () => {
    const records: RoomRecords = new Map();
    rotateGeneration(records, 'room1', UNTIL);
    rotateGeneration(records, 'room2', UNTIL + 1000);
    assert.equal(pruneRecords(records, UNTIL - 1), false);
    assert.equal(pruneRecords(records, UNTIL), true);
    assert.deepEqual([...records.keys()], ['room2']);
  });

  it('survive in the data directory, written whole', async (t) => {
    const dir = await tempDir();
    t.after(() => rm(dir, { recursive: true, force: true }));
    assert.equal((await loadRoomRecords(dir)).size, 0, 'no file yet: no records');
    const records: RoomRecords = new Map();
    const errors: Error[] = [];
    const file = new RoomRecordsFile(dir, records, (err) => errors.push(err));
    rotateGeneration(records, 'room1', UNTIL);
    file.save();
    recordRemoval(records, 'room1', 'peer-x', UNTIL);
    file.save();
    file.save();
    await file.flush();
    assert.deepEqual(errors, []);
    const loaded = await loadRoomRecords(dir);
    assert.deepEqual(loaded.get('room1'), {
      generation: 1,
      removed: { 'peer-x': 1 },
      keepUntil: UNTIL,
    });
    assert.equal((await stat(join(dir, ROOM_RECORDS_FILE))).mode & 0o777, 0o600);
    assert.match(await readFile(join(dir, ROOM_RECORDS_FILE), 'utf8'), /"room1"/);
  });

  it('refuse to start from a damaged file rather than forget revocations', async (t) => {
    const dir = await tempDir();
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, ROOM_RECORDS_FILE), '{"rooms":{"room1":{"generation":"x"}}}');
    await assert.rejects(loadRoomRecords(dir), /room1/);
  });
});
