/**
 * What <pd-job-progress> shows of a ControllerJob: its snapshot, with chunk costs turned into
 * the kernel's own units (pixels, FLOP, hashes) by the panel that runs it.
 */
import type { ControllerJob } from '../jobs/controller-job.ts';
import type { JobView, Throughput } from './job-progress.ts';

export interface JobViewOptions {
  /** A peer's display name. */
  names: (peerId: string) => string;
  /** Overall throughput figures. */
  throughput: Throughput[];
  /** A per-peer rate column: its unit, and units per cost unit of a chunk (`meta.cost`). */
  peerRate?: { unit: string; perCost: number };
  /** Show the bytes each peer moved. */
  showBytes?: boolean;
  /** Chunks restored from a checkpoint in this run (a resumed job). */
  restoredChunks?: number;
}

/** The progress panel's view of `job` as it stands now. */
export function jobView(job: ControllerJob, options: JobViewOptions): JobView {
  const snapshot = job.snapshot();
  const perCost = options.peerRate?.perCost ?? 0;
  return {
    jobId: job.jobId,
    state: snapshot.status,
    totalChunks: snapshot.total,
    doneChunks: snapshot.done,
    restoredChunks: options.restoredChunks ?? 0,
    elapsedMs: (job.endedAt ?? performance.now()) - job.startedAt,
    inFlight: job.inFlight(),
    throughput: options.throughput,
    ...(options.peerRate ? { peerRate: options.peerRate.unit } : {}),
    ...(options.showBytes ? { showBytes: true } : {}),
    peers: snapshot.peers.map((p) => ({
      peerId: p.peerId,
      name: options.names(p.peerId),
      chunks: p.chunksComputed,
      computeMs: p.computeMs,
      stealsGiven: p.stealsGiven,
      stealsTaken: p.stealsTaken,
      reassigned: p.reassignedAway,
      units: p.costDone * perCost,
      bytesMoved: p.inputBytes + p.resultBytes,
      checked: p.checked,
      agreed: p.agreed,
      caught: p.caught,
    })),
    ...(snapshot.verification.fraction > 0
      ? {
          verification: {
            overhead: snapshot.verification.overhead,
            checkedChunks: snapshot.verification.checkedChunks,
            caught: snapshot.verification.caught.length,
          },
        }
      : {}),
    ...(job.failure ? { message: job.failure } : {}),
  };
}
