/**
 * Checkpoints of a controller's jobs in IndexedDB: the controller core decides when (in
 * batches); this writes each batch's results and the job's state in one transaction each,
 * and reads a job back so that a reloaded tab resumes where it stood.
 */
import type { ControllerJobConfig, JobStore } from '../jobs/controller-job.ts';
import {
  getJob,
  getJobs,
  getResults,
  putJob,
  putResults,
  type JobRecord,
  type ProcessDistroDB,
} from './db.ts';

/** What a job record's `spec` holds: enough to rebuild the controller. */
export interface JobSpec {
  kernel: string;
  params: unknown;
  localCores: number;
  epoch: number;
  peers: string[];
}

/** Creates the job's record and returns the store its controller checkpoints into. */
export async function createJobStore(
  db: ProcessDistroDB,
  jobId: string,
  spec: Omit<JobSpec, 'epoch' | 'peers'>,
  restored?: JobRecord,
): Promise<JobStore> {
  const now = Date.now();
  let record: JobRecord = restored ?? {
    jobId,
    kind: spec.kernel,
    spec: { ...spec, epoch: 0, peers: [] } satisfies JobSpec,
    state: 'running',
    createdAt: now,
    updatedAt: now,
    totalChunks: 0, // known to the controller: its checkpoints fill it in
    doneChunks: 0,
  };
  await putJob(db, record);
  return {
    async checkpoint(results, state) {
      if (results.length > 0) {
        await putResults(
          db,
          results.map((r) => ({
            jobId,
            chunkId: r.chunkId,
            peerId: r.peerId,
            bytes: r.bytes.slice().buffer,
            acceptedAt: Date.now(),
          })),
        );
      }
      record = {
        ...record,
        spec: { ...(record.spec as JobSpec), epoch: state.epoch, peers: state.peers },
        state:
          state.status === 'running' ? 'running' : state.status === 'done' ? 'done' : 'cancelled',
        doneChunks: state.done,
        totalChunks: state.total,
        updatedAt: Date.now(),
      };
      await putJob(db, record);
    },
  };
}

/** A job as it stood at its last checkpoint, ready to hand to RoomJobs.submit as `restore`. */
export async function restoreJob(
  db: ProcessDistroDB,
  jobId: string,
): Promise<
  | { record: JobRecord; spec: JobSpec; restore: NonNullable<ControllerJobConfig['restore']> }
  | undefined
> {
  const record = await getJob(db, jobId);
  if (!record) return undefined;
  const spec = record.spec as JobSpec;
  const results = (await getResults(db, jobId)).map((r) => ({
    chunkId: r.chunkId,
    peerId: r.peerId,
    bytes: new Uint8Array(r.bytes),
  }));
  return {
    record,
    spec,
    restore: {
      done: results.map((r) => r.chunkId),
      epoch: spec.epoch,
      expectPeers: spec.peers,
      results,
    },
  };
}

/** Jobs that were running when their tab went away, newest first: the ones to offer to resume. */
export async function resumableJobs(db: ProcessDistroDB): Promise<JobRecord[]> {
  const jobs = await getJobs(db);
  return jobs.filter((j) => j.state === 'running').sort((a, b) => b.updatedAt - a.updatedAt);
}
