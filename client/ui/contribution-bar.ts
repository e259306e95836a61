/**
 * <pd-contribution-bar>: what this device does for the room, and the person's control over it.
 * While chunks run here, a bar fixed to the bottom of the screen says so, with Pause and Leave;
 * while paused, it says that, with Resume and Leave. Otherwise a quiet line offers Pause ahead
 * of time. Each form carries the "Keep the screen on while contributing" setting, and the bar
 * holds the screen wake lock only while chunks run here, not paused, and the setting is on.
 * Fires `leave`; pause and resume go straight to the jobs.
 */
import { LitElement, css, html } from 'lit';
import type { RoomJobs } from '../jobs/room-jobs.ts';
import type { PeerJobSnapshot } from '../scheduler/peer-types.ts';
import {
  ScreenWakeLock,
  keepScreenOnSetting,
  saveKeepScreenOn,
  type WakeLockState,
} from './screen-wake-lock.ts';
import { sharedStyles } from './styles.ts';

/** What the bar needs of RoomJobs (a test passes a fake). */
export type ContributionSource = Pick<RoomJobs, 'paused' | 'pause' | 'resume' | 'on'>;

export class ContributionBar extends LitElement {
  static override properties = {
    jobs: { attribute: false },
    wakeLock: { attribute: false },
    work: { state: true },
    paused: { state: true },
    keepScreenOn: { state: true },
    lockState: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      .bar {
        position: fixed;
        left: 0;
        right: 0;
        bottom: 0;
        z-index: 10;
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 1rem;
        padding: 0.6rem 1.2rem;
        background: var(--pd-surface-2);
        border-top: 3px solid var(--pd-accent);
        box-shadow: 0 -2px 10px rgb(0 0 0 / 0.25);
      }
      .bar[data-state='paused'] {
        border-top-color: var(--pd-muted);
      }
      .status {
        font-weight: 600;
        flex: 1 1 16rem;
      }
      .pulse {
        display: inline-block;
        width: 0.7em;
        height: 0.7em;
        border-radius: 50%;
        margin-right: 0.5em;
        background: var(--pd-accent);
        animation: pulse 1.2s ease-in-out infinite;
      }
      @keyframes pulse {
        50% {
          opacity: 0.3;
        }
      }
      @media (prefers-reduced-motion: reduce) {
        .pulse {
          animation: none;
        }
      }
      /* Room under the page's end so the fixed bar never hides its last controls. */
      .spacer {
        height: 5rem;
      }
      .idle {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 1rem;
        margin-top: 1.2rem;
      }
      label {
        display: inline-flex;
        gap: 0.4em;
        align-items: center;
      }
      .note {
        font-size: 0.9em;
      }
    `,
  ];

  declare jobs: ContributionSource | undefined;
  /** The screen wake lock (one for the browser's API unless given before the first update). */
  declare wakeLock: ScreenWakeLock | undefined;
  declare work: PeerJobSnapshot[];
  declare paused: boolean;
  declare keepScreenOn: boolean;
  declare lockState: WakeLockState;
  private offJobs: Array<() => void> = [];
  private offLock: (() => void) | undefined;

  constructor() {
    super();
    this.jobs = undefined;
    this.wakeLock = undefined;
    this.work = [];
    this.paused = false;
    this.keepScreenOn = keepScreenOnSetting();
    this.lockState = 'off';
  }

  /** Chunks running on this device's workers now, for any job. */
  get running(): number {
    return this.work.reduce((sum, job) => sum + job.running, 0);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const off of this.offJobs) off();
    this.offJobs = [];
    this.offLock?.();
    this.offLock = undefined;
    this.wakeLock?.dispose();
    this.wakeLock = undefined;
  }

  protected override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('jobs')) {
      for (const off of this.offJobs) off();
      const jobs = this.jobs;
      this.paused = jobs?.paused ?? false;
      this.offJobs = jobs
        ? [
            jobs.on('work', (work) => (this.work = work)),
            jobs.on('paused', (p) => (this.paused = p)),
          ]
        : [];
    }
    const lock = (this.wakeLock ??= new ScreenWakeLock());
    if (changed.has('wakeLock') || !this.offLock) {
      this.offLock?.();
      this.offLock = lock.on('change', (state) => (this.lockState = state));
      this.lockState = lock.state;
    }
    lock.setWanted(this.keepScreenOn && !this.paused && this.running > 0);
  }

  override render() {
    const running = this.running;
    if (this.paused) {
      return html`<div class="spacer"></div>
        <div class="bar" role="status" data-state="paused" data-running=${running}>
          <span class="status"
            >Paused: this device takes no new
            chunks${running ? ` · ${running} finishing` : ''}</span
          >
          <button class="primary" @click=${() => this.jobs?.resume()}>Resume</button>
          <button @click=${this.leave}>Leave room</button>
          ${this.renderSetting()}
        </div>`;
    }
    if (running > 0) {
      return html`<div class="spacer"></div>
        <div class="bar" role="status" data-state="contributing" data-running=${running}>
          <span class="status"
            ><span class="pulse" aria-hidden="true"></span>Contributing: ${running}
            ${running === 1 ? 'chunk' : 'chunks'} running</span
          >
          <button @click=${() => this.jobs?.pause()}>Pause</button>
          <button @click=${this.leave}>Leave room</button>
          ${this.renderSetting()}
        </div>`;
    }
    return html`<div class="idle" data-state="idle">
      <span class="muted">This device computes for the room when jobs run.</span>
      <button @click=${() => this.jobs?.pause()}>Pause contributing</button>
      ${this.renderSetting()}
    </div>`;
  }

  private renderSetting() {
    const supported = this.lockState !== 'unsupported';
    return html`<label
        ><input
          type="checkbox"
          .checked=${this.keepScreenOn && supported}
          ?disabled=${!supported}
          @change=${this.toggleKeepScreenOn}
        />Keep the screen on while contributing</label
      >${this.renderLockNote()}`;
  }

  private renderLockNote() {
    switch (this.lockState) {
      case 'unsupported':
        return html`<span class="muted note" data-wake-lock="unsupported"
          >(this browser cannot here: the Screen Wake Lock API needs HTTPS or localhost and a
          browser that has it)</span
        >`;
      case 'refused':
        return html`<span class="error note" data-wake-lock="refused"
          >(the browser refused: ${this.wakeLock?.error})</span
        >`;
      case 'held':
        return html`<span class="muted note" data-wake-lock="held">(screen kept on)</span>`;
      case 'off':
        return '';
    }
  }

  private toggleKeepScreenOn(e: Event): void {
    this.keepScreenOn = (e.target as HTMLInputElement).checked;
    saveKeepScreenOn(this.keepScreenOn);
  }

  private leave(): void {
    this.dispatchEvent(new CustomEvent('leave', { bubbles: true, composed: true }));
  }
}

customElements.define('pd-contribution-bar', ContributionBar);

declare global {
  interface HTMLElementTagNameMap {
    'pd-contribution-bar': ContributionBar;
  }
}
