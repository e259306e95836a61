/**
 * A headless member of a room: the same RoomSession, RoomJobs and WorkerPool a tab runs, with
 * Node's parts plugged in — `ws` for the signaling socket, node-datachannel's polyfill as
 * simple-peer's WebRTC, worker_threads for kernels and a directory for the kernel cache.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { parseRoomLink, type ErrorMessage } from '../../signaling/protocol.ts';
import { kernelByName } from '../../kernels/registry.ts';
import { RoomJobs, RUNS_PER_WORKER, type ChunkRunner } from '../jobs/room-jobs.ts';
import { RoomSession } from '../mesh/room-session.ts';
import { WorkerPool } from '../runtime/worker-pool.ts';
import { DiskKernelStore } from './disk-kernel-store.ts';
import { nodeWrtc } from './node-webrtc.ts';
import { createNodeKernelWorker } from './worker-threads.ts';

export interface NodePeerOptions {
  /** The room link, as the app shares it: `http://host:port/#room=<id>&t=<token>`. */
  link: string;
  /** Cores to compute with; 0 joins without computing (a controller that only coordinates). */
  cores: number;
  name?: string;
  /** Holds the kernel cache (`<dataDir>/kernels`). */
  dataDir: string;
  /** Testing aid (see WorkerPoolOptions.slowdownFactor). */
  slowdownFactor?: number;
  /** Testing aid: this fraction of results (0..1) is corrupted after the kernel (faultyRunner). */
  faultyRate?: number;
  chunkTimeoutMs?: number;
}

/** A joined headless member: its session (mesh), jobs (scheduler) and pool (workers). */
export interface NodePeer {
  readonly session: RoomSession;
  readonly jobs: RoomJobs;
  readonly pool: WorkerPool;
  /** Resolves once the server welcomed this member; rejects with a fatal refusal. */
  readonly joined: Promise<void>;
  /**
   * Leaves gracefully: takes no new chunks, waits (up to `graceMs`) for the running ones to
   * be sent back, then leaves — the controller queues the unstarted ones again at once.
   */
  leave(graceMs?: number): Promise<void>;
  /** Leaves at once. */
  close(): void;
}

/** A peer id in the format the server accepts (16 of [A-Za-z0-9_-]). */
export function newPeerId(): string {
  return randomBytes(12).toString('base64url');
}

/** Splits a room link into the server's base URL and the room's id and token. */
export function parseLink(link: string): { serverUrl: string; roomId: string; token: string } {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new Error(`not a room link: '${link}' (expected http://host:port/#room=…&t=…)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`a room link starts with http:// or https://, not ${url.protocol}`);
  }
  const room = parseRoomLink(url.hash);
  if (!room) throw new Error(`the link has no room and token: '${link}'`);
  return { serverUrl: url.origin, ...room };
}

/** Joins the room of `options.link` and starts computing what its jobs hand out. */
export function startNodePeer(options: NodePeerOptions): NodePeer {
  const { serverUrl, roomId, token } = parseLink(options.link);
  const cores = options.cores;
  const session = new RoomSession({
    serverUrl,
    roomId,
    token,
    self: {
      peerId: newPeerId(),
      name: options.name ?? hostname(),
      device: {
        cores: availableParallelism(),
        userAgent: `processdistro-node/${process.versions.node} (${process.platform}; ${process.arch})`,
      },
      donatedCores: cores,
    },
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    wrtc: nodeWrtc,
  });
  const pool = new WorkerPool({
    size: Math.max(1, cores),
    runsPerWorker: RUNS_PER_WORKER,
    createWorker: createNodeKernelWorker,
    ...(options.slowdownFactor ? { slowdownFactor: options.slowdownFactor } : {}),
  });
  const jobs = new RoomJobs({
    transport: session,
    runner: options.faultyRate ? faultyRunner(pool, options.faultyRate) : pool,
    kernels: new DiskKernelStore(join(options.dataDir, 'kernels')),
    workers: cores,
    coresOf: (id) => session.view().find((peer) => peer.peerId === id)?.donatedCores ?? 0,
    ...(options.chunkTimeoutMs ? { chunkTimeoutMs: options.chunkTimeoutMs } : {}),
  });
  const joined = new Promise<void>((resolve, reject) => {
    session.signaling.on('welcome', () => resolve());
    session.on('error', (error: ErrorMessage) => {
      if (error.fatal) reject(new Error(`the server refused the join: ${error.message}`));
    });
  });
  joined.catch(() => {}); // the caller may not await it; a refusal also shows in `error`
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    jobs.close();
    session.close();
    pool.close();
  };
  session.start();
  return {
    session,
    jobs,
    pool,
    joined,
    close,
    async leave(graceMs = 10_000) {
      jobs.setWorkers(0);
      const until = Date.now() + graceMs;
      const running = () => jobs.peer.snapshot().reduce((sum, job) => sum + job.running, 0);
      while (running() > 0 && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // The last results are queued on the data channels; give them a moment to leave.
      await new Promise((resolve) => setTimeout(resolve, 300));
      close();
    },
  };
}

/**
 * Testing aid for result verification: a runner that corrupts `rate` of its results, as a
 * faulty or cheating peer would — after the kernel, before the result is encoded and sent.
 * It clears one set bit of one byte (a count or a mantissa gets smaller, so the result still
 * passes the kernel's own check and only comparing it with another peer's can catch it).
 */
export function faultyRunner(
  runner: ChunkRunner,
  rate: number,
  random: () => number = Math.random,
): ChunkRunner {
  return {
    get size() {
      return runner.size;
    },
    set size(size: number) {
      runner.size = size;
    },
    async run(job, options) {
      const done = await runner.run(job, options);
      if (random() >= rate) return done;
      return { ...done, result: corrupt(done.result, job, random) };
    },
  };
}

/** `result` with one set bit of a random non-zero byte cleared, if the kernel still accepts it. */
function corrupt(
  result: Uint8Array,
  job: Parameters<ChunkRunner['run']>[0],
  random: () => number,
): Uint8Array {
  for (let attempt = 0; attempt < 32 && result.byteLength > 0; attempt++) {
    const at = Math.floor(random() * result.byteLength);
    if (result[at] === 0) continue;
    const copy = result.slice();
    copy[at] &= copy[at] - 1;
    try {
      const meta = kernelByName(job.kernel);
      const params: unknown = meta.parseParams(job.params);
      meta.validateResult(params, meta.parseChunk(job.chunk, params), copy);
      return copy;
    } catch {
      // This corruption would be caught as an invalid result; try another byte.
    }
  }
  return result;
}
