/**
 * The content-addressed kernel cache: WebAssembly bytes by SHA-256, in IndexedDB. Nothing is
 * trusted on its way in or out: fetched bytes are hashed before they are stored or used, and
 * cached bytes are hashed again when read, so a corrupted blob is dropped and fetched anew.
 */
import { PdError } from '../protocol/errors.ts';
import { sha256Hex } from '../protocol/sha256.ts';
import {
  DEFAULT_DB_NAME,
  deleteKernel,
  getKernel,
  openProcessDistroDB,
  putKernel,
  type ProcessDistroDB,
} from '../store/db.ts';

/** Fetches a kernel's bytes by hash: from the app's origin, or from a peer over the mesh. */
export type FetchKernelBytes = (sha256: string) => Promise<Uint8Array>;

const sha256Pattern = /^[0-9a-f]{64}$/;

/** Kernel bytes by SHA-256, backed by the `kernels` store of the ProcessDistro database. */
export class KernelCache {
  /** Lookups in flight, so that concurrent requests for one kernel fetch it once. */
  readonly #pending = new Map<string, Promise<Uint8Array>>();

  /** @param dbName the database to use; tests pass their own. */
  constructor(private readonly dbName: string = DEFAULT_DB_NAME) {}

  /**
   * The bytes whose SHA-256 is `sha256`: from IndexedDB when a cached copy still matches its
   * hash, else from `fetchBytes`, checked, then stored. Rejects with PdError
   * 'kernel-hash-mismatch' (and stores nothing) when the fetched bytes hash to anything else,
   * and 'kernel-hash-invalid' when `sha256` is not a lower-case hex SHA-256.
   * @param name stored with fetched bytes, for people inspecting the database.
   */
  get(sha256: string, fetchBytes: FetchKernelBytes, name = ''): Promise<Uint8Array> {
    if (!sha256Pattern.test(sha256)) {
      return Promise.reject(new PdError('kernel-hash-invalid', sha256));
    }
    let bytes = this.#pending.get(sha256);
    if (!bytes) {
      bytes = this.#lookUp(sha256, fetchBytes, name);
      this.#pending.set(sha256, bytes);
      const forget = (): void => void this.#pending.delete(sha256);
      bytes.then(forget, forget);
    }
    return bytes;
  }

  /** Stores `bytes` under their SHA-256, which it returns. */
  async put(bytes: Uint8Array, name = ''): Promise<string> {
    const sha256 = await sha256Hex(bytes);
    const db = await this.#open();
    if (db) await this.#store(db, sha256, bytes, name);
    return sha256;
  }

  async #lookUp(sha256: string, fetchBytes: FetchKernelBytes, name: string): Promise<Uint8Array> {
    const db = await this.#open();
    const cached = db && (await getKernel(db, sha256));
    if (cached) {
      const bytes = new Uint8Array(cached.bytes);
      if ((await sha256Hex(bytes)) === sha256) return bytes;
      await deleteKernel(db, sha256);
    }
    const fetched = await fetchBytes(sha256);
    const actual = await sha256Hex(fetched);
    if (actual !== sha256) throw new PdError('kernel-hash-mismatch', { expected: sha256, actual });
    if (db) await this.#store(db, sha256, fetched, cached?.name ?? name);
    return fetched;
  }

  #store(db: ProcessDistroDB, sha256: string, bytes: Uint8Array, name: string): Promise<void> {
    // A copy of exactly the view's bytes: `bytes` may be a window on a larger buffer.
    const copy = bytes.slice().buffer;
    return putKernel(db, { sha256, name, bytes: copy, storedAt: Date.now() });
  }

  /**
   * The database, or undefined where IndexedDB is unavailable (some private modes): the cache
   * is an optimisation, and a peer without it still computes, fetching kernels every time.
   */
  #open(): Promise<ProcessDistroDB | undefined> {
    return openProcessDistroDB(this.dbName).catch(() => undefined);
  }
}
