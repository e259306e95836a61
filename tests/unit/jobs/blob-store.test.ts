import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlobStore, decodeManifest, encodeManifest } from '../../../client/jobs/blob-store.ts';
import { sha256Hex } from '../../../client/protocol/sha256.ts';

const bytes = (length: number, fill: number) => new Uint8Array(length).fill(fill);

describe('BlobStore', () => {
  it('stores by SHA-256 and gives the bytes back', async () => {
    const store = new BlobStore();
    const blob = bytes(100, 7);
    const sha256 = await store.put(blob);
    assert.equal(sha256, await sha256Hex(blob));
    assert.ok(store.has(sha256));
    assert.deepEqual(store.get(sha256), blob);
    await store.put(blob);
    assert.equal(store.bytes, 100, 'the same blob is kept once');
  });

  it('evicts unheld blobs, least recently used first, past its budget; never held ones', async () => {
    const store = new BlobStore(250);
    const a = await store.put(bytes(100, 1));
    const b = await store.put(bytes(100, 2));
    store.hold('job-1', [a]);
    store.get(b); // b is now the most recently used
    const c = await store.put(bytes(100, 3));
    assert.ok(store.has(a), 'held');
    assert.ok(!store.has(b), 'the least recently used unheld blob went');
    assert.ok(store.has(c));
    assert.equal(store.bytes, 200);
    store.release('job-1');
    await store.put(bytes(100, 4));
    await store.put(bytes(100, 5));
    assert.ok(!store.has(a), 'released blobs can go');
    assert.ok(store.bytes <= 250);
  });
});

describe('blob manifests', () => {
  it('round-trip, with names sorted so equal manifests hash equally', () => {
    const sha = 'ab'.repeat(32);
    const one = encodeManifest({ 'b/1': sha, 'a/0': sha });
    const two = encodeManifest({ 'a/0': sha, 'b/1': sha });
    assert.deepEqual(one, two);
    assert.deepEqual(
      decodeManifest(one),
      new Map([
        ['a/0', sha],
        ['b/1', sha],
      ]),
    );
  });

  it('refuse malformed manifests from the wire', () => {
    const encode = (text: string) => new TextEncoder().encode(text);
    for (const text of [
      '[]',
      'null',
      '{"a": 1}',
      '{"a": "nothex"}',
      `{"bad name!": "${'ab'.repeat(32)}"}`,
      '{',
    ]) {
      assert.throws(() => decodeManifest(encode(text)), text);
    }
    assert.throws(() => decodeManifest(Uint8Array.of(0xff, 0xfe)), 'not UTF-8');
  });
});
