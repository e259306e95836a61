/**
 * Work stealing between peers, the peer's side (as Dask's transactional stealing, but directly
 * between the two peers): an idle peer whose controller has nothing left asks the peer with
 * the longest gossiped queue; the victim grants the older half (the top) of its unstarted
 * chunks — never a running one — and tells the controller the new owner; the thief confirms
 * once the grant arrived. Functions over one job's state that write to an outbox.
 */
import type { JobMessageOf, OutgoingJobMessage } from './job-messages.ts';
import type { PeerJob } from './peer-job.ts';

/** Where the functions below put the messages they send. */
export type Outbox = (to: string, message: OutgoingJobMessage) => void;

/**
 * The peer to rob: the one with the most unstarted chunks by the latest news, among those
 * with an open channel (`heardAt`) heard within `silenceMs`; ties go to the smaller id.
 */
export function pickVictim(
  job: PeerJob,
  heardAt: ReadonlyMap<string, number>,
  now: number,
  silenceMs: number,
): string | undefined {
  let victim: string | undefined;
  let most = 0;
  for (const [peerId, queued] of job.loads) {
    const heard = heardAt.get(peerId);
    if (queued <= 0 || heard === undefined || now - heard > silenceMs) continue;
    if (queued > most || (queued === most && victim !== undefined && peerId < victim)) {
      victim = peerId;
      most = queued;
    }
  }
  return victim;
}

/**
 * Asks a victim for chunks when the job's deque is empty, no steal is pending, and the
 * controller has nothing (it answered with no chunks) or cannot be reached. The caller checks
 * that a worker is free.
 */
export function tryToSteal(
  job: PeerJob,
  out: Outbox,
  heardAt: ReadonlyMap<string, number>,
  now: number,
  silenceMs: number,
): void {
  if (job.steal || job.deque.length > 0) return;
  if (job.controllerUp && job.request !== 'waiting') return;
  const victim = pickVictim(job, heardAt, now, silenceMs);
  if (victim === undefined) return;
  out(victim, { type: 'steal-request', jobId: job.jobId });
  job.steal = { victim, at: now };
}

/** A thief asks: grant the older half of the unstarted chunks and tell the controller. */
export function answerSteal(
  job: PeerJob | undefined,
  jobId: string,
  thief: string,
  out: Outbox,
  now: number,
): void {
  const chunks = job?.takeOlderHalf() ?? [];
  out(thief, { type: 'steal-grant', jobId, chunks, queued: job?.deque.length ?? 0 });
  if (!job || chunks.length === 0) return;
  job.stats.stealsGiven += 1;
  const news = { type: 'owner-changed', jobId, to: thief, chunks: chunks.map(toRef) } as const;
  // While the controller is away the news waits, to go out before our next job-status.
  if (job.controllerUp) out(job.controllerId, news);
  job.noteSteal(news, now, job.controllerUp);
}

/**
 * A grant arrived: its chunks are older than anything queued here, so they go on top. The
 * thief confirms them to the controller: if the victim died before the controller heard this,
 * the controller could not tell whether the grant arrived, and would requeue them.
 */
export function acceptGrant(
  job: PeerJob,
  victim: string,
  grant: JobMessageOf<'steal-grant'>,
  selfId: string,
  out: Outbox,
): void {
  if (job.steal?.victim === victim) job.steal = undefined;
  job.loads.set(victim, grant.queued);
  const fresh = grant.chunks.filter((chunk) => !job.holds(chunk.id));
  if (fresh.length === 0) return;
  job.deque.unshift(...fresh);
  job.stats.stealsTaken += 1;
  if (!job.controllerUp) return;
  out(job.controllerId, {
    type: 'owner-changed',
    jobId: job.jobId,
    to: selfId,
    chunks: fresh.map(toRef),
  });
}

function toRef({ id, moves }: { id: number; moves: number }) {
  return { id, moves };
}
