/**
 * A mesh on this machine alone: an in-process server on loopback, a fresh room, and K
 * headless workers, each a `processdistro worker` child process with one core. Used by
 * `run --local-peers K` and the benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PACKAGE_ROOT } from '../../signaling/config.ts';
import { roomFragment, type CreateRoomResponse } from '../../signaling/protocol.ts';
import { startServer, type RunningServer } from '../../signaling/server.ts';

export interface LocalMesh {
  readonly server: RunningServer;
  /** The room's link on loopback. */
  readonly link: string;
  readonly workers: LocalWorker[];
  /** Starts one more worker child process. */
  addWorker(options?: { cores?: number; name?: string; args?: string[] }): LocalWorker;
  /** Stops the workers (SIGTERM, then SIGKILL after 5 s) and the server. */
  close(): Promise<void>;
}

export interface LocalWorker {
  readonly name: string;
  readonly process: ChildProcess;
  /** The worker's recent output lines, for error reports. */
  readonly lines: string[];
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
}

const BIN = join(PACKAGE_ROOT, 'bin/processdistro.js');

/**
 * Node flags for processes that run kernels: compile WebAssembly with the optimising tier
 * at once. V8's baseline tier (Liftoff) otherwise runs a kernel's long loops for whole jobs
 * before tiering up — measured ~1.6× slower for the first renders in a fresh worker thread.
 * A V8 flag is process-wide and cannot be set for one worker, hence on the command line
 * (bin/processdistro.js's shebang carries it too).
 */
export const NODE_FLAGS = ['--no-liftoff'];

/** Creates a room on a running server (POST /api/rooms) and returns its loopback link. */
export async function createRoomLink(serverUrl: string): Promise<string> {
  const response = await fetch(new URL('/api/rooms', serverUrl), { method: 'POST' });
  if (!response.ok) throw new Error(`could not create a room: HTTP ${response.status}`);
  const room = (await response.json()) as CreateRoomResponse;
  return `${serverUrl}/${roomFragment(room.roomId, room.token)}`;
}

/** Starts a server on 127.0.0.1 (HTTP only, no STUN), a room, and `peers` worker processes. */
export async function startLocalMesh(options: {
  peers: number;
  /** Where workers cache kernels; default a temporary directory removed on close. */
  dataDir?: string;
  /** Extra arguments for every worker (testing aids). */
  workerArgs?: string[];
  /** Each worker output line, as it comes. */
  onLine?: (worker: string, line: string) => void;
}): Promise<LocalMesh> {
  const ownDir = options.dataDir ? undefined : await mkdtemp(join(tmpdir(), 'pd-local-'));
  const dataDir = options.dataDir ?? ownDir!;
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    httpsPort: false,
    stunPort: false,
    dataDir,
    quiet: true,
  });
  const link = await createRoomLink(server.httpUrl);
  const workers: LocalWorker[] = [];
  const addWorker: LocalMesh['addWorker'] = (worker = {}) => {
    const name = worker.name ?? `local-${workers.length + 1}`;
    const child = spawn(
      process.execPath,
      [
        ...NODE_FLAGS,
        BIN,
        'worker',
        '--room',
        link,
        '--cores',
        String(worker.cores ?? 1),
        '--name',
        name,
        '--data-dir',
        dataDir,
        ...(options.workerArgs ?? []),
        ...(worker.args ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        if (lines.length > 200) lines.shift();
        options.onLine?.(name, line);
      });
    }
    const exited = new Promise<number | string>((resolve) =>
      child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
    );
    const handle: LocalWorker = { name, process: child, lines, exited };
    workers.push(handle);
    return handle;
  };
  for (let i = 0; i < options.peers; i++) addWorker();
  return {
    server,
    link,
    workers,
    addWorker,
    async close() {
      await Promise.all(
        workers.map(async (worker) => {
          if (worker.process.exitCode !== null || worker.process.signalCode !== null) return;
          worker.process.kill('SIGTERM');
          const timer = setTimeout(() => worker.process.kill('SIGKILL'), 5000);
          await worker.exited;
          clearTimeout(timer);
        }),
      );
      await server.close();
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    },
  };
}
