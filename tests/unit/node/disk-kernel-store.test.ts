// The Node peer's kernel cache on disk: content-addressed files that are hashed on the way in
// and on the way out, as the browser's IndexedDB cache (tests/browser/runtime/kernel-cache).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DiskKernelStore } from '../../../client/node/disk-kernel-store.ts';
import { isPdError, type PdErrorCode } from '../../../client/protocol/errors.ts';
import { sha256Hex } from '../../../client/protocol/sha256.ts';

const kernel = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 256);
const sha256 = await sha256Hex(kernel);

/** A fetchBytes that answers `bytes` and counts its calls. */
function fetcher(bytes: Uint8Array = kernel) {
  const calls: string[] = [];
  const fetchBytes = async (hash: string): Promise<Uint8Array> => {
    calls.push(hash);
    return bytes;
  };
  return { fetchBytes, calls };
}

function hasCode(code: PdErrorCode) {
  return (err: unknown) => isPdError(err, code);
}

describe('node/disk-kernel-store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'pd-kernels-')), 'kernels');
  });
  afterEach(() => rm(join(dir, '..'), { recursive: true, force: true }));

  it('stores bytes under their SHA-256 and reads them back without fetching', async () => {
    const store = new DiskKernelStore(dir);
    assert.equal(await store.put(kernel, 'test'), sha256);
    assert.deepEqual(await readdir(dir), [`${sha256}.wasm`]);
    assert.deepEqual(new Uint8Array(await readFile(store.pathOf(sha256))), kernel);
    const { fetchBytes, calls } = fetcher(new Uint8Array(3));
    // A second store on the same directory: the bytes come from the file.
    assert.deepEqual(await new DiskKernelStore(dir).get(sha256, fetchBytes), kernel);
    assert.deepEqual(calls, []);
  });

  it('fetches a missing kernel once, even for concurrent requests, and keeps it', async () => {
    const store = new DiskKernelStore(dir);
    const { fetchBytes, calls } = fetcher();
    const [a, b] = await Promise.all([
      store.get(sha256, fetchBytes),
      store.get(sha256, fetchBytes),
    ]);
    assert.deepEqual(a, kernel);
    assert.deepEqual(b, kernel);
    assert.deepEqual(calls, [sha256]);
    assert.deepEqual(new Uint8Array(await readFile(store.pathOf(sha256))), kernel);
    assert.deepEqual(await readdir(dir), [`${sha256}.wasm`], 'no temporary file left');
  });

  it('discards a corrupted file and fetches the kernel again', async () => {
    const store = new DiskKernelStore(dir);
    await store.put(kernel);
    const corrupted = kernel.slice();
    corrupted[10]! ^= 0xff;
    await writeFile(store.pathOf(sha256), corrupted);
    const { fetchBytes, calls } = fetcher();
    assert.deepEqual(await store.get(sha256, fetchBytes), kernel);
    assert.deepEqual(calls, [sha256]);
    assert.deepEqual(new Uint8Array(await readFile(store.pathOf(sha256))), kernel);
  });

  it('rejects fetched bytes that do not match the hash, and stores nothing', async () => {
    const store = new DiskKernelStore(dir);
    const wrong = kernel.subarray(1);
    const expected = { expected: sha256, actual: await sha256Hex(wrong) };
    await assert.rejects(store.get(sha256, fetcher(wrong).fetchBytes), (err: unknown) => {
      assert.ok(isPdError(err, 'kernel-hash-mismatch'), String(err));
      assert.deepEqual(err.details, expected);
      return true;
    });
    await assert.rejects(readFile(store.pathOf(sha256)), { code: 'ENOENT' });
    // A corrupted file is gone even when the fetch that should replace it fails.
    await mkdir(dir, { recursive: true });
    await writeFile(store.pathOf(sha256), wrong);
    await assert.rejects(
      store.get(sha256, fetcher(wrong).fetchBytes),
      hasCode('kernel-hash-mismatch'),
    );
    assert.deepEqual(await readdir(dir), []);
    // The failure is not remembered: a good fetch afterwards succeeds.
    assert.deepEqual(await store.get(sha256, fetcher().fetchBytes), kernel);
  });

  it('refuses a hash that is not 64 lower-case hex digits', async () => {
    const store = new DiskKernelStore(dir);
    const { fetchBytes, calls } = fetcher();
    for (const bad of ['', sha256.toUpperCase(), `${sha256}0`, `../${sha256.slice(3)}`]) {
      await assert.rejects(store.get(bad, fetchBytes), hasCode('kernel-hash-invalid'), bad);
    }
    assert.deepEqual(calls, []);
  });
});
