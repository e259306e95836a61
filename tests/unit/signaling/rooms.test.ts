import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Member } from '../../../signaling/protocol.ts';
import {
  countMembers,
  countRooms,
  createRooms,
  findSeat,
  joinRoom,
  leaveRoom,
  otherSeats,
  updateMember,
} from '../../../signaling/rooms.ts';

function member(peerId: string, joinedAt = 1): Member {
  return {
    peerId,
    name: peerId,
    device: { cores: 2, userAgent: 'test' },
    donatedCores: 1,
    joinedAt,
  };
}

describe('rooms', () => {
  it('creates a room on first join and lists the others in join order', () => {
    const rooms = createRooms<string>();
    assert.deepEqual(joinRoom(rooms, 'r1', member('a'), 'link-a', 8), {
      kind: 'joined',
      member: member('a'),
      others: [],
    });
    joinRoom(rooms, 'r1', member('b'), 'link-b', 8);
    const third = joinRoom(rooms, 'r1', member('c'), 'link-c', 8);
    assert.equal(third.kind, 'joined');
    assert.deepEqual(third.kind === 'joined' && third.others.map((m) => m.peerId), ['a', 'b']);
    assert.equal(countRooms(rooms), 1);
    assert.equal(countMembers(rooms), 3);
    assert.deepEqual(
      otherSeats(rooms, 'r1', 'b').map((s) => s.link),
      ['link-a', 'link-c'],
    );
  });

  it('keeps rooms apart', () => {
    const rooms = createRooms<string>();
    joinRoom(rooms, 'r1', member('a'), 'a1', 8);
    joinRoom(rooms, 'r2', member('a'), 'a2', 8);
    joinRoom(rooms, 'r2', member('b'), 'b2', 8);
    assert.equal(countRooms(rooms), 2);
    assert.deepEqual(otherSeats(rooms, 'r1', 'a'), []);
    assert.equal(findSeat(rooms, 'r1', 'b'), undefined);
    assert.equal(findSeat(rooms, 'r2', 'a')?.link, 'a2');
  });

  it('refuses a new member when the room is full, but not a replacement', () => {
    const rooms = createRooms<string>();
    joinRoom(rooms, 'r', member('a'), 'a', 2);
    joinRoom(rooms, 'r', member('b'), 'b', 2);
    assert.deepEqual(joinRoom(rooms, 'r', member('c'), 'c', 2), { kind: 'full' });
    assert.equal(joinRoom(rooms, 'r', member('b'), 'b-again', 2).kind, 'replaced');
    assert.equal(countMembers(rooms), 2);
  });

  it('replaces a seat held under the same peer id, keeping its place and joinedAt', () => {
    const rooms = createRooms<string>();
    joinRoom(rooms, 'r', member('a', 100), 'old', 8);
    joinRoom(rooms, 'r', member('b', 200), 'b', 8);
    const result = joinRoom(rooms, 'r', { ...member('a', 300), name: 'renamed' }, 'new', 8);
    assert.equal(result.kind, 'replaced');
    if (result.kind !== 'replaced') return;
    assert.equal(result.previous, 'old');
    assert.equal(result.member.joinedAt, 100);
    assert.equal(result.member.name, 'renamed');
    assert.deepEqual(
      result.others.map((m) => m.peerId),
      ['b'],
    );
    assert.deepEqual(
      otherSeats(rooms, 'r', 'nobody').map((s) => s.link),
      ['new', 'b'],
    );
  });

  it('lets only the current link leave, and forgets empty rooms', () => {
    const rooms = createRooms<string>();
    joinRoom(rooms, 'r', member('a'), 'old', 8);
    joinRoom(rooms, 'r', member('a'), 'new', 8);
    assert.equal(leaveRoom(rooms, 'r', 'a', 'old'), undefined, 'a replaced link cannot evict');
    assert.equal(countMembers(rooms), 1);
    assert.equal(leaveRoom(rooms, 'r', 'a', 'new')?.member.peerId, 'a');
    assert.equal(countRooms(rooms), 0);
    assert.equal(leaveRoom(rooms, 'r', 'a', 'new'), undefined);
  });

  it('updates name and donated cores only', () => {
    const rooms = createRooms<string>();
    joinRoom(rooms, 'r', member('a'), 'a', 8);
    const updated = updateMember(rooms, 'r', 'a', { donatedCores: 0 });
    assert.deepEqual(updated, { ...member('a'), donatedCores: 0 });
    assert.equal(updateMember(rooms, 'r', 'a', { name: 'x' })?.name, 'x');
    assert.equal(findSeat(rooms, 'r', 'a')?.member.donatedCores, 0);
    assert.equal(updateMember(rooms, 'r', 'ghost', { name: 'x' }), undefined);
  });
});
