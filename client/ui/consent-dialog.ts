/**
 * <pd-consent-dialog>: asks before this device contributes anything — which room, under
 * what name, and how many cores. Fires `consent` with { name, donatedCores } or `decline`.
 */
import { LitElement, css, html } from 'lit';
import { sharedStyles } from './styles.ts';

export interface Consent {
  name: string;
  donatedCores: number;
}

export class ConsentDialog extends LitElement {
  static override properties = {
    roomId: { type: String },
    name: { type: String },
    cores: { type: Number },
    donatedCores: { type: Number },
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

  constructor() {
    super();
    this.roomId = '';
    this.name = '';
    this.cores = 1;
    this.donatedCores = 1;
  }

  override render() {
    return html`<section class="card" role="dialog" aria-labelledby="consent-title">
      <h2 id="consent-title">Contribute this device's CPU to room <code>${this.roomId}</code>?</h2>
      <p class="muted">
        Jobs submitted in this room will run on this device while this page is open. Nothing runs
        until you join, and you can leave at any time.
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
      <div class="actions">
        <button class="primary" @click=${this.accept}>Join and contribute</button>
        <button @click=${this.decline}>Cancel</button>
      </div>
    </section>`;
  }

  private accept(): void {
    const detail: Consent = {
      name: this.name.trim() || 'Anonymous',
      donatedCores: this.donatedCores,
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
