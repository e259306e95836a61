/**
 * <pd-room-view .session=${session} link="…">: the room as its members see it — the link
 * with copy and share buttons, its QR code, the live member list, a link test, leave, and
 * the job panels (Mandelbrot, matrix multiplication, PBKDF2) behind tabs. The host also
 * gets "New link (revoke old)" and a Remove button per member.
 */
import { LitElement, css, html } from 'lit';
import { roomFragment } from '../../signaling/protocol.ts';
import type { ProbeResult } from '../mesh/link-probe.ts';
import type { RoomJobs } from '../jobs/room-jobs.ts';
import type { PeerJobSnapshot } from '../scheduler/peer-types.ts';
import type { RoomSession } from '../mesh/room-session.ts';
import './job-tabs.ts';
import './mandelbrot-panel.ts';
import './matmul-panel.ts';
import './pbkdf2-panel.ts';
import type { SignalingState } from '../mesh/signaling-client.ts';
import './peer-list.ts';
import './qr-code.ts';
import { sharedStyles } from './styles.ts';

const SIGNALING_LABEL: Record<SignalingState, string> = {
  connecting: 'joining…',
  joined: 'joined',
  reconnecting: 'server unreachable, reconnecting… (peers stay connected)',
  refused: 'refused',
  closed: 'left',
};

/** Size of the body sent by the link test. */
const PROBE_BYTES = 5 * 1024 * 1024;

export class RoomView extends LitElement {
  static override properties = {
    session: { attribute: false },
    jobs: { attribute: false },
    donatedCores: { type: Number },
    link: { type: String },
    roomId: { type: String },
    copied: { state: true },
    probing: { state: true },
    probeResults: { state: true },
    work: { state: true },
    rotated: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      pd-job-tabs {
        display: block;
        margin-top: 1rem;
      }
      .layout {
        display: grid;
        gap: 1rem;
        grid-template-columns: minmax(0, 1fr) minmax(0, 1.3fr);
      }
      @media (max-width: 760px) {
        .layout {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      h2 {
        margin: 0 0 0.6rem;
        font-size: 1.1rem;
      }
      .link {
        display: flex;
        gap: 0.4rem;
        margin: 0.8rem 0;
        flex-wrap: wrap;
      }
      .link input {
        flex: 1 1 12rem;
        min-width: 0;
        font-family: ui-monospace, monospace;
        font-size: 0.85em;
      }
      pd-qr-code {
        display: flex;
        justify-content: center;
      }
      header {
        display: flex;
        justify-content: space-between;
        align-items: center;
        gap: 1rem;
        margin-bottom: 1rem;
        flex-wrap: wrap;
      }
      .probes {
        margin-top: 1rem;
      }
      .probes li[data-ok='false'] {
        color: var(--pd-error);
      }
    `,
  ];

  declare session: RoomSession | undefined;
  declare jobs: RoomJobs | undefined;
  declare donatedCores: number;
  declare link: string;
  declare roomId: string;
  declare copied: boolean;
  declare probing: boolean;
  declare probeResults: ProbeResult[];
  /** This member's share of the room's jobs (its own and others'). */
  declare work: PeerJobSnapshot[];
  /** True once the host replaced the room token while this view was shown. */
  declare rotated: boolean;
  private offWork: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor() {
    super();
    this.link = '';
    this.donatedCores = 1;
    this.roomId = '';
    this.copied = false;
    this.probing = false;
    this.probeResults = [];
    this.work = [];
    this.rotated = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.subscribe();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  protected override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('session')) this.subscribe();
    if (changed.has('jobs')) {
      this.offWork?.();
      this.offWork = this.jobs?.on('work', (work) => {
        this.work = work;
      });
    }
  }

  override render() {
    const session = this.session;
    if (!session) return html``;
    const peers = session.view();
    const others = peers.filter((p) => p.connection === 'connected').length;
    const state = session.signaling.state;
    const names = (id: string) => peers.find((p) => p.peerId === id)?.name ?? id.slice(0, 6);
    const isHost = session.signaling.isHost;
    const link = this.currentLink();
    return html`
      <header>
        <div>
          <h2>Room <code>${this.roomId}</code></h2>
          <span class="muted" data-signaling=${state}>Server: ${SIGNALING_LABEL[state]}</span>
          ${this.renderWork()}
        </div>
        <button @click=${this.leave}>Leave room</button>
      </header>
      <div class="layout">
        <section class="card">
          <h2>Invite devices</h2>
          <span class="muted">Scan with a phone on the same Wi-Fi, or share the link.</span>
          <div class="link">
            <input
              readonly
              aria-label="Room link"
              .value=${link}
              @focus=${(e: Event) => (e.target as HTMLInputElement).select()}
            />
            <button @click=${this.copy}>${this.copied ? 'Copied' : 'Copy'}</button>
            ${'share' in navigator ? html`<button @click=${this.share}>Share…</button>` : ''}
            ${
              isHost
                ? html`<button
                    title="Make a new link; the old link stops working for new joins, members stay"
                    ?disabled=${state !== 'joined'}
                    @click=${this.rotateToken}
                  >
                    New link (revoke old)
                  </button>`
                : ''
            }
          </div>
          ${
            this.rotated
              ? html`<p class="muted" data-rotated>New link made: the old link no longer works.</p>`
              : ''
          }
          <pd-qr-code .text=${link} size="320"></pd-qr-code>
        </section>
        <section class="card">
          <h2>Members (${peers.filter((p) => p.connection !== 'gone').length})</h2>
          <pd-peer-list
            .peers=${peers}
            .selfIsHost=${isHost}
            .removable=${isHost && state === 'joined'}
            @remove-member=${(e: CustomEvent<string>) => session.signaling.removeMember(e.detail)}
          ></pd-peer-list>
          <div class="probes">
            <button ?disabled=${this.probing || others === 0} @click=${this.probe}>
              ${this.probing ? 'Testing links…' : 'Test links (5 MiB each)'}
            </button>
            <ul aria-label="Link test results">
              ${this.probeResults.map(
                (r) =>
                  html`<li data-peer-id=${r.peerId} data-ok=${String(r.ok)} data-bytes=${r.bytes}>
                    ${peers.find((p) => p.peerId === r.peerId)?.name ?? r.peerId}:
                    ${r.ok ? `${r.mbPerSecond.toFixed(1)} MB/s, intact` : `failed ${r.error ?? '(hash mismatch)'}`}
                  </li>`,
              )}
            </ul>
          </div>
        </section>
      </div>
      <pd-job-tabs>
        <pd-mandelbrot-panel
          data-tab="Mandelbrot"
          .jobs=${this.jobs}
          .localCores=${this.donatedCores}
          .names=${names}
        ></pd-mandelbrot-panel>
        <pd-matmul-panel
          data-tab="Matrix multiplication"
          .jobs=${this.jobs}
          .localCores=${this.donatedCores}
          .names=${names}
        ></pd-matmul-panel>
        <pd-pbkdf2-panel
          data-tab="PBKDF2"
          .jobs=${this.jobs}
          .localCores=${this.donatedCores}
          .names=${names}
        ></pd-pbkdf2-panel>
      </pd-job-tabs>
    `;
  }

  private renderWork() {
    const computed = this.jobs?.chunksComputed ?? 0;
    const inHand = this.work.reduce((sum, w) => sum + w.running + w.queued, 0);
    if (computed === 0 && inHand === 0) return '';
    return html`<div class="muted" data-computed=${computed} data-in-hand=${inHand}>
      This device computed ${computed} chunks${inHand ? `; ${inHand} in hand` : ''}
    </div>`;
  }

  private subscribe(): void {
    this.unsubscribe?.();
    const session = this.session;
    if (!session) return;
    const offChange = session.on('change', () => this.requestUpdate());
    const offToken = session.signaling.on('room-token', ({ token }) => {
      this.rotated = true;
      // The address bar holds the link this tab joined with; keep it current so that a
      // reload rejoins with the new token (replaceState fires no hashchange).
      history.replaceState(history.state, '', roomFragment(this.roomId, token));
      this.requestUpdate();
    });
    this.unsubscribe = () => {
      offChange();
      offToken();
    };
  }

  /** The link to share: the one given, with the newest room token once the host rotated it. */
  private currentLink(): string {
    const token = this.session?.signaling.token;
    if (!token || !this.link || !this.roomId) return this.link;
    return new URL(roomFragment(this.roomId, token), this.link).href;
  }

  private rotateToken(): void {
    this.session?.signaling.rotateToken();
  }

  private async copy(): Promise<void> {
    await navigator.clipboard?.writeText(this.currentLink()).catch(() => {});
    this.copied = true;
    setTimeout(() => (this.copied = false), 1500);
  }

  private async share(): Promise<void> {
    const url = this.currentLink();
    await navigator.share({ title: 'Join my ProcessDistro room', url }).catch(() => {});
  }

  private async probe(): Promise<void> {
    if (!this.session) return;
    this.probing = true;
    try {
      this.probeResults = await this.session.probeAll(PROBE_BYTES);
    } finally {
      this.probing = false;
    }
  }

  private leave(): void {
    this.dispatchEvent(new CustomEvent('leave', { bubbles: true, composed: true }));
  }
}

customElements.define('pd-room-view', RoomView);

declare global {
  interface HTMLElementTagNameMap {
    'pd-room-view': RoomView;
  }
}
