/**
 * RoomJobs' contract: what it needs plugged in (a chunk runner, kernel storage, the
 * transport), its options and its events. RoomJobs itself: room-jobs.ts.
 */
import type { Transport } from '../mesh/transport.ts';
import type { KernelJob, RunOptions, RunResult } from '../runtime/worker-pool-types.ts';
import type { PeerJobSnapshot } from '../scheduler/peer-types.ts';
import type { BlobStore } from './blob-store.ts';
import type { ControllerJob } from './controller-job.ts';

/** Runs one chunk on a worker (WorkerPool in a tab, worker_threads in Node). */
export interface ChunkRunner {
  run(job: KernelJob, options: RunOptions): Promise<RunResult>;
  size: number;
}

/** Content-addressed kernel storage (IndexedDB in a tab). */
export interface KernelStore {
  get(
    sha256: string,
    fetchBytes: (sha256: string) => Promise<Uint8Array>,
    name?: string,
  ): Promise<Uint8Array>;
  put(bytes: Uint8Array, name?: string): Promise<string>;
}

export interface RoomJobsOptions {
  transport: Transport;
  runner: ChunkRunner;
  kernels: KernelStore;
  /** Chunks this member runs at once (its donated cores; 0 computes nothing). */
  workers: number;
  /** Cores a member donates, as it said in its hello (0: it gets no chunks). */
  coresOf: (peerId: string) => number;
  chunkTimeoutMs?: number;
  kernelFetchTimeoutMs?: number;
  /** Start paused: take no chunks of any job until `resume()` (see PeerConfig.paused). */
  paused?: boolean;
  /** Blobs of job data this member holds and hands out (default: a fresh 512 MiB store). */
  blobs?: BlobStore;
  /** How long one peer may take to answer a `blob-request` before the next is asked. */
  blobFetchTimeoutMs?: number;
}

export interface RoomJobsEvents extends Record<string, unknown> {
  /** This member's work on others' jobs changed (for a status line). */
  work: PeerJobSnapshot[];
  /** A job submitted here started (also after a resume). */
  'job-started': ControllerJob;
  /** This member paused (true) or resumed (false) contributing. */
  paused: boolean;
}
