/// <reference types="mocha" />
// The content-addressed kernel cache against Chromium's real IndexedDB, with a counting
// fetcher. Each run uses its own database name and deletes it afterwards.
import { expect } from '@esm-bundle/chai';
import { deleteDB } from 'idb';
import { sha256Hex } from '../../../client/protocol/sha256.ts';
import { KernelCache } from '../../../client/runtime/kernel-cache.ts';
import {
  closeProcessDistroDB,
  getKernel,
  openProcessDistroDB,
  putKernel,
} from '../../../client/store/db.ts';
import { expectPdError } from './expect-pd-error.ts';

const dbName = `processdistro-test-${crypto.randomUUID()}`;

/** A fetcher that serves `bytes` (whatever hash is asked for) and counts its calls. */
function fetcher(bytes: Uint8Array) {
  const fetch = async (_sha256: string): Promise<Uint8Array> => {
    fetch.calls++;
    return bytes.slice();
  };
  fetch.calls = 0;
  return fetch;
}

function blob(seed: number, length = 1000): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

describe('runtime/kernel-cache', () => {
  const cache = new KernelCache(dbName);

  after(async () => {
    await closeProcessDistroDB(dbName);
    await deleteDB(dbName);
  });

  it('fetches, stores, then serves from IndexedDB without fetching', async () => {
    const bytes = blob(1);
    const sha256 = await sha256Hex(bytes);
    const fetch = fetcher(bytes);
    expect(await cache.get(sha256, fetch, 'one')).to.deep.equal(bytes);
    expect(fetch.calls).to.equal(1);
    const stored = await getKernel(await openProcessDistroDB(dbName), sha256);
    expect(stored?.name).to.equal('one');
    expect(new Uint8Array(stored!.bytes)).to.deep.equal(bytes);

    // A fresh cache object, as after a reload: the bytes come from the database.
    expect(await new KernelCache(dbName).get(sha256, fetch)).to.deep.equal(bytes);
    expect(fetch.calls).to.equal(1);
  });

  it('drops a corrupted cached blob and fetches the kernel again', async () => {
    const bytes = blob(2);
    const sha256 = await cache.put(bytes, 'two');
    expect(sha256).to.equal(await sha256Hex(bytes));
    const db = await openProcessDistroDB(dbName);
    await putKernel(db, { sha256, name: 'two', bytes: blob(99).buffer, storedAt: Date.now() });

    const fetch = fetcher(bytes);
    expect(await cache.get(sha256, fetch)).to.deep.equal(bytes);
    expect(fetch.calls).to.equal(1);
    expect(new Uint8Array((await getKernel(db, sha256))!.bytes)).to.deep.equal(bytes);
  });

  it('refuses fetched bytes with the wrong hash and stores nothing', async () => {
    const sha256 = await sha256Hex(blob(3));
    const fetch = fetcher(blob(4));
    const err = await expectPdError(cache.get(sha256, fetch), 'kernel-hash-mismatch');
    expect(err.details).to.include({ expected: sha256 });
    expect(await getKernel(await openProcessDistroDB(dbName), sha256)).to.equal(undefined);
  });

  it('stores exactly the bytes of a view on a larger buffer', async () => {
    const view = blob(5, 300).subarray(100, 200);
    const sha256 = await cache.put(view);
    const stored = await getKernel(await openProcessDistroDB(dbName), sha256);
    expect(stored!.bytes.byteLength).to.equal(100);
  });

  it('fetches once for concurrent requests of one kernel', async () => {
    const bytes = blob(6);
    const sha256 = await sha256Hex(bytes);
    const fetch = fetcher(bytes);
    const results = await Promise.all([cache.get(sha256, fetch), cache.get(sha256, fetch)]);
    expect(results[0]).to.deep.equal(bytes);
    expect(results[1]).to.deep.equal(bytes);
    expect(fetch.calls).to.equal(1);
  });

  it('rejects a hash that is not 64 lower-case hex digits', async () => {
    const fetch = fetcher(blob(7));
    await expectPdError(cache.get('ABC', fetch), 'kernel-hash-invalid');
    expect(fetch.calls).to.equal(0);
  });
});
