/**
 * A panel's jobs of one kernel, as a Lit reactive controller: starting one (this tab becomes
 * its controller) with its input data saved to IndexedDB first, watching it (throttled
 * re-renders, a clock for elapsed time and ETA), offering to resume one that a reload
 * interrupted, and forgetting a job once it has ended. The panel supplies the parameters, the
 * data, and what the output means.
 */
import { html, type ReactiveController, type ReactiveControllerHost } from 'lit';
import type { ControllerJob } from '../jobs/controller-job.ts';
import type { RoomJobs } from '../jobs/room-jobs.ts';
import { resumeButtons, verifyChoice } from './panel-controls.ts';
import { createJobStore, restoreJob, resumableJobs } from '../store/checkpoints.ts';
import {
  deleteJob,
  getJobData,
  openProcessDistroDB,
  putJobData,
  type JobData,
  type JobRecord,
  type ProcessDistroDB,
} from '../store/db.ts';

/** A job as a panel asks for it. */
export interface JobRequest {
  /** The kernel's parameters (validated by its meta). */
  params: unknown;
  /** Workers this tab computes the job with (0: none). */
  localCores: number;
  /** The job's input data, for kernels that take some (`meta.blobs`). */
  data?: unknown;
  /** What IndexedDB keeps to rebuild `data` after a reload. */
  saved?: JobData;
}

/** What a panel rebuilds, for a resumed job, from its parameters and saved data. */
export type Rebuild = (
  params: unknown,
  saved: JobData | undefined,
) => Promise<Pick<JobRequest, 'data'>>;

type Restored = NonNullable<Awaited<ReturnType<typeof restoreJob>>>;

/** Milliseconds between progress re-renders at most (results arrive hundreds of times a second). */
const UPDATE_INTERVAL_MS = 100;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class JobRunner implements ReactiveController {
  /** The job this panel runs or ran last. */
  job: ControllerJob | undefined;
  /** The newest job of this kernel a reload interrupted, offered for resumption. */
  resumable: JobRecord | undefined;
  error = '';
  /** Chunks (and their cost) of the current job that came back from a checkpoint. */
  restored = { chunks: 0, cost: 0 };
  /** Result verification for the next job started or resumed: the fraction checked (0: off). */
  verify = 0;
  private offJob: Array<() => void> = [];
  private updateTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly kernel: {
      /** The kernel's registry name; also the `kind` of its job records. */
      name: string;
      /** The built kernel (a `?url` import). */
      wasmUrl: string;
    },
    /** Called with each job this runner starts, before it merges checkpointed results. */
    private readonly onJob: (job: ControllerJob) => void = () => {},
  ) {
    host.addController(this);
  }

  /** True while a job is being started (its data published): not yet running. */
  starting = false;

  /** True while the current job runs. */
  get running(): boolean {
    return this.job?.snapshot().status === 'running';
  }

  /** True while a job starts or runs: the panel takes no second one. */
  get busy(): boolean {
    return this.starting || this.running;
  }

  hostConnected(): void {
    void this.findResumable();
  }

  hostDisconnected(): void {
    this.unwatch();
  }

  /**
   * Starts a job, or resumes one (`resume`). `prepare` may be a function that reads or
   * generates the data (the panel counts as busy meanwhile). Failures land in `error`; a new
   * job that could not start leaves nothing behind in IndexedDB.
   */
  async start(
    jobs: RoomJobs,
    prepare: JobRequest | (() => Promise<JobRequest>),
    resume?: { jobId: string; restored: Restored },
  ): Promise<ControllerJob | undefined> {
    this.starting = true;
    this.setError('');
    const { name } = this.kernel;
    const jobId =
      resume?.jobId ??
      `${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const db = await openProcessDistroDB().catch(() => undefined); // none in private mode
    try {
      const request = typeof prepare === 'function' ? await prepare() : prepare;
      const bytes = new Uint8Array(await (await fetch(this.kernel.wasmUrl)).arrayBuffer());
      // The data before the job's record: a job on record can always be resumed.
      if (db && request.saved && !resume) await putJobData(db, { jobId, data: request.saved });
      const spec = { kernel: name, params: request.params, localCores: request.localCores };
      const store = db && (await createJobStore(db, jobId, spec, resume?.restored.record));
      const started = jobs.on('job-started', (job) => job.jobId === jobId && this.watch(job, db));
      try {
        return await jobs.submit({ name, bytes }, request.params, {
          jobId,
          localCores: request.localCores,
          ...(this.verify > 0 ? { verify: this.verify } : {}),
          ...(request.data === undefined ? {} : { data: request.data }),
          ...(store ? { store } : {}),
          ...(resume ? { restore: resume.restored.restore } : {}),
        });
      } finally {
        started();
      }
    } catch (err) {
      if (db && !resume) await deleteJob(db, jobId).catch(() => {});
      this.setError(`Could not start the job: ${messageOf(err)}`);
      return undefined;
    } finally {
      this.starting = false;
      this.host.requestUpdate();
    }
  }

  /** Resumes the offered job: its checkpoint, and its data rebuilt by `rebuild`. */
  async resume(jobs: RoomJobs, localCores: number, rebuild: Rebuild): Promise<void> {
    const record = this.resumable;
    if (!record || this.busy) return;
    this.starting = true;
    this.host.requestUpdate();
    try {
      const db = await openProcessDistroDB();
      const restored = await restoreJob(db, record.jobId);
      if (!restored) throw new Error('its checkpoint is gone');
      const params = restored.spec.params;
      const { data } = await rebuild(params, await getJobData(db, record.jobId));
      this.setResumable(undefined);
      const resumed = { jobId: record.jobId, restored };
      // A resume that failed to start (its error is shown) stays on offer.
      if (!(await this.start(jobs, { params, localCores, data }, resumed))) {
        await this.findResumable();
      }
    } catch (err) {
      this.setError(`Could not resume the job: ${messageOf(err)}`);
    } finally {
      this.starting = false;
      this.host.requestUpdate();
    }
  }

  /**
   * The panel's bar controls of this runner: Verify results, and Resume / Discard of the
   * interrupted job on offer (`what` names it: "Resume unfinished <what>").
   */
  controls(what: string, resume: () => void) {
    const offered = this.resumable && !this.busy ? this.resumable : undefined;
    return html`${verifyChoice(this.verify, (fraction) => {
      this.verify = fraction;
      this.host.requestUpdate();
    })}
    ${offered ? resumeButtons(what, offered, resume, () => this.discard()) : ''}`;
  }

  /** Forgets the offered job (its checkpoint and data), then offers the next one, if any. */
  async discard(): Promise<void> {
    const record = this.resumable;
    if (!record) return;
    this.setResumable(undefined);
    try {
      await deleteJob(await openProcessDistroDB(), record.jobId);
    } finally {
      await this.findResumable();
    }
  }

  private async findResumable(): Promise<void> {
    try {
      const db = await openProcessDistroDB();
      const mine = (await resumableJobs(db)).filter((j) => j.kind === this.kernel.name);
      this.setResumable(mine.find((j) => j.jobId !== this.job?.jobId));
    } catch {
      this.setResumable(undefined); // no IndexedDB (private mode): nothing to resume
    }
  }

  private setResumable(record: JobRecord | undefined): void {
    this.resumable = record;
    this.host.dispatchEvent(
      new CustomEvent('resumable-change', { detail: record !== undefined, bubbles: true }),
    );
    this.host.requestUpdate();
  }

  /** Shows `error` in the panel ('' clears it). */
  setError(error: string): void {
    this.error = error;
    this.host.requestUpdate();
  }

  /** Subscribes to a job before it starts, so restored results are seen too. */
  private watch(job: ControllerJob, db: ProcessDistroDB | undefined): void {
    this.unwatch();
    this.job = job;
    this.restored = { chunks: 0, cost: 0 };
    // Elapsed time and ETA move even while no result arrives.
    const clock = setInterval(() => this.host.requestUpdate(), 1000);
    this.offJob = [
      job.on('accepted', ({ chunk, restored }) => {
        if (!restored) return;
        this.restored.chunks++;
        this.restored.cost += job.meta.cost(job.params, chunk);
      }),
      job.on('progress', () => this.throttledUpdate()),
      job.on('ended', () => {
        clearInterval(clock);
        // Its final checkpoint is on disk; an ended job is never resumed, so it goes (and an
        // older interrupted job, if any, is offered now).
        if (db) {
          void deleteJob(db, job.jobId)
            .catch(() => {})
            .then(() => this.findResumable());
        }
        this.host.requestUpdate();
      }),
      () => clearInterval(clock),
    ];
    this.onJob(job);
  }

  private unwatch(): void {
    this.offJob.forEach((off) => off());
    this.offJob = [];
  }

  private throttledUpdate(): void {
    this.updateTimer ??= setTimeout(() => {
      this.updateTimer = undefined;
      this.host.requestUpdate();
    }, UPDATE_INTERVAL_MS);
  }
}
