/**
 * How kernels move between peers: a peer that lacks a kernel's bytes sends `kernel-request`
 * (by SHA-256) to the job's controller, which answers `kernel-bytes` with the bytes in the
 * body; the kernel cache checks the hash before anything compiles them. Keeps the bytes this
 * member knows, to serve them in turn. Realm-neutral; RoomJobs routes the messages.
 */
import { PdError } from '../protocol/errors.ts';
import type { OutgoingJobMessage } from '../scheduler/job-messages.ts';

export interface KernelExchangeOptions {
  send(to: string, message: OutgoingJobMessage, body?: Uint8Array): void;
  /** How long the asked peer may take to answer. */
  timeoutMs: number;
}

export class KernelExchange {
  /** Kernel bytes by SHA-256: submitted here, or fetched and checked. */
  private readonly bytes = new Map<string, Uint8Array>();
  private readonly waiters = new Map<string, Array<(bytes: Uint8Array) => void>>();

  constructor(private readonly options: KernelExchangeOptions) {}

  /** Bytes known under `sha256` (already checked), or undefined. */
  known(sha256: string): Uint8Array | undefined {
    return this.bytes.get(sha256);
  }

  /** Keeps checked bytes, to serve them to peers that ask. */
  keep(sha256: string, bytes: Uint8Array): void {
    this.bytes.set(sha256, bytes);
  }

  /** Asks `from` (the job's controller) for a kernel's bytes; the caller checks the hash. */
  fetch(from: string, sha256: string): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new PdError('kernel-unavailable', `no answer from ${from} for ${sha256.slice(0, 12)}`),
          ),
        this.options.timeoutMs,
      );
      const waiters = this.waiters.get(sha256) ?? [];
      waiters.push((bytes) => {
        clearTimeout(timer);
        resolve(bytes);
      });
      this.waiters.set(sha256, waiters);
      this.options.send(from, { type: 'kernel-request', sha256 });
    });
  }

  /** A `kernel-bytes` answer arrived: hands the bytes to whoever waits for them. */
  received(sha256: string, body?: Uint8Array): void {
    const waiters = this.waiters.get(sha256);
    if (!waiters || !body) return;
    this.waiters.delete(sha256);
    for (const resolve of waiters) resolve(body);
  }

  /** A peer asks for a kernel: sends it if known here (else the asker times out). */
  serve(to: string, sha256: string): void {
    const bytes = this.bytes.get(sha256);
    if (bytes)
      this.options.send(to, { type: 'kernel-bytes', sha256, bytes: bytes.byteLength }, bytes);
  }
}
