/**
 * `processdistro run <job> … --out DIR (--room <link> | --local-peers K)`: a headless
 * controller. It joins a room (or starts a local one with K worker processes), submits the
 * job, shows progress, and writes the job's files and `report.json` into DIR.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CliIo } from '../../signaling/cli-io.ts';
import { PACKAGE_ROOT } from '../../signaling/config.ts';
import type { ControllerSnapshot } from '../scheduler/controller-types.ts';
import { fractionFlag, integerFlag, readArgs, UsageError, withUsage } from './args.ts';
import { loadKernelBytes } from './kernel-files.ts';
import { startLocalMesh, type LocalMesh } from './local-mesh.ts';
import { startNodePeer, type NodePeer } from './node-peer.ts';
import { createProgressView } from './progress.ts';
import { buildReport, formatSummary } from './run-report.ts';
import { RUN_JOBS, type JobInput, type RunJobSpec } from './run-jobs.ts';

export type { ReportPeer, RunReport } from './run-report.ts';

const COMMON_HELP = `      --out <dir>        where the output files and report.json go (created if needed)
      --room <link>      run on the peers of this room (a room link)         [PD_ROOM]
      --local-peers <k>  start a local server and k worker processes (1 core each) instead
      --wait-peers <n>   with --room: start once n peers are connected (within the join
                         timeout)                         [default 0: start at once]
      --cores <n>        cores this controller computes with too            [default 0]
      --verify <f>       result verification: the chance (0..1) that a peer's result is
                         checked on a second peer; fewer for trusted peers below 1, every
                         chunk at 1; a peer caught cheating is removed   [default 0: off]
      --name <name>      how this controller is listed in the room  [default 'controller']
      --data-dir <dir>   kernel cache                      [PD_DATA_DIR, default <root>/.data]
      --join-timeout <s> give up when the room cannot be joined in time     [default 30]
  -h, --help             show this help`;

export function runHelp(): string {
  const jobs = Object.entries(RUN_JOBS)
    .map(([name, spec]) => `  ${name.padEnd(12)} ${spec.summary}`)
    .join('\n');
  return `Usage: processdistro run <job> [job options] --out <dir> (--room <link> | --local-peers <k>)

Run a job as its controller, from the terminal: the chunks go to the room's peers, the
results are merged here. A progress bar shows on a terminal, plain lines otherwise.

Jobs:
${jobs}

Options:
${COMMON_HELP}

Run 'processdistro run <job> --help' for the options of a job.

Examples:
${Object.values(RUN_JOBS)
  .map((spec) => `  ${spec.example}`)
  .join('\n')}
`;
}

function jobHelp(name: string, spec: RunJobSpec): string {
  return `Usage: processdistro run ${name} [options] --out <dir> (--room <link> | --local-peers <k>)

${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}.

Job options:
${spec.help}

Options:
${COMMON_HELP}

Example:
  ${spec.example}
`;
}

const COMMON_FLAGS = {
  out: { type: 'string' },
  room: { type: 'string' },
  'local-peers': { type: 'string' },
  'wait-peers': { type: 'string' },
  cores: { type: 'string' },
  verify: { type: 'string' },
  name: { type: 'string' },
  'data-dir': { type: 'string' },
  'join-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface RunArgs {
  job: string;
  spec: RunJobSpec;
  /** The job's settings from its flags (`RunJobSpec.params`). */
  params: unknown;
  out: string;
  mesh: { room: string; waitPeers: number } | { localPeers: number };
  cores: number;
  /** Result verification (ControllerOptions.verify); 0: off. */
  verify: number;
  name: string;
  dataDir: string;
  joinTimeoutMs: number;
}

/** Reads `run` arguments; returns the help text to print instead when asked for help. */
export function parseRunArgs(argv: string[], env: NodeJS.ProcessEnv = {}): RunArgs | string {
  const [job, ...rest] = argv;
  if (job === undefined || job === '-h' || job === '--help') {
    if (job === undefined)
      throw new UsageError('which job? one of: ' + Object.keys(RUN_JOBS).join(', '));
    return runHelp();
  }
  const spec = Object.hasOwn(RUN_JOBS, job) ? RUN_JOBS[job] : undefined;
  if (!spec) {
    throw new UsageError(`unknown job '${job}'; one of: ${Object.keys(RUN_JOBS).join(', ')}`);
  }
  const { values } = readArgs(rest, { ...COMMON_FLAGS, ...spec.flags });
  if (values.help) return jobHelp(job, spec);
  const room = values.room ?? env.PD_ROOM;
  const local = values['local-peers'];
  if ((room === undefined) === (local === undefined)) {
    throw new UsageError('give either --room <link> or --local-peers <k>');
  }
  if (!values.out) throw new UsageError('--out <dir> is required');
  if (local !== undefined && values['wait-peers'] !== undefined) {
    throw new UsageError('--wait-peers goes with --room (--local-peers waits for its workers)');
  }
  return {
    job,
    spec,
    params: spec.params(values as Record<string, string | boolean | undefined>),
    out: resolve(values.out),
    mesh:
      room !== undefined
        ? { room, waitPeers: integerFlag('--wait-peers', values['wait-peers'], 0, 1024, 0) }
        : { localPeers: integerFlag('--local-peers', local, 1, 64) },
    cores: integerFlag('--cores', values.cores, 0, 1024, 0),
    verify: fractionFlag('--verify', values.verify),
    name: values.name ?? 'controller',
    dataDir: values['data-dir'] ?? env.PD_DATA_DIR ?? join(PACKAGE_ROOT, '.data'),
    joinTimeoutMs: 1000 * integerFlag('--join-timeout', values['join-timeout'], 1, 3600, 30),
  };
}

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  return withUsage('run', io, async () => {
    const args = parseRunArgs(argv, process.env);
    if (typeof args === 'string') {
      io.out(args);
      return 0;
    }
    // Input files are read and checked before any peer starts: a bad one is a usage error.
    const input = await readJobInput(args);
    try {
      return await runJob(args, input, io);
    } catch (err) {
      io.error(`processdistro run: ${(err as Error).message}`);
      return 1;
    }
  });
}

/** The kernel's parameters and input data from the job's settings (reading its files). */
export async function readJobInput(args: Pick<RunArgs, 'spec' | 'params'>): Promise<JobInput> {
  if (args.spec.data) return args.spec.data(args.params);
  return { settings: args.params, params: args.params };
}

async function runJob(args: RunArgs, input: JobInput, io: CliIo): Promise<number> {
  await mkdir(args.out, { recursive: true });
  const bytes = await loadKernelBytes(args.spec.kernel, (line) => io.out(line));
  let mesh: LocalMesh | undefined;
  let peer: NodePeer | undefined;
  const cleanup = async () => {
    peer?.close();
    await mesh?.close();
  };
  try {
    let link: string;
    if ('localPeers' in args.mesh) {
      io.out(`Starting a local server and ${args.mesh.localPeers} worker process(es)...`);
      mesh = await startLocalMesh({ peers: args.mesh.localPeers, dataDir: args.dataDir });
      link = mesh.link;
    } else {
      link = args.mesh.room;
    }
    try {
      peer = startNodePeer({ link, cores: args.cores, name: args.name, dataDir: args.dataDir });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    await withTimeout(
      peer.joined,
      args.joinTimeoutMs,
      `could not join the room within ${args.joinTimeoutMs / 1000} s`,
    );
    if (mesh) await waitForWorkers(peer, mesh, args.joinTimeoutMs);
    else if ('waitPeers' in args.mesh && args.mesh.waitPeers > 0) {
      await waitForPeers(peer, args.mesh.waitPeers, args.joinTimeoutMs, io);
    }
    return await control(args, input, peer, bytes, io);
  } finally {
    await cleanup();
  }
}

/** Waits until every local worker has an open data channel to the controller. */
async function waitForWorkers(peer: NodePeer, mesh: LocalMesh, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const connected = peer.session.view().filter((view) => view.connection === 'connected');
    if (connected.length >= mesh.workers.length) return;
    const dead = mesh.workers.find((worker) => worker.process.exitCode !== null);
    if (dead) {
      throw new Error(`worker ${dead.name} exited early:\n${dead.lines.slice(-20).join('\n')}`);
    }
    if (Date.now() > until) {
      throw new Error(
        `only ${connected.length} of ${mesh.workers.length} workers connected in time`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until `count` peers of the room have an open data channel to the controller. */
async function waitForPeers(
  peer: NodePeer,
  count: number,
  timeoutMs: number,
  io: CliIo,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  io.out(`Waiting for ${count} peer(s) to connect...`);
  for (;;) {
    const connected = peer.session.view().filter((view) => view.connection === 'connected');
    if (connected.length >= count) return;
    if (Date.now() > until) {
      throw new Error(
        `only ${connected.length} of ${count} peers connected within ${timeoutMs / 1000} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Submits the job, shows its progress, and writes its files once it is done. */
async function control(
  args: RunArgs,
  input: JobInput,
  peer: NodePeer,
  bytes: Uint8Array,
  io: CliIo,
): Promise<number> {
  const names = new Map<string, string>();
  const remember = () => {
    for (const view of peer.session.view()) names.set(view.peerId, view.name);
  };
  peer.session.on('change', remember);
  remember();
  io.out(args.spec.describe(input));
  const job = await peer.jobs.submit({ name: args.spec.kernel, bytes }, input.params, {
    localCores: args.cores,
    ...(args.verify > 0 ? { verify: args.verify } : {}),
    ...(input.data !== undefined ? { data: input.data } : {}),
  });
  const progress = createProgressView((line) => io.out(line));
  const show = () => {
    const snapshot = job.snapshot();
    const seconds = (performance.now() - job.startedAt) / 1000;
    const rate = args.spec.rate;
    progress.update({
      done: snapshot.done,
      total: snapshot.total,
      peers: peer!.session.view().filter((view) => view.connection === 'connected').length,
      ...(rate && seconds > 0
        ? { rate: { value: job.doneCost / rate.perCost(job.params) / seconds, unit: rate.unit } }
        : {}),
    });
  };
  const ticker = setInterval(show, 250);
  const onSignal = (signal: NodeJS.Signals) => {
    io.error(`\n${signal}: cancelling the job`);
    job.cancel();
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  show();
  const snapshot = await new Promise<ControllerSnapshot>((resolve) => job.on('ended', resolve));
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  clearInterval(ticker);
  show();
  progress.stop();
  remember();
  const files =
    snapshot.status === 'done' ? await args.spec.write(args.out, input, job.output) : [];
  const report = buildReport(
    { job: args.job, settings: input.settings, rate: args.spec.rate },
    job,
    snapshot,
    names,
    peer.session.selfId,
    files,
  );
  await writeFile(join(args.out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  io.out(formatSummary(report, args.out));
  return snapshot.status === 'done' ? 0 : snapshot.status === 'cancelled' ? 130 : 1;
}
