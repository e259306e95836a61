/**
 * How blobs of job data move between peers: `blob-request` asks one peer, which answers
 * `blob-bytes` (the bytes in the body) or `blob-missing`. A fetch tries its sources in turn,
 * checks the SHA-256 of what arrives, and keeps it in the member's BlobStore, from which this
 * member then serves others. Realm-neutral; RoomJobs routes the messages.
 */
import { PdError } from '../protocol/errors.ts';
import { sha256Hex } from '../protocol/sha256.ts';
import type { OutgoingJobMessage } from '../scheduler/job-messages.ts';
import type { AnyKernelMeta } from '../../kernels/registry.ts';
import { decodeManifest, encodeManifest, type BlobManifest, type BlobStore } from './blob-store.ts';

export interface BlobExchangeOptions {
  selfId: string;
  store: BlobStore;
  send(to: string, message: OutgoingJobMessage, body?: Uint8Array): void;
  /** How long one peer may take to answer before the next source is asked. */
  timeoutMs: number;
}

/** A `blob-request` in flight to one peer. */
interface BlobAsk {
  resolve(bytes: Uint8Array | undefined): void;
}

export class BlobExchange {
  /** `${peerId} ${sha256}` → the request waiting for that peer's answer. */
  private readonly asks = new Map<string, BlobAsk>();
  /** Fetches in flight, so concurrent chunks needing one panel fetch it once. */
  private readonly fetches = new Map<string, Promise<Uint8Array>>();

  constructor(private readonly options: BlobExchangeOptions) {}

  /**
   * Controller side: cuts a job's input data into its blobs, keeps them (and their manifest)
   * for `holder`, and resolves with the manifest's SHA-256.
   */
  async publishJobData(
    holder: string,
    meta: AnyKernelMeta,
    params: unknown,
    data: unknown,
  ): Promise<string> {
    if (data === undefined) throw new PdError('message-invalid', `${meta.name} needs input data`);
    const { store } = this.options;
    const manifest: BlobManifest = {};
    for (const [name, bytes] of meta.blobs!(meta.parseParams(params), data)) {
      manifest[name] = await store.put(bytes);
    }
    const manifestSha = await store.put(encodeManifest(manifest));
    store.hold(holder, [manifestSha, ...Object.values(manifest)]);
    return manifestSha;
  }

  /** Peer side: a job's manifest (blob name → SHA-256), kept for `holder`. */
  async fetchManifest(
    holder: string,
    sha256: string,
    sources: readonly string[],
  ): Promise<Map<string, string>> {
    this.options.store.hold(holder, [sha256]);
    return decodeManifest(await this.fetch(sha256, sources));
  }

  /** The bytes of the blobs a chunk names (`inputsOf`), fetched where missing, for `holder`. */
  async fetchInputs(
    holder: string,
    chunk: {
      meta: AnyKernelMeta;
      params: unknown;
      manifest: Map<string, string> | undefined;
      descriptor: unknown;
      sources: readonly string[];
    },
  ): Promise<{ inputs: Uint8Array[]; fetchedBytes: number }> {
    const { meta, params, manifest } = chunk;
    if (!meta.inputsOf) return { inputs: [], fetchedBytes: 0 };
    const names = meta.inputsOf(params, meta.parseChunk(chunk.descriptor, params));
    const shas = names.map((name) => {
      const sha256 = manifest?.get(name);
      if (!sha256) throw new PdError('blob-unavailable', `no blob '${name}' in the manifest`);
      return sha256;
    });
    this.options.store.hold(holder, shas);
    let fetchedBytes = 0;
    const inputs = await Promise.all(
      shas.map(async (sha256) => {
        // Only the fetch this call starts counts: a shared one is counted by whoever began it.
        const own = !this.options.store.get(sha256) && !this.fetches.has(sha256);
        const bytes = await this.fetch(sha256, chunk.sources);
        if (own) fetchedBytes += bytes.byteLength;
        return bytes;
      }),
    );
    return { inputs, fetchedBytes };
  }

  /**
   * A blob by hash: from the store, else from the first of `sources` that has it (each is
   * asked in turn; a wrong hash counts as not having it). Concurrent fetches share one.
   */
  fetch(sha256: string, sources: readonly string[]): Promise<Uint8Array> {
    const held = this.options.store.get(sha256);
    if (held) return Promise.resolve(held);
    let fetch = this.fetches.get(sha256);
    if (!fetch) {
      fetch = this.fetchFrom(sha256, sources).finally(() => this.fetches.delete(sha256));
      this.fetches.set(sha256, fetch);
    }
    return fetch;
  }

  private async fetchFrom(sha256: string, sources: readonly string[]): Promise<Uint8Array> {
    for (const peerId of new Set(sources)) {
      if (peerId === this.options.selfId) continue;
      const bytes = await this.ask(peerId, sha256);
      if (bytes && (await sha256Hex(bytes)) === sha256) {
        this.options.store.putChecked(sha256, bytes);
        return bytes;
      }
    }
    const held = this.options.store.get(sha256); // a source may be this member itself
    if (held) return held;
    throw new PdError('blob-unavailable', `${sha256.slice(0, 12)} from ${sources.join(', ')}`);
  }

  /** One `blob-request`: resolves with the bytes, or undefined (missing, timeout, peer gone). */
  private ask(peerId: string, sha256: string): Promise<Uint8Array | undefined> {
    const key = `${peerId} ${sha256}`;
    const pending = this.asks.get(key);
    if (pending) this.asks.delete(key); // a newer ask replaces it
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.answer(peerId, sha256), this.options.timeoutMs);
      this.asks.set(key, {
        resolve: (bytes) => {
          clearTimeout(timer);
          resolve(bytes);
        },
      });
      pending?.resolve(undefined);
      this.options.send(peerId, { type: 'blob-request', sha256 });
    });
  }

  /** A peer's `blob-bytes` (with `body`) or `blob-missing`; unasked answers are ignored. */
  answer(from: string, sha256: string, body?: Uint8Array): void {
    const key = `${from} ${sha256}`;
    const ask = this.asks.get(key);
    if (!ask) return; // unasked, or answered already: ignored
    this.asks.delete(key);
    ask.resolve(body);
  }

  /** A peer left: its pending requests fail over to the next source now. */
  peerLeft(peerId: string): void {
    for (const key of [...this.asks.keys()]) {
      if (key.startsWith(`${peerId} `)) this.answer(peerId, key.slice(peerId.length + 1));
    }
  }

  /** Answers a peer's `blob-request` from the store. */
  serve(to: string, sha256: string): void {
    const bytes = this.options.store.get(sha256);
    if (!bytes) return this.options.send(to, { type: 'blob-missing', sha256 });
    this.options.send(to, { type: 'blob-bytes', sha256, bytes: bytes.byteLength }, bytes);
  }
}
