/**
 * <pd-job-progress .job=${view}>: a running job's progress (chunks done of total), its
 * throughput in the job's own units, elapsed time and ETA, and what each peer contributed
 * (optionally its rate and the bytes it moved). Under result verification it shows the
 * overhead (extra chunk runs over the total), each peer's checked and agreeing results, and
 * marks a peer caught returning wrong results. Fires `cancel`.
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
  /** Work it finished, in the unit of the view's `peerRate`. */
  units: number;
  /** Input data it fetched plus the result bytes it sent. */
  bytesMoved: number;
  /** Verification: its results checked by another peer, and how many agreed. */
  checked?: number;
  agreed?: number;
  /** Verification caught it returning a wrong result; it was removed from the job. */
  caught?: boolean;
}

/** What result verification cost and found (see VerificationStats). */
export interface VerificationView {
  /** Extra chunk runs (replicas and recomputes) over the total. */
  overhead: number;
  checkedChunks: number;
  /** Peers caught. */
  caught: number;
}

/** A throughput figure: `done` units over the job's elapsed time, shown as e.g. "3.1 kpx/s". */
export interface Throughput {
  /** The rate's unit, e.g. 'px/s', 'FLOP/s' (SI prefixes are added). */
  unit: string;
  /** Units finished in this run of the job. */
  done: number;
}

/** What the progress panel shows; the controller shell produces it (see job-view.ts). */
export interface JobView {
  jobId: string;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  totalChunks: number;
  doneChunks: number;
  /** Chunks that came back from a checkpoint (a resumed job): not counted in rates or ETA. */
  restoredChunks: number;
  elapsedMs: number;
  /** Chunks assigned and not done, plus accepted ones not yet checkpointed. */
  inFlight: number;
  /** Overall throughput figures, in order. */
  throughput: Throughput[];
  /** A per-peer rate column: each peer's `units` over the elapsed time, in this unit. */
  peerRate?: string;
  /** A per-peer "Moved" column: input bytes fetched plus result bytes sent. */
  showBytes?: boolean;
  peers: PeerJobStats[];
  /** Present when the job verifies results. */
  verification?: VerificationView;
  message?: string;
}

/** A duration as "12.3 s" or "2 min 5 s"; "—" when unknown. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** A rate with an SI prefix, e.g. "12.3 GFLOP/s"; "—" when there is none yet. */
export function formatRate(perSecond: number, unit: string): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return `— ${unit}`;
  const prefixes: Array<[number, string]> = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  const [div, prefix] = prefixes.find(([d]) => perSecond >= d) ?? [1, ''];
  return `${(perSecond / div).toFixed(1)} ${prefix}${unit}`;
}

/** Bytes in binary units, e.g. "4.2 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
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
      .caught {
        color: var(--pd-error);
        font-weight: 600;
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
    // Only chunks finished in this run tell how fast the rest will go.
    const doneHere = job.doneChunks - job.restoredChunks;
    const eta =
      job.state === 'running' && doneHere > 0
        ? (job.elapsedMs / doneHere) * (job.totalChunks - job.doneChunks)
        : NaN;
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
        ${job.throughput.map(
          (t) =>
            html`<span data-rate=${t.unit} data-per-second=${t.done / seconds}
              >${formatRate(t.done / seconds, t.unit)}</span
            >`,
        )}
        ${job.verification ? this.verificationFigure(job.verification) : ''}
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
            ${job.peerRate ? html`<th>${job.peerRate}</th>` : ''}
            ${job.showBytes ? html`<th title="Input data fetched plus results sent">Moved</th>` : ''}
            <th>Steals given</th>
            <th>Steals taken</th>
            <th>Reassigned</th>
            ${job.verification ? html`<th title="Results checked by another peer">Checked</th>` : ''}
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
                data-compute-ms=${Math.round(p.computeMs)}
                data-units=${p.units}
                data-bytes-moved=${p.bytesMoved}
                data-checked=${p.checked ?? 0}
                data-caught=${p.caught === true}
              >
                <td>
                  <span class="swatch" style="background:${peerColour(p.peerId)}"></span>${p.name}
                  ${
                    p.caught
                      ? html`<span
                          class="caught"
                          title="Returned a wrong result; removed from the job"
                          >caught</span
                        >`
                      : ''
                  }
                </td>
                <td>${p.chunks}</td>
                <td>${formatDuration(p.computeMs)}</td>
                ${job.peerRate ? html`<td>${formatRate(p.units / seconds, job.peerRate)}</td>` : ''}
                ${job.showBytes ? html`<td>${formatBytes(p.bytesMoved)}</td>` : ''}
                <td>${p.stealsGiven}</td>
                <td>${p.stealsTaken}</td>
                <td>${p.reassigned}</td>
                ${job.verification ? html`<td>${p.agreed ?? 0} / ${p.checked ?? 0}</td>` : ''}
              </tr>`,
          )}
        </tbody>
      </table>
    `;
  }

  private verificationFigure(v: VerificationView) {
    const caught = v.caught === 0 ? '' : `, ${v.caught} peer${v.caught === 1 ? '' : 's'} caught`;
    return html`<span
      data-verification-overhead=${v.overhead}
      data-checked-chunks=${v.checkedChunks}
      data-peers-caught=${v.caught}
      title="Extra chunk runs to check results, over the job's chunks"
      >verification +${(v.overhead * 100).toFixed(0)}%${caught}</span
    >`;
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
