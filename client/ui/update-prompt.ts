/**
 * <pd-update-prompt>: registers the service worker (through vite-plugin-pwa's workbox-window
 * wrapper) and, when a new version is waiting, offers to reload into it. Registration needs
 * a secure context (localhost or HTTPS with a trusted certificate); elsewhere the app runs
 * without offline support.
 */
import { LitElement, css, html } from 'lit';
import { registerSW } from 'virtual:pwa-register';
import { sharedStyles } from './styles.ts';

export class UpdatePrompt extends LitElement {
  static override properties = { needRefresh: { state: true }, offlineReady: { state: true } };
  static override styles = [
    sharedStyles,
    css`
      .toast {
        position: fixed;
        right: 1rem;
        bottom: 1rem;
        display: flex;
        gap: 0.8rem;
        align-items: center;
        padding: 0.8rem 1rem;
        border-radius: 12px;
        background: var(--pd-surface-2);
        border: 1px solid var(--pd-border);
        box-shadow: 0 6px 24px #0006;
      }
    `,
  ];

  declare needRefresh: boolean;
  declare offlineReady: boolean;
  private updateServiceWorker: ((reload?: boolean) => Promise<void>) | undefined;

  constructor() {
    super();
    this.needRefresh = false;
    this.offlineReady = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!('serviceWorker' in navigator) || this.updateServiceWorker) return;
    this.updateServiceWorker = registerSW({
      immediate: true,
      onNeedRefresh: () => (this.needRefresh = true),
      onOfflineReady: () => {
        this.offlineReady = true;
        setTimeout(() => (this.offlineReady = false), 4000);
      },
      onRegisterError: (err: unknown) => console.warn('service worker registration failed', err),
    });
  }

  override render() {
    if (this.needRefresh) {
      return html`<div class="toast" role="alert">
        <span>Update available.</span>
        <button class="primary" @click=${() => this.updateServiceWorker?.(true)}>Reload</button>
        <button @click=${() => (this.needRefresh = false)}>Later</button>
      </div>`;
    }
    if (this.offlineReady) {
      return html`<div class="toast" role="status">Ready to work offline.</div>`;
    }
    return html``;
  }
}

customElements.define('pd-update-prompt', UpdatePrompt);

declare global {
  interface HTMLElementTagNameMap {
    'pd-update-prompt': UpdatePrompt;
  }
}
