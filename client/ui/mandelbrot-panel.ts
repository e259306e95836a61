/**
 * <pd-mandelbrot-panel .jobs=${roomJobs}>: render the Mandelbrot set with the room. This tab
 * becomes the job's controller; the canvas fills tile by tile, the progress panel shows who
 * did what, a reload offers to resume, and the result downloads as PNG or raw counts.
 */
import { LitElement, css, html } from 'lit';
import mandelbrotWasmUrl from '../../kernels/mandelbrot/build/mandelbrot.wasm?url';
import {
  countsToRgba,
  encodeU32LE,
  type MandelbrotOutput,
  type MandelbrotParams,
  type MandelbrotTile,
} from '../../kernels/mandelbrot/meta.ts';
import type { ControllerJob } from '../jobs/controller-job.ts';
import type { RoomJobs } from '../jobs/room-jobs.ts';
import { createJobStore, restoreJob, resumableJobs } from '../store/checkpoints.ts';
import { deleteJob, openProcessDistroDB, type JobRecord } from '../store/db.ts';
import type { JobView } from './job-progress.ts';
import './job-progress.ts';
import { jobView } from './job-view.ts';
import './mandelbrot-form.ts';
import type { MandelbrotRequest } from './mandelbrot-form.ts';
import { saveFile } from './save-file.ts';
import { sharedStyles } from './styles.ts';
import { resumeButtons, toggle, verifyChoice } from './panel-controls.ts';
import './tile-canvas.ts';
import type { PixelRect, TileCanvas } from './tile-canvas.ts';

export class MandelbrotPanel extends LitElement {
  static override properties = {
    jobs: { attribute: false },
    localCores: { type: Number },
    names: { attribute: false },
    job: { state: true },
    tint: { state: true },
    computeHere: { state: true },
    verify: { state: true },
    resumable: { state: true },
    error: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      pd-tile-canvas {
        margin: 0.6rem 0;
      }
    `,
  ];

  declare jobs: RoomJobs | undefined;
  declare localCores: number;
  declare names: (peerId: string) => string;
  declare job: ControllerJob | undefined;
  declare tint: boolean;
  declare computeHere: boolean;
  /** Result verification of the next render: the fraction of chunks checked (0: off). */
  declare verify: number;
  declare resumable: JobRecord | undefined;
  declare error: string;
  private offJob: Array<() => void> = [];
  private updateTimer: ReturnType<typeof setTimeout> | undefined;
  /** Iterations computed in the current job: the sum of its merged counts. */
  private iterations = 0;

  constructor() {
    super();
    this.localCores = 1;
    this.names = (id) => id;
    this.tint = false;
    this.computeHere = true;
    this.verify = 0;
    this.error = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.findResumable();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.offJob.forEach((off) => off());
    this.offJob = [];
  }

  protected override willUpdate(changed: Map<string, unknown>): void {
    // For the tab bar (<pd-job-tabs>), which marks a panel with a job to resume.
    if (changed.has('resumable')) {
      const detail = this.resumable !== undefined;
      this.dispatchEvent(new CustomEvent('resumable-change', { detail, bubbles: true }));
    }
  }

  private get canvas(): TileCanvas {
    return this.renderRoot.querySelector('pd-tile-canvas')!;
  }

  override render() {
    const job = this.job;
    const running = job?.snapshot().status === 'running';
    return html`<section class="card">
      <h2>Mandelbrot</h2>
      <pd-mandelbrot-form
        .busy=${running || !this.jobs}
        @render=${(e: CustomEvent<MandelbrotRequest>) => this.run(e.detail)}
      ></pd-mandelbrot-form>
      <div class="bar">
        ${toggle('This tab computes too', this.computeHere, (on) => (this.computeHere = on))}
        ${toggle('Tint tiles by peer', this.tint, (on) => (this.tint = on))}
        ${verifyChoice(this.verify, (fraction) => (this.verify = fraction))}
        ${this.resumable && !running ? resumeButtons('render', this.resumable, this.resume) : ''}
        ${
          job && !running
            ? html`<button @click=${this.downloadPng}>Download PNG</button
                ><button @click=${this.downloadCounts}>Download counts (.u32)</button>`
            : ''
        }
      </div>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ''}
      <pd-tile-canvas
        ?hidden=${!job}
        .tint=${this.tint}
        @zoom=${(e: CustomEvent<PixelRect>) => this.zoom(e.detail)}
      ></pd-tile-canvas>
      ${job ? html`<pd-job-progress .job=${this.view(job)} @cancel=${() => job.cancel()}></pd-job-progress>` : ''}
      ${job ? html`<p class="muted">Drag across the image to zoom into a region.</p>` : ''}
    </section>`;
  }

  private async findResumable(): Promise<void> {
    try {
      this.resumable = (await resumableJobs(await openProcessDistroDB())).find(
        (j) => j.kind === 'mandelbrot',
      );
    } catch {
      this.resumable = undefined; // no IndexedDB (private mode): nothing to resume
    }
  }

  private async resume(): Promise<void> {
    const record = this.resumable;
    if (!record) return;
    const restored = await restoreJob(await openProcessDistroDB(), record.jobId);
    this.resumable = undefined;
    if (restored) await this.run(restored.spec.params as MandelbrotRequest, record.jobId, restored);
  }

  private async run(
    request: MandelbrotRequest,
    jobId?: string,
    restored?: Awaited<ReturnType<typeof restoreJob>>,
  ): Promise<void> {
    const jobs = this.jobs;
    if (!jobs) return;
    this.error = '';
    try {
      const bytes = new Uint8Array(await (await fetch(mandelbrotWasmUrl)).arrayBuffer());
      const localCores = this.computeHere ? Math.max(1, this.localCores) : 0;
      await this.canvas.reset(request.width, request.height);
      const id = jobId ?? `m${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
      const db = await openProcessDistroDB().catch(() => undefined);
      const store = db
        ? await createJobStore(
            db,
            id,
            { kernel: 'mandelbrot', params: request, localCores },
            restored?.record,
          )
        : undefined;
      this.offJob.forEach((off) => off());
      const started = jobs.on('job-started', (job) => job.jobId === id && this.watch(job));
      try {
        await jobs.submit({ name: 'mandelbrot', bytes }, request, {
          jobId: id,
          localCores,
          ...(this.verify > 0 ? { verify: this.verify } : {}),
          ...(store ? { store } : {}),
          ...(restored ? { restore: restored.restore } : {}),
        });
      } finally {
        started();
      }
    } catch (err) {
      this.error = `Could not start the render: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  /** Subscribes to a job before it starts, so restored tiles are painted too. */
  private watch(job: ControllerJob): void {
    this.job = job;
    this.iterations = 0;
    const params = job.params as MandelbrotParams;
    const output = job.output as MandelbrotOutput;
    // Elapsed time and ETA move even while no result arrives.
    const clock = setInterval(() => this.requestUpdate(), 1000);
    this.offJob = [
      job.on('accepted', ({ chunk, peerId }) =>
        this.paint(output, params, chunk as MandelbrotTile, peerId),
      ),
      job.on('progress', () => this.throttledUpdate()),
      job.on('ended', () => {
        clearInterval(clock);
        this.canvas.flush(); // every tile on the canvas before "Download PNG" appears
        this.requestUpdate();
        // Its final checkpoint is on disk; an ended job is never resumed, so it goes (the
        // image stays in the page): else every render would keep its counts in IndexedDB.
        void openProcessDistroDB()
          .then((db) => deleteJob(db, job.jobId))
          .catch(() => {});
      }),
      () => clearInterval(clock),
    ];
  }

  /**
   * Progress re-renders at most ten times a second: results arrive hundreds of times a second,
   * and this tab's main thread is also the job's controller (tiles are painted at once).
   */
  private throttledUpdate(): void {
    this.updateTimer ??= setTimeout(() => {
      this.updateTimer = undefined;
      this.requestUpdate();
    }, 100);
  }

  private paint(
    output: MandelbrotOutput,
    params: MandelbrotParams,
    tile: MandelbrotTile,
    peerId: string,
  ): void {
    const counts = new Uint32Array(tile.w * tile.h);
    for (let row = 0; row < tile.h; row++) {
      const start = (tile.y + row) * output.width + tile.x;
      counts.set(output.counts.subarray(start, start + tile.w), row * tile.w);
    }
    for (let i = 0; i < counts.length; i++) this.iterations += counts[i]!;
    this.canvas.paintTile(
      tile,
      countsToRgba(counts, params.maxIter) as Uint8ClampedArray<ArrayBuffer>,
      peerId,
    );
  }

  private view(job: ControllerJob): JobView {
    const params = job.params as MandelbrotParams;
    return jobView(job, {
      names: this.names,
      throughput: [
        { unit: 'px/s', done: job.doneCost / params.maxIter },
        { unit: 'iter/s', done: this.iterations },
      ],
    });
  }

  private zoom(rect: PixelRect): void {
    const job = this.job;
    if (!job) return;
    const p = job.params as MandelbrotParams;
    const cx = p.cx + (rect.x + rect.w / 2 - p.width / 2) * p.scale;
    const cy = p.cy - (rect.y + rect.h / 2 - p.height / 2) * p.scale;
    void this.run({ ...p, cx, cy, scale: (p.scale * rect.w) / p.width });
  }

  private downloadPng(): void {
    this.canvas.image.toBlob((blob) => blob && saveFile(blob, 'mandelbrot.png'), 'image/png');
  }

  private downloadCounts(): void {
    const output = this.job?.output as MandelbrotOutput | undefined;
    if (output)
      saveFile(new Blob([encodeU32LE(output.counts) as Uint8Array<ArrayBuffer>]), 'mandelbrot.u32');
  }
}

customElements.define('pd-mandelbrot-panel', MandelbrotPanel);

declare global {
  interface HTMLElementTagNameMap {
    'pd-mandelbrot-panel': MandelbrotPanel;
  }
}
