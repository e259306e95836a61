/**
 * <pd-pbkdf2-panel .jobs=${roomJobs}>: derive PBKDF2-HMAC-SHA256 keys of a list of (password,
 * salt) pairs with the room. This tab becomes the job's controller; the progress panel shows
 * hashes/s overall and per peer; when done, the first rows show here and the results download
 * as CSV or JSONL (hex keys, input order). A reload offers to resume (the submitted text is
 * kept in IndexedDB and parsed again).
 */
import { LitElement, css, html } from 'lit';
import pbkdf2WasmUrl from '../../kernels/pbkdf2/build/pbkdf2.wasm?url';
import { blockCount, type Pbkdf2Params } from '../../kernels/pbkdf2/meta.ts';
import {
  formatResults,
  parsePairs,
  toHex,
  type Pair,
  type PairsFormat,
} from '../../kernels/pbkdf2/pairs.ts';
import type { ControllerJob } from '../jobs/controller-job.ts';
import type { RoomJobs } from '../jobs/room-jobs.ts';
import type { JobData } from '../store/job-data.ts';
import './job-progress.ts';
import { JobRunner } from './job-runner.ts';
import { jobView } from './job-view.ts';
import './pbkdf2-form.ts';
import type { Pbkdf2Request } from './pbkdf2-form.ts';
import { saveFile } from './save-file.ts';
import { sharedStyles } from './styles.ts';
import { toggle } from './panel-controls.ts';

/** Rows of results shown in the page. */
const PREVIEW_ROWS = 10;
/** Characters of a password or salt shown in a row (the whole text is in its tooltip). */
const PREVIEW_CHARS = 48;

/** A password or salt as a row shows it: clipped, and visibly empty when empty. */
function previewCell(text: string) {
  if (text === '') return html`<td class="muted">(empty)</td>`;
  const chars = [...text];
  const clipped =
    chars.length > PREVIEW_CHARS ? `${chars.slice(0, PREVIEW_CHARS).join('')}…` : text;
  return html`<td title=${text}>${clipped}</td>`;
}

const MIME: Record<PairsFormat, string> = { csv: 'text/csv', jsonl: 'application/x-ndjson' };

/** The pairs of a resumed job from the text IndexedDB kept; throws when that does not fit. */
function pairsFromSaved(params: Pbkdf2Params, saved: JobData | undefined) {
  if (saved?.kind !== 'pairs') {
    throw new Error('its password list is no longer in this browser’s storage');
  }
  const parsed = parsePairs(saved.text, saved.format);
  if (parsed.pairs.length !== params.count) throw new Error('its saved list does not match it');
  return parsed;
}

export class Pbkdf2Panel extends LitElement {
  static override properties = {
    jobs: { attribute: false },
    localCores: { type: Number },
    names: { attribute: false },
    computeHere: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      table {
        width: 100%;
        border-collapse: collapse;
        font-size: 0.88em;
        table-layout: fixed;
      }
      th,
      td {
        text-align: left;
        padding: 0.3rem 0.4rem;
        border-bottom: 1px solid var(--pd-border);
        overflow-wrap: anywhere;
      }
      td.hash {
        font-family: ui-monospace, monospace;
        width: 50%;
      }
    `,
  ];

  declare jobs: RoomJobs | undefined;
  declare localCores: number;
  declare names: (peerId: string) => string;
  declare computeHere: boolean;
  /** The pairs of the current job, in input order, and the format they were read in. */
  private input: { pairs: Pair[]; format: PairsFormat } | undefined;
  private readonly runner = new JobRunner(this, { name: 'pbkdf2', wasmUrl: pbkdf2WasmUrl });

  constructor() {
    super();
    this.localCores = 1;
    this.names = (id) => id;
    this.computeHere = true;
  }

  override render() {
    const { job, error, busy } = this.runner;
    const done = job?.snapshot().status === 'done';
    return html`<section class="card">
      <h2>PBKDF2-HMAC-SHA256</h2>
      <pd-pbkdf2-form
        .busy=${busy || !this.jobs}
        @run=${(e: CustomEvent<Pbkdf2Request>) => this.run(e.detail)}
      ></pd-pbkdf2-form>
      <div class="bar">
        ${toggle('This tab computes too', this.computeHere, (on) => (this.computeHere = on))}
        ${this.runner.controls('key derivation', this.resume)}
        ${
          done
            ? html`<button @click=${() => this.download('csv')}>Download CSV</button
                ><button @click=${() => this.download('jsonl')}>Download JSONL</button>`
            : ''
        }
      </div>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      ${job ? html`<p class="muted">${this.describe(job.params as Pbkdf2Params)}</p>` : ''}
      ${job ? html`<pd-job-progress .job=${this.view(job)} @cancel=${() => job.cancel()}></pd-job-progress>` : ''}
      ${done && job ? this.renderPreview(job) : ''}
    </section>`;
  }

  private describe(params: Pbkdf2Params): string {
    const pairs = params.count === 1 ? '1 pair' : `${params.count.toLocaleString('en')} pairs`;
    return `${pairs}, ${params.iterations.toLocaleString('en')} iterations, ${params.keyLength}-byte keys`;
  }

  private renderPreview(job: ControllerJob) {
    const pairs = this.input?.pairs ?? [];
    const { keyLength } = job.params as Pbkdf2Params;
    const keys = job.output as Uint8Array;
    const shown = pairs.slice(0, PREVIEW_ROWS);
    return html`<h3>
        First ${shown.length === pairs.length ? '' : `${shown.length} of ${pairs.length} `}results
      </h3>
      <table aria-label="First results">
        <thead>
          <tr>
            <th>Password</th>
            <th>Salt</th>
            <th>Key (hex)</th>
          </tr>
        </thead>
        <tbody>
          ${shown.map(
            (pair, i) =>
              html`<tr data-index=${i}>
                ${previewCell(pair.password)} ${previewCell(pair.salt)}
                <td class="hash">${toHex(keys.subarray(i * keyLength, (i + 1) * keyLength))}</td>
              </tr>`,
          )}
        </tbody>
      </table>`;
  }

  private async run(request: Pbkdf2Request): Promise<void> {
    const jobs = this.jobs;
    if (!jobs) return;
    this.input = { pairs: request.pairs, format: request.format };
    await this.runner.start(jobs, {
      params: request.params,
      localCores: this.coresHere(),
      data: { pairs: request.pairs },
      saved: { kind: 'pairs', format: request.format, text: request.text },
    });
  }

  private async resume(): Promise<void> {
    const jobs = this.jobs;
    if (!jobs) return;
    await this.runner.resume(jobs, this.coresHere(), async (params, saved) => {
      this.input = pairsFromSaved(params as Pbkdf2Params, saved);
      return { data: { pairs: this.input.pairs } };
    });
  }

  /** Workers this tab gives its own job. */
  private coresHere(): number {
    return this.computeHere ? Math.max(1, this.localCores) : 0;
  }

  private view(job: ControllerJob) {
    const { iterations, keyLength } = job.params as Pbkdf2Params;
    // A chunk's cost is pairs × iterations × blocks: one unit is one HMAC iteration of a block.
    const hashesPerCost = 1 / (iterations * blockCount(keyLength));
    const { restored } = this.runner;
    const doneCost = job.doneCost - restored.cost;
    return jobView(job, {
      names: this.names,
      throughput: [
        { unit: 'hashes/s', done: doneCost * hashesPerCost },
        { unit: 'iter/s', done: doneCost },
      ],
      peerRate: { unit: 'hashes/s', perCost: hashesPerCost },
      showBytes: true,
      restoredChunks: restored.chunks,
    });
  }

  private download(format: PairsFormat): void {
    const job = this.runner.job;
    const pairs = this.input?.pairs;
    if (!job || !pairs) return;
    const { keyLength } = job.params as Pbkdf2Params;
    const text = formatResults(pairs, job.output as Uint8Array, keyLength, format);
    saveFile(new Blob([text], { type: MIME[format] }), `pbkdf2-results.${format}`);
  }
}

customElements.define('pd-pbkdf2-panel', Pbkdf2Panel);

declare global {
  interface HTMLElementTagNameMap {
    'pd-pbkdf2-panel': Pbkdf2Panel;
  }
}
