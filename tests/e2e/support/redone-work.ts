/**
 * How much work a disturbed job redid: every chunk computed by any peer, against the chunks
 * the job has. A worker's own count comes from its log (`left after computing N chunks` when
 * stopped, else its last `N chunks computed` line, printed every 2 s); for a killed worker,
 * the larger of that and what the controller accepted from it, a lower bound.
 */
import type { RunReport } from '../../../client/node/run-command.ts';
import type { CliProcess } from './cli-process.ts';

/** The chunks a worker says it computed (its last count), if it said. */
export function chunksComputedBy(worker: CliProcess): number | undefined {
  for (let i = worker.lines.length - 1; i >= 0; i--) {
    const match = /left after computing (\d+) chunks|(\d+) chunks computed/.exec(worker.lines[i]!);
    if (match) return Number(match[1] ?? match[2]);
  }
  return undefined;
}

export interface RedoneWork {
  total: number;
  /** Chunks computed by all peers together, accepted or not. */
  computed: number;
  /** computed − total: chunks computed more than once (or computed and lost). */
  redone: number;
  /** Results that arrived for chunks already accepted (report.json's chunks.duplicates). */
  duplicates: number;
  /** Chunks queued again because their peer was gone (Σ chunksReassigned). */
  reassigned: number;
  /** name: accepted/computed per peer. */
  peers: string;
}

/**
 * The figures of a finished `run`: `stopped` are workers that left with SIGTERM after the job
 * (their log has the full count), `killed` workers killed mid-job.
 */
export function redoneWork(
  report: RunReport,
  stopped: readonly CliProcess[],
  killed: readonly CliProcess[] = [],
): RedoneWork {
  const byName = new Map([...stopped, ...killed].map((worker) => [worker.label, worker]));
  let computed = 0;
  const peers: string[] = [];
  for (const peer of report.peers) {
    const worker = byName.get(peer.name);
    const own = worker ? chunksComputedBy(worker) : undefined;
    const dead = worker !== undefined && killed.includes(worker);
    const count = dead ? Math.max(own ?? 0, peer.chunks) : (own ?? peer.chunks);
    computed += count;
    peers.push(`${peer.name}${dead ? ' (killed)' : ''} ${peer.chunks}/${count}`);
  }
  return {
    total: report.chunks.total,
    computed,
    redone: computed - report.chunks.total,
    duplicates: report.chunks.duplicates,
    reassigned: report.peers.reduce((sum, peer) => sum + peer.chunksReassigned, 0),
    peers: peers.join(', '),
  };
}

/** The line a scenario prints (a TAP comment line: it starts with '# '). */
export function formatRedone(scenario: string, work: RedoneWork, wallMs?: number): string {
  const wall = wallMs === undefined ? '' : ` in ${(wallMs / 1000).toFixed(1)} s`;
  return (
    `# ${scenario}: ${work.computed} chunks computed for ${work.total}${wall} — ` +
    `${work.redone} redone, ${work.reassigned} reassigned, ${work.duplicates} duplicates ` +
    `(accepted/computed: ${work.peers})`
  );
}
