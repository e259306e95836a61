/**
 * <pd-job-progress .job=${view}>: a running job's progress (chunks done of total), its
 * throughput, elapsed time and ETA, and what each peer contributed. Fires `cancel`.
 */
import { LitElement, css, html } from 'lit';
import { sharedStyles } from './styles.ts';
import { peerColour } from './tile-canvas.ts';

/** One peer's share of a job. */
export interface PeerJobStats {
  peerId: string;
  name: string;
  chunks: number;
  computeMs: number;
  stealsGiven: number;
  stealsTaken: number;
  reassigned: number;
}

/** What the progress panel shows; the controller shell produces it. */
export interface JobView {
  jobId: string;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  totalChunks: number;
  doneChunks: number;
  elapsedMs: number;
  /** Pixels (or other output units) finished. */
  doneUnits: number;
  /** Chunks assigned and not done, plus accepted ones not yet checkpointed. */
  inFlight: number;
  /** Kernel iterations finished (for iterations/s). */
  doneIterations: number;
  peers: PeerJobStats[];
  message?: string;
}

function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function formatRate(perSecond: number, unit: string): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return `— ${unit}`;
  const prefixes: Array<[number, string]> = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  const [div, prefix] = prefixes.find(([d]) => perSecond >= d) ?? [1, ''];
  return `${(perSecond / div).toFixed(1)} ${prefix}${unit}`;
}

export class JobProgress extends LitElement {
  static override properties = { job: { attribute: false } };
  static override styles = [
    sharedStyles,
    css`
      progress {
        width: 100%;
        height: 0.9rem;
      }
      .figures {
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem 1.4rem;
        margin: 0.5rem 0 0.8rem;
        font-variant-numeric: tabular-nums;
      }
      table {
        width: 100%;
        border-collapse: collapse;
        font-variant-numeric: tabular-nums;
        font-size: 0.92em;
      }
      th,
      td {
        text-align: right;
        padding: 0.3rem 0.4rem;
        border-bottom: 1px solid var(--pd-border);
      }
      th:first-child,
      td:first-child {
        text-align: left;
      }
      .swatch {
        display: inline-block;
        width: 0.7rem;
        height: 0.7rem;
        border-radius: 3px;
        margin-right: 0.4rem;
      }
    `,
  ];

  declare job: JobView | undefined;

  override render() {
    const job = this.job;
    if (!job) return html``;
    const seconds = job.elapsedMs / 1000;
    const fraction = job.totalChunks ? job.doneChunks / job.totalChunks : 0;
    const eta =
      job.state === 'running' && fraction > 0 ? (job.elapsedMs / fraction) * (1 - fraction) : NaN;
    return html`
      <progress max=${job.totalChunks} .value=${job.doneChunks} aria-label="Chunks done"></progress>
      <div
        class="figures"
        data-state=${job.state}
        data-job-id=${job.jobId}
        data-in-flight=${job.inFlight}
        data-elapsed-ms=${Math.round(job.elapsedMs)}
      >
        <span data-chunks-done=${job.doneChunks} data-chunks-total=${job.totalChunks}
          >${job.doneChunks} / ${job.totalChunks} chunks</span
        >
        <span>${formatRate(job.doneUnits / seconds, 'px/s')}</span>
        <span>${formatRate(job.doneIterations / seconds, 'iter/s')}</span>
        <span>elapsed ${formatDuration(job.elapsedMs)}</span>
        <span>${job.state === 'running' ? `ETA ${formatDuration(eta)}` : job.state}</span>
        ${job.state === 'running' ? html`<button @click=${this.cancel}>Cancel</button>` : ''}
      </div>
      ${job.message ? html`<p class=${job.state === 'failed' ? 'error' : 'muted'}>${job.message}</p>` : ''}
      <table aria-label="Work per peer">
        <thead>
          <tr>
            <th>Peer</th>
            <th>Chunks</th>
            <th>Compute</th>
            <th>Steals given</th>
            <th>Steals taken</th>
            <th>Reassigned</th>
          </tr>
        </thead>
        <tbody>
          ${job.peers.map(
            (p) =>
              html`<tr
                data-peer-id=${p.peerId}
                data-chunks=${p.chunks}
                data-steals-given=${p.stealsGiven}
                data-steals-taken=${p.stealsTaken}
              >
                <td>
                  <span class="swatch" style="background:${peerColour(p.peerId)}"></span>${p.name}
                </td>
                <td>${p.chunks}</td>
                <td>${formatDuration(p.computeMs)}</td>
                <td>${p.stealsGiven}</td>
                <td>${p.stealsTaken}</td>
                <td>${p.reassigned}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    `;
  }

  private cancel(): void {
    this.dispatchEvent(new CustomEvent('cancel', { bubbles: true, composed: true }));
  }
}

customElements.define('pd-job-progress', JobProgress);

declare global {
  interface HTMLElementTagNameMap {
    'pd-job-progress': JobProgress;
  }
}
