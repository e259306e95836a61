/**
 * <pd-landing-view>: create a room, or join one from a pasted link. Fires `create-room`
 * and `join-link` (detail: the link); the app does the rest.
 */
import { LitElement, css, html } from 'lit';
import { parseRoomLink } from '../room-link.ts';
import { sharedStyles } from './styles.ts';

export class LandingView extends LitElement {
  static override properties = {
    busy: { type: Boolean },
    error: { type: String },
    linkError: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      .grid {
        display: grid;
        gap: 1rem;
        grid-template-columns: repeat(auto-fit, minmax(260px, 1fr));
      }
      h2 {
        margin-top: 0;
        font-size: 1.15rem;
      }
      form {
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
      }
      form input {
        flex: 1 1 14rem;
      }
    `,
  ];

  declare busy: boolean;
  declare error: string;
  declare linkError: string;

  constructor() {
    super();
    this.busy = false;
    this.error = '';
    this.linkError = '';
  }

  override render() {
    return html`<div class="grid">
      <section class="card">
        <h2>Start a room</h2>
        <p class="muted">
          Others join by scanning its QR code or opening its link on the same network.
        </p>
        <button class="primary" ?disabled=${this.busy} @click=${this.create}>Create a room</button>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ''}
      </section>
      <section class="card">
        <h2>Join a room</h2>
        <form @submit=${this.join}>
          <input
            name="link"
            aria-label="Room link"
            placeholder="Paste a room link"
            autocomplete="off"
          />
          <button type="submit">Join</button>
        </form>
        ${this.linkError ? html`<p class="error" role="alert">${this.linkError}</p>` : ''}
      </section>
    </div>`;
  }

  private create(): void {
    this.dispatchEvent(new CustomEvent('create-room', { bubbles: true, composed: true }));
  }

  private join(event: SubmitEvent): void {
    event.preventDefault();
    const input = (event.target as HTMLFormElement).elements.namedItem('link') as HTMLInputElement;
    if (!parseRoomLink(input.value.trim())) {
      this.linkError = 'That is not a room link: it should end with #room=…&t=…';
      return;
    }
    this.linkError = '';
    this.dispatchEvent(
      new CustomEvent('join-link', { detail: input.value.trim(), bubbles: true, composed: true }),
    );
  }
}

customElements.define('pd-landing-view', LandingView);

declare global {
  interface HTMLElementTagNameMap {
    'pd-landing-view': LandingView;
  }
}
