/**
 * The blobs of job data one member holds (matrix panels, batches of password pairs), by
 * SHA-256, in memory. Whoever holds a blob can hand it to any peer that asks, so data spreads
 * through the room instead of always coming from the controller. Blobs a running job needs are
 * held (not evicted); the rest go, least recently used first, once the budget is passed.
 * Realm-neutral.
 */
import { sha256Hex } from '../protocol/sha256.ts';

export class BlobStore {
  readonly #blobs = new Map<string, Uint8Array>();
  /** Holders (job ids) of each held blob. */
  readonly #holds = new Map<string, Set<string>>();
  #bytes = 0;

  /** `budgetBytes`: unheld blobs are evicted beyond this many bytes in total. */
  constructor(readonly budgetBytes = 512 * 1024 * 1024) {}

  get bytes(): number {
    return this.#bytes;
  }

  has(sha256: string): boolean {
    return this.#blobs.has(sha256);
  }

  /** The blob's bytes (and marks it recently used), or undefined. */
  get(sha256: string): Uint8Array | undefined {
    const bytes = this.#blobs.get(sha256);
    if (bytes) {
      this.#blobs.delete(sha256);
      this.#blobs.set(sha256, bytes);
    }
    return bytes;
  }

  /** Stores bytes whose hash the caller has checked (or computed); returns nothing new. */
  putChecked(sha256: string, bytes: Uint8Array): void {
    if (this.#blobs.has(sha256)) return void this.get(sha256);
    this.#blobs.set(sha256, bytes);
    this.#bytes += bytes.byteLength;
    this.#evict();
  }

  /** Hashes and stores; resolves with the SHA-256. */
  async put(bytes: Uint8Array): Promise<string> {
    const sha256 = await sha256Hex(bytes);
    this.putChecked(sha256, bytes);
    return sha256;
  }

  /** Keeps these blobs (present or to come) for `holder` until it releases them. */
  hold(holder: string, sha256s: Iterable<string>): void {
    for (const sha256 of sha256s) {
      const holders = this.#holds.get(sha256) ?? new Set<string>();
      holders.add(holder);
      this.#holds.set(sha256, holders);
    }
  }

  /** Lets go of everything `holder` held; blobs over the budget may go now. */
  release(holder: string): void {
    for (const [sha256, holders] of this.#holds) {
      holders.delete(holder);
      if (holders.size === 0) this.#holds.delete(sha256);
    }
    this.#evict();
  }

  #evict(): void {
    if (this.#bytes <= this.budgetBytes) return;
    for (const [sha256, bytes] of this.#blobs) {
      if (this.#bytes <= this.budgetBytes) return;
      if (this.#holds.has(sha256)) continue;
      this.#blobs.delete(sha256);
      this.#bytes -= bytes.byteLength;
    }
  }
}

/** A job's blob manifest: blob name → SHA-256. */
export type BlobManifest = Record<string, string>;

const NAME = /^[A-Za-z0-9_./-]{1,128}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** The manifest's bytes (sorted JSON, so equal manifests hash equally). */
export function encodeManifest(manifest: BlobManifest): Uint8Array {
  const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => (a < b ? -1 : 1)));
  return new TextEncoder().encode(JSON.stringify(sorted));
}

/** Parses and checks a manifest from the wire; throws on anything malformed. */
export function decodeManifest(bytes: Uint8Array): Map<string, string> {
  const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('a blob manifest is a JSON object');
  }
  const manifest = new Map<string, string>();
  for (const [name, sha256] of Object.entries(value)) {
    if (!NAME.test(name) || typeof sha256 !== 'string' || !SHA256.test(sha256)) {
      throw new Error(`bad manifest entry '${name.slice(0, 40)}'`);
    }
    manifest.set(name, sha256);
  }
  return manifest;
}
