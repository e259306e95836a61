import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkTable } from '../../../client/scheduler/chunk-table.ts';

describe('chunk table', () => {
  it('hands a chunk out once per batch even when it was queued twice at the front', () => {
    const table = new ChunkTable(3);
    assert.deepEqual(
      table.assignQueued('a', 1).map((r) => r.id),
      [0],
    );
    table.requeue(0); // at the front again
    assert.ok(table.claim(0, 'b', 2)); // news of a steal claims it while it is still listed there
    table.requeue(0); // and queued again: listed at the front twice
    const batch = table.assignQueued('c', 3).map((r) => r.id);
    assert.deepEqual(batch, [0, 1, 2]);
    assert.equal(table.ownerOf(0), 'c');
    assert.equal(table.count('queued'), 0);
  });
});
