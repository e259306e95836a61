/**
 * <pd-matmul-panel .jobs=${roomJobs}>: multiply two f64 matrices with the room. This tab
 * becomes the job's controller; the progress panel shows GFLOP/s overall and per peer and the
 * bytes each peer moved; when done, C downloads as raw `.f64` and a few of its elements are
 * recomputed here as a check. A reload offers to resume (the inputs come back from a seed or
 * from the uploaded files kept in IndexedDB).
 */
import { LitElement, css, html } from 'lit';
import matmulWasmUrl from '../../kernels/matmul/build/matmul.wasm?url';
import { encodeF64LE, type MatmulOutput, type MatmulParams } from '../../kernels/matmul/meta.ts';
import type { ControllerJob } from '../jobs/controller-job.ts';
import type { RoomJobs } from '../jobs/room-jobs.ts';
import './job-progress.ts';
import { JobRunner } from './job-runner.ts';
import { jobView } from './job-view.ts';
import { checkProduct, type ProductCheck } from './matmul-check.ts';
import './matmul-form.ts';
import { inputsFromSaved, loadInputs, type MatmulRequest } from './matmul-inputs.ts';
import { saveFile } from './save-file.ts';
import { sharedStyles } from './styles.ts';
import { toggle } from './panel-controls.ts';

/** FLOP per unit of a chunk's cost: the cost counts multiply-adds. */
const FLOP_PER_COST = 2;

export class MatmulPanel extends LitElement {
  static override properties = {
    jobs: { attribute: false },
    localCores: { type: Number },
    names: { attribute: false },
    computeHere: { state: true },
    check: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      .check[data-ok='false'] {
        color: var(--pd-error);
      }
    `,
  ];

  declare jobs: RoomJobs | undefined;
  declare localCores: number;
  declare names: (peerId: string) => string;
  declare computeHere: boolean;
  /** The sampled check of the finished product. */
  declare check: ProductCheck | undefined;
  /** The inputs of the current job, kept for the check. */
  private inputs: { a: Float64Array; b: Float64Array } | undefined;
  private readonly runner = new JobRunner(this, { name: 'matmul', wasmUrl: matmulWasmUrl }, (job) =>
    this.watch(job),
  );

  constructor() {
    super();
    this.localCores = 1;
    this.names = (id) => id;
    this.computeHere = true;
  }

  override render() {
    const { job, error, busy } = this.runner;
    const params = job?.params as MatmulParams | undefined;
    const done = job?.snapshot().status === 'done';
    return html`<section class="card">
      <h2>Matrix multiplication</h2>
      <pd-matmul-form
        .busy=${busy || !this.jobs}
        @run=${(e: CustomEvent<MatmulRequest>) => this.run(e.detail)}
      ></pd-matmul-form>
      <div class="bar">
        ${toggle('This tab computes too', this.computeHere, (on) => (this.computeHere = on))}
        ${this.runner.controls('multiplication', this.resume)}
        ${done ? html`<button @click=${this.download}>Download C (.f64)</button>` : ''}
      </div>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      ${params ? html`<p class="muted">C = A·B: ${params.n} × ${params.k} by ${params.k} × ${params.m}</p>` : ''}
      ${job ? html`<pd-job-progress .job=${this.view(job)} @cancel=${() => job.cancel()}></pd-job-progress>` : ''}
      ${done ? this.renderCheck() : ''}
    </section>`;
  }

  private renderCheck() {
    const check = this.check;
    if (!check) return html`<p class="muted">Checking C…</p>`;
    return html`<p
      class="check"
      data-ok=${String(check.ok)}
      data-samples=${check.samples}
      data-max-error=${check.maxError}
    >
      Check: ${check.samples} elements of C recomputed in this tab as dot products; largest error
      ${check.maxError.toExponential(1)} (relative; absolute where |C| &lt; 1)
      ${check.ok ? '— correct.' : '— WRONG: over the 1e-9 bound.'}
    </p>`;
  }

  private async run(request: MatmulRequest): Promise<void> {
    const jobs = this.jobs;
    if (!jobs) return;
    await this.runner.start(jobs, async () => {
      const inputs = await loadInputs(request);
      this.inputs = inputs;
      return {
        params: request.shape,
        localCores: this.coresHere(),
        data: { a: inputs.a, b: inputs.b },
        saved: inputs.saved,
      };
    });
  }

  private async resume(): Promise<void> {
    const jobs = this.jobs;
    if (!jobs) return;
    await this.runner.resume(jobs, this.coresHere(), async (params, saved) => {
      this.inputs = await inputsFromSaved(params as MatmulParams, saved);
      return { data: this.inputs };
    });
  }

  /** Workers this tab gives its own job. */
  private coresHere(): number {
    return this.computeHere ? Math.max(1, this.localCores) : 0;
  }

  private watch(job: ControllerJob): void {
    this.check = undefined;
    const inputs = this.inputs;
    job.on('ended', (snapshot) => {
      if (snapshot.status !== 'done' || !inputs) return;
      // After this render, so that "Checking C…" shows while the dot products run.
      setTimeout(() => {
        const output = job.output as MatmulOutput;
        this.check = checkProduct(job.params as MatmulParams, inputs.a, inputs.b, output.c);
      });
    });
  }

  private view(job: ControllerJob) {
    const { restored } = this.runner;
    return jobView(job, {
      names: this.names,
      throughput: [{ unit: 'FLOP/s', done: (job.doneCost - restored.cost) * FLOP_PER_COST }],
      peerRate: { unit: 'FLOP/s', perCost: FLOP_PER_COST },
      showBytes: true,
      restoredChunks: restored.chunks,
    });
  }

  private download(): void {
    const output = this.runner.job?.output as MatmulOutput | undefined;
    if (!output) return;
    const bytes = encodeF64LE(output.c) as Uint8Array<ArrayBuffer>;
    saveFile(new Blob([bytes]), `matmul-c-${output.n}x${output.m}.f64`);
  }
}

customElements.define('pd-matmul-panel', MatmulPanel);

declare global {
  interface HTMLElementTagNameMap {
    'pd-matmul-panel': MatmulPanel;
  }
}
