/**
 * `processdistro worker --room <link>`: a headless compute peer. It joins the room, computes
 * whatever chunks the room's jobs hand it on worker threads, rejoins by itself after the
 * server or the network drops, and on SIGINT/SIGTERM finishes or releases its chunks first.
 */
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../signaling/cli-io.ts';
import { PACKAGE_ROOT } from '../../signaling/config.ts';
import { fractionFlag, integerFlag, numberFlag, readArgs, UsageError, withUsage } from './args.ts';
import { startNodePeer, type NodePeer } from './node-peer.ts';

export const WORKER_HELP = `Usage: processdistro worker --room <link> [options]

Join a room as a headless compute peer: chunks run in WebAssembly on worker threads, with
the same checks as in a browser (kernel hash, import allow-list, memory cap, time limit).
Kernels are cached in <data-dir>/kernels. Stop with Ctrl-C: chunks in hand are finished
(up to 10 s) or handed back to their controller.

Options:
      --room <link>      the room link (http://host:port/#room=…&t=…)      [PD_ROOM]
      --cores <n>        worker threads to compute with     [default: all cores, ${availableParallelism()}]
      --name <name>      how this peer is listed in the room    [default: the host name]
      --data-dir <dir>   kernel cache and state            [PD_DATA_DIR, default <root>/.data]
      --slowdown <f>     testing aid: after each chunk, stay busy (f − 1) × its compute time
      --faulty <rate>    testing aid: corrupt this fraction (0..1) of results before sending,
                         as a cheating peer would (result verification should catch it)
  -h, --help             show this help

Example:
  processdistro worker --room 'http://192.168.1.20:30000/#room=abc123&t=…' --cores 2
`;

const FLAGS = {
  room: { type: 'string' },
  cores: { type: 'string' },
  name: { type: 'string' },
  'data-dir': { type: 'string' },
  slowdown: { type: 'string' },
  faulty: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface WorkerArgs {
  help: boolean;
  room: string;
  cores: number;
  name: string;
  dataDir: string;
  slowdown: number;
  /** Testing aid: the fraction of results corrupted (0: none). */
  faulty: number;
}

export function parseWorkerArgs(argv: string[], env: NodeJS.ProcessEnv = {}): WorkerArgs {
  const { values } = readArgs(argv, FLAGS);
  const help = values.help === true;
  const room = values.room ?? env.PD_ROOM;
  if (!room && !help) throw new UsageError('--room <link> is required');
  return {
    help,
    room: room ?? '',
    cores: integerFlag('--cores', values.cores, 1, 1024, availableParallelism()),
    name: values.name ?? hostname(),
    dataDir: values['data-dir'] ?? env.PD_DATA_DIR ?? join(PACKAGE_ROOT, '.data'),
    slowdown: numberFlag('--slowdown', values.slowdown, { min: 1, fallback: 1 }),
    faulty: fractionFlag('--faulty', values.faulty),
  };
}

export async function workerCommand(argv: string[], io: CliIo): Promise<number> {
  return withUsage('worker', io, async () => {
    const args = parseWorkerArgs(argv, process.env);
    if (args.help) {
      io.out(WORKER_HELP);
      return 0;
    }
    let peer: NodePeer;
    try {
      peer = startNodePeer({
        link: args.room,
        cores: args.cores,
        name: args.name,
        dataDir: args.dataDir,
        slowdownFactor: args.slowdown,
        ...(args.faulty > 0 ? { faultyRate: args.faulty } : {}),
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    return runWorker(peer, args, io);
  });
}

/** Reports what the peer does until a signal or a refusal ends it. */
function runWorker(peer: NodePeer, args: WorkerArgs, io: CliIo): Promise<number> {
  const { session, jobs } = peer;
  const log = (text: string) => io.out(`${new Date().toISOString().slice(11, 19)} ${text}`);
  let connected = new Set<string>();
  session.on('signaling', (state) => log(`signaling: ${state}`));
  session.on('change', () => {
    const now = new Set(
      session
        .view()
        .filter((view) => view.connection === 'connected')
        .map((view) => view.peerId),
    );
    for (const view of session.view()) {
      if (now.has(view.peerId) && !connected.has(view.peerId)) {
        log(`connected to ${view.name} (${view.peerId})`);
      }
      if (!now.has(view.peerId) && connected.has(view.peerId) && view.connection !== 'self') {
        log(`lost ${view.name} (${view.peerId})`);
      }
    }
    connected = now;
  });
  const jobsSeen = new Set<string>();
  let lastComputed = 0;
  jobs.on('work', (snapshots) => {
    for (const job of snapshots) {
      if (!jobsSeen.has(job.jobId)) {
        jobsSeen.add(job.jobId);
        log(`computing for job ${job.jobId} (controller ${job.controllerId})`);
      }
    }
  });
  const status = setInterval(() => {
    if (jobs.chunksComputed === lastComputed) return;
    lastComputed = jobs.chunksComputed;
    log(`${lastComputed} chunks computed`);
  }, 2000);
  return new Promise((resolve) => {
    let stopping = false;
    const finish = (code: number) => {
      clearInterval(status);
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      resolve(code);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        io.error(`${signal} again: leaving at once.`);
        peer.close();
        return finish(1);
      }
      stopping = true;
      log(`${signal}: finishing the chunks in hand, then leaving...`);
      void peer.leave().then(() => {
        log(`left after computing ${jobs.chunksComputed} chunks`);
        finish(0);
      });
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    session.on('error', (error) => {
      if (!error.fatal) return log(`the server refused a message: ${error.message}`);
      io.error(`processdistro worker: the server refused the join: ${error.message}`);
      peer.close();
      finish(1);
    });
    if (args.faulty > 0) log(`testing aid: corrupting ${args.faulty * 100}% of results`);
    peer.joined.then(
      () => log(`joined the room as '${args.name}' with ${args.cores} core(s)`),
      () => {}, // reported by the 'error' listener
    );
  });
}
