/**
 * <pd-consent-dialog>: asks before this device contributes anything — which room, under
 * what name, how many cores, and whether to keep the screen on while it computes. Fires
 * `consent` with { name, donatedCores, keepScreenOn } or `decline`. The app joins the room only
 * on `consent`: until then this tab is no member, so no job can reach it.
 */
import { LitElement, css, html } from 'lit';
import { browserWakeLock } from './screen-wake-lock.ts';
import { sharedStyles } from './styles.ts';

export interface Consent {
  name: string;
  donatedCores: number;
  /** Hold the screen wake lock while chunks run here (saved as the device's setting). */
  keepScreenOn: boolean;
}

export class ConsentDialog extends LitElement {
  static override properties = {
    roomId: { type: String },
    name: { type: String },
    cores: { type: Number },
    donatedCores: { type: Number },
    keepScreenOn: { type: Boolean },
  };
  static override styles = [
    sharedStyles,
    css`
      label {
        display: block;
        margin: 1rem 0 0.3rem;
        font-weight: 600;
      }
      input[type='range'] {
        width: 100%;
      }
      label.check {
        display: flex;
        gap: 0.5em;
        align-items: center;
        font-weight: normal;
      }
      .actions {
        display: flex;
        gap: 0.6rem;
        margin-top: 1.4rem;
        flex-wrap: wrap;
      }
      h2 {
        margin-top: 0;
      }
      code {
        font-size: 1.05em;
      }
    `,
  ];

  declare roomId: string;
  declare name: string;
  /** Cores this device has. */
  declare cores: number;
  /** The proposed donation; the person moves the slider. */
  declare donatedCores: number;
  /** Proposed from the saved setting; off by default. */
  declare keepScreenOn: boolean;

  constructor() {
    super();
    this.roomId = '';
    this.name = '';
    this.cores = 1;
    this.donatedCores = 1;
    this.keepScreenOn = false;
  }

  override render() {
    return html`<section class="card" role="dialog" aria-labelledby="consent-title">
      <h2 id="consent-title">Contribute this device's CPU to room <code>${this.roomId}</code>?</h2>
      <p class="muted">
        Jobs submitted in this room will run on this device while this page is open. Nothing runs
        until you join. While it computes, a bar at the bottom of the screen says so; you can pause
        or leave at any time, and the chunks it holds go back to the room.
      </p>
      <label for="name">Name shown to the room</label>
      <input
        id="name"
        .value=${this.name}
        maxlength="64"
        @input=${(e: Event) => (this.name = (e.target as HTMLInputElement).value)}
      />
      <label for="cores"
        >Cores to donate: <output>${this.donatedCores}</output> of ${this.cores}</label
      >
      <input
        id="cores"
        type="range"
        min="0"
        max=${this.cores}
        .value=${String(this.donatedCores)}
        @input=${(e: Event) => (this.donatedCores = Number((e.target as HTMLInputElement).value))}
      />
      ${this.renderKeepScreenOn()}
      <div class="actions">
        <button class="primary" @click=${this.accept}>Join and contribute</button>
        <button @click=${this.decline}>Cancel</button>
      </div>
    </section>`;
  }

  private renderKeepScreenOn() {
    const supported = browserWakeLock() !== null;
    return html`<label class="check"
        ><input
          id="keep-screen-on"
          type="checkbox"
          .checked=${this.keepScreenOn && supported}
          ?disabled=${!supported}
          @change=${(e: Event) => (this.keepScreenOn = (e.target as HTMLInputElement).checked)}
        />Keep the screen on while contributing</label
      >
      <span class="muted"
        >${
          supported
            ? 'Only while chunks run here; a phone that sleeps stops computing.'
            : 'Not available here: the Screen Wake Lock API needs HTTPS or localhost and a browser that has it.'
        }</span
      >`;
  }

  private accept(): void {
    const detail: Consent = {
      name: this.name.trim() || 'Anonymous',
      donatedCores: this.donatedCores,
      keepScreenOn: this.keepScreenOn && browserWakeLock() !== null,
    };
    this.dispatchEvent(new CustomEvent('consent', { detail, bubbles: true, composed: true }));
  }

  private decline(): void {
    this.dispatchEvent(new CustomEvent('decline', { bubbles: true, composed: true }));
  }
}

customElements.define('pd-consent-dialog', ConsentDialog);

declare global {
  interface HTMLElementTagNameMap {
    'pd-consent-dialog': ConsentDialog;
  }
}
