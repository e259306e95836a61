/**
 * The content-addressed kernel cache of a Node peer: WebAssembly bytes by SHA-256, one file
 * `<dir>/<sha256>.wasm` each. It keeps the rules of the browser's IndexedDB cache
 * (`client/runtime/kernel-cache.ts`): fetched bytes are hashed before they are stored or used,
 * and a file is hashed again when read, so a corrupted one is deleted and fetched anew.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KernelStore } from '../jobs/room-jobs.ts';
import { PdError } from '../protocol/errors.ts';
import { sha256Hex } from '../protocol/sha256.ts';
import type { FetchKernelBytes } from '../runtime/kernel-cache.ts';

const sha256Pattern = /^[0-9a-f]{64}$/;

/** Kernel bytes by SHA-256 in a directory, created on first write. */
export class DiskKernelStore implements KernelStore {
  /** Lookups in flight, so that concurrent requests for one kernel fetch it once. */
  readonly #pending = new Map<string, Promise<Uint8Array>>();

  /** @param dir where the `<sha256>.wasm` files live. */
  constructor(readonly dir: string) {}

  /**
   * The bytes whose SHA-256 is `sha256`: from `<dir>/<sha256>.wasm` when that file still
   * matches its hash, else from `fetchBytes`, checked, then stored. Rejects with PdError
   * 'kernel-hash-mismatch' (and stores nothing) when the fetched bytes hash to anything else,
   * 'kernel-hash-invalid' when `sha256` is not a lower-case hex SHA-256, and with the file
   * system's error when the file cannot be read or written for another reason than absence.
   * @param _name not stored (the file is named by its hash alone); kept for `KernelStore`.
   */
  get(sha256: string, fetchBytes: FetchKernelBytes, _name?: string): Promise<Uint8Array> {
    if (!sha256Pattern.test(sha256)) {
      return Promise.reject(new PdError('kernel-hash-invalid', sha256));
    }
    let bytes = this.#pending.get(sha256);
    if (!bytes) {
      bytes = this.#lookUp(sha256, fetchBytes);
      this.#pending.set(sha256, bytes);
      const forget = (): void => void this.#pending.delete(sha256);
      bytes.then(forget, forget);
    }
    return bytes;
  }

  /**
   * Stores `bytes` under their SHA-256, which it returns.
   * @param _name not stored, as for `get`.
   */
  async put(bytes: Uint8Array, _name?: string): Promise<string> {
    const sha256 = await sha256Hex(bytes);
    await this.#store(sha256, bytes);
    return sha256;
  }

  /** The file that holds (or would hold) the kernel whose SHA-256 is `sha256`. */
  pathOf(sha256: string): string {
    return join(this.dir, `${sha256}.wasm`);
  }

  async #lookUp(sha256: string, fetchBytes: FetchKernelBytes): Promise<Uint8Array> {
    const cached = await this.#read(sha256);
    if (cached) {
      if ((await sha256Hex(cached)) === sha256) return cached;
      await rm(this.pathOf(sha256), { force: true });
    }
    const fetched = await fetchBytes(sha256);
    const actual = await sha256Hex(fetched);
    if (actual !== sha256) throw new PdError('kernel-hash-mismatch', { expected: sha256, actual });
    await this.#store(sha256, fetched);
    return fetched;
  }

  async #read(sha256: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.pathOf(sha256)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * Writes a temporary file and renames it into place, so that a reader (in this process or
   * another peer sharing the directory) sees the whole kernel or none of it.
   */
  async #store(sha256: string, bytes: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const temporary = join(this.dir, `.${sha256}.${randomUUID()}.tmp`);
    try {
      await writeFile(temporary, bytes);
      await rename(temporary, this.pathOf(sha256));
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
  }
}
