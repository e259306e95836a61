/**
 * Checkpoints of a controller's job: accepted chunk results are written to IndexedDB in
 * batches (one transaction per batch keeps a fast render from issuing hundreds of small
 * transactions), and a reloaded tab reads them back to resume where it stood.
 */
import {
  getJob,
  getJobs,
  getResults,
  putJob,
  putResults,
  type JobRecord,
  type ProcessDistroDB,
  type ResultRecord,
} from './db.ts';

export interface CheckpointerOptions {
  /** Write once this many results wait. */
  maxBatch?: number;
  /** Write at the latest this long after the first waiting result. */
  maxDelayMs?: number;
}

/** Collects accepted results of one job and writes them in batches with the job's progress. */
export class Checkpointer {
  private pending: ResultRecord[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private doneChunks: number;

  constructor(
    private readonly db: ProcessDistroDB,
    private readonly job: JobRecord,
    private readonly options: CheckpointerOptions = {},
  ) {
    this.doneChunks = job.doneChunks;
  }

  /** Queues an accepted result; it is on disk after the next flush. */
  add(result: ResultRecord): void {
    this.pending.push(result);
    if (this.pending.length >= (this.options.maxBatch ?? 32)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.maxDelayMs ?? 500);
  }

  /** Writes everything queued so far (results first, then the job's progress). */
  flush(state: JobRecord['state'] = 'running'): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.doneChunks += batch.length;
    const doneChunks = this.doneChunks;
    // Batches are written one after another, so progress never goes backwards on disk.
    this.writing = this.writing.then(async () => {
      if (batch.length > 0) await putResults(this.db, batch);
      await putJob(this.db, { ...this.job, state, doneChunks, updatedAt: Date.now() });
    });
    return this.writing;
  }
}

/** A job as it stood at its last checkpoint. */
export interface RestoredJob {
  job: JobRecord;
  results: ResultRecord[];
}

/** Reads a job and its accepted results back; undefined if there is no such job. */
export async function restoreJob(
  db: ProcessDistroDB,
  jobId: string,
): Promise<RestoredJob | undefined> {
  const job = await getJob(db, jobId);
  if (!job) return undefined;
  return { job, results: await getResults(db, jobId) };
}

/** Jobs that were running when their tab went away, newest first: the ones to offer to resume. */
export async function resumableJobs(db: ProcessDistroDB): Promise<JobRecord[]> {
  const jobs = await getJobs(db);
  return jobs.filter((j) => j.state === 'running').sort((a, b) => b.updatedAt - a.updatedAt);
}
