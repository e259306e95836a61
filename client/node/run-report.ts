/**
 * report.json of `processdistro run`, and the summary printed when a job ends: status, wall
 * time, chunks, throughput, verification, and per peer its chunks, compute time, work, bytes
 * moved and checks.
 */
import { join } from 'node:path';
import type { ControllerJob } from '../jobs/controller-job.ts';
import type { ControllerSnapshot, VerificationStats } from '../scheduler/controller-types.ts';
import type { RunJobSpec } from './run-jobs.ts';

/** One peer's line in report.json. */
export interface ReportPeer {
  peerId: string;
  name: string;
  self: boolean;
  chunks: number;
  computeMs: number;
  /** The kernel's cost units of its accepted chunks (multiply-adds, pair·iteration·blocks, …). */
  costDone: number;
  /** Work units it computed (GFLOP, hashes, …: `costDone` in the job's throughput unit). */
  work?: number;
  /** `work` per second of its compute time, in `RunReport.throughput.unit` (once it computed). */
  throughput?: number;
  /** Input data it fetched for its accepted chunks (its own count), in bytes. */
  inputBytes: number;
  /** Result bytes received from it, as they crossed the wire. */
  resultBytes: number;
  /** inputBytes + resultBytes. */
  bytesMoved: number;
  stealsGiven: number;
  stealsTaken: number;
  chunksReassigned: number;
  failures: number;
  duplicates: number;
  /** Result verification: its results checked by another peer, and how many agreed. */
  checked: number;
  agreed: number;
  /** Caught returning a wrong result (and removed from the job). */
  caught: boolean;
}

/** report.json. */
export interface RunReport {
  job: string;
  jobId: string;
  /** The job's settings (what the flags said). */
  params: unknown;
  status: ControllerSnapshot['status'];
  failure?: string;
  wallMs: number;
  chunks: { total: number; done: number; duplicates: number };
  /** Work done over the wall time, e.g. GFLOP/s (jobs with a throughput unit). */
  throughput?: { unit: string; value: number };
  /** Bytes moved between the controller and the peers, summed over the peers. */
  bytes: { input: number; result: number; total: number };
  peers: ReportPeer[];
  /**
   * Result verification (`--verify`): the fraction asked for, chunks checked, extra runs
   * (replicas, recomputes), overhead = extra runs / total chunks, and the peers caught
   * (their names).
   */
  verification: VerificationStats;
  files: string[];
}

export function buildReport(
  args: { job: string; settings: unknown; rate?: RunJobSpec['rate'] },
  job: ControllerJob,
  snapshot: ControllerSnapshot,
  names: Map<string, string>,
  selfId: string,
  files: string[],
): RunReport {
  const wallMs = (job.endedAt ?? performance.now()) - job.startedAt;
  const perUnit = args.rate?.perCost(job.params);
  const peers: ReportPeer[] = snapshot.peers.map((stats) => {
    const work = perUnit ? stats.costDone / perUnit : undefined;
    // The rate uses the reported (whole) milliseconds, so the report's figures agree.
    const computeMs = Math.round(stats.computeMs);
    return {
      peerId: stats.peerId,
      name: names.get(stats.peerId) ?? stats.peerId,
      self: stats.peerId === selfId,
      chunks: stats.chunksComputed,
      computeMs,
      costDone: stats.costDone,
      ...(work !== undefined
        ? { work, ...(computeMs > 0 ? { throughput: work / (computeMs / 1000) } : {}) }
        : {}),
      inputBytes: stats.inputBytes,
      resultBytes: stats.resultBytes,
      bytesMoved: stats.inputBytes + stats.resultBytes,
      stealsGiven: stats.stealsGiven,
      stealsTaken: stats.stealsTaken,
      chunksReassigned: stats.reassignedAway,
      failures: stats.failures,
      duplicates: stats.duplicates,
      checked: stats.checked,
      agreed: stats.agreed,
      caught: stats.caught,
    };
  });
  const input = peers.reduce((sum, peer) => sum + peer.inputBytes, 0);
  const result = peers.reduce((sum, peer) => sum + peer.resultBytes, 0);
  return {
    job: args.job,
    jobId: job.jobId,
    params: args.settings,
    status: snapshot.status,
    ...(job.failure ? { failure: job.failure } : {}),
    wallMs: Math.round(wallMs),
    chunks: { total: snapshot.total, done: snapshot.done, duplicates: snapshot.duplicates },
    ...(args.rate && perUnit && wallMs > 0
      ? { throughput: { unit: args.rate.unit, value: job.doneCost / perUnit / (wallMs / 1000) } }
      : {}),
    bytes: { input, result, total: input + result },
    peers,
    verification: {
      ...snapshot.verification,
      caught: snapshot.verification.caught.map((peerId) => names.get(peerId) ?? peerId),
    },
    files: [...files, 'report.json'],
  };
}

/** A rate with 3 significant digits or so: 0.123, 4.56, 78.9, 1234. */
export function formatRate(value: number): string {
  return value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : value >= 1 ? 2 : 3);
}

/** Bytes in kB, MB or GB (powers of 1000). */
export function formatBytes(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

/** The lines printed when the job ends. */
export function formatSummary(report: RunReport, dir: string): string {
  const unit = report.throughput?.unit;
  const header = [
    `${report.status === 'done' ? 'Done' : `Job ${report.status}`}${report.failure ? ` (${report.failure})` : ''} in ${(report.wallMs / 1000).toFixed(2)} s: ${report.chunks.done}/${report.chunks.total} chunks`,
    ...(report.throughput ? [`${formatRate(report.throughput.value)} ${unit}`] : []),
    `${formatBytes(report.bytes.total)} moved`,
  ].join(', ');
  const rows = report.peers.map((peer) =>
    [
      `  ${(peer.name + (peer.self ? ' (this)' : '')).padEnd(20)} ${String(peer.chunks).padStart(6)} chunks ${String(peer.computeMs).padStart(8)} ms compute`,
      ...(unit
        ? [
            `${(peer.throughput === undefined ? '-' : formatRate(peer.throughput)).padStart(7)} ${unit} computing`,
          ]
        : []),
      `${formatBytes(peer.bytesMoved)} moved (${formatBytes(peer.inputBytes)} input, ${formatBytes(peer.resultBytes)} results)`,
      `steals ${peer.stealsGiven}/${peer.stealsTaken} given/taken`,
      `${peer.chunksReassigned} reassigned`,
      ...(report.verification.fraction > 0 ? [`${peer.agreed}/${peer.checked} checks agreed`] : []),
      ...(peer.caught ? ['CAUGHT returning wrong results'] : []),
    ].join('  '),
  );
  const v = report.verification;
  const verification =
    v.fraction > 0
      ? [
          `Verification: ${v.checkedChunks} chunks checked, overhead ${(v.overhead * 100).toFixed(1)}%` +
            (v.caught.length > 0 ? `, caught: ${v.caught.join(', ')}` : ', no peer caught'),
        ]
      : [];
  return [
    header,
    ...rows,
    ...verification,
    `Wrote ${report.files.map((file) => join(dir, file)).join(', ')}`,
  ].join('\n');
}
