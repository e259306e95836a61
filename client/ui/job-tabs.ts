/**
 * <pd-job-tabs>: one job panel at a time. Each child is a panel labelled by its `data-tab`
 * attribute; the tab bar picks the one shown. The others stay alive, only hidden, so a job
 * keeps running and reporting while another tab is chosen. The choice is kept for this
 * browser tab across reloads (sessionStorage), so a reloaded controller lands on its job's
 * resume offer; a tab whose panel offers to resume a job (it fires `resumable-change` with
 * `true`) carries a dot.
 */
import { LitElement, css, html } from 'lit';
import { sharedStyles } from './styles.ts';

/** sessionStorage key of the chosen panel (its tag name). */
const CHOICE_KEY = 'pd-job-tab';

export class JobTabs extends LitElement {
  static override properties = {
    chosen: { state: true },
    panels: { state: true },
    unfinished: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      [role='tablist'] {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem;
        margin-bottom: 0.6rem;
      }
      [role='tab'][aria-selected='true'] {
        border-color: var(--pd-accent);
        box-shadow: inset 0 -3px 0 var(--pd-accent);
        font-weight: 600;
      }
      .dot {
        color: var(--pd-accent);
        font-weight: 700;
      }
      ::slotted(*) {
        display: block;
      }
      ::slotted([hidden]) {
        display: none !important;
      }
    `,
  ];

  /** Tag name of the chosen panel. */
  declare chosen: string;
  declare panels: HTMLElement[];
  /** Panels offering to resume an unfinished job. */
  declare unfinished: ReadonlySet<Element>;

  constructor() {
    super();
    this.chosen = sessionStorage.getItem(CHOICE_KEY) ?? '';
    this.panels = [];
    this.unfinished = new Set();
    this.addEventListener('resumable-change', (event) => {
      const panel = (event as CustomEvent<boolean>).target as Element;
      const next = new Set(this.unfinished);
      if ((event as CustomEvent<boolean>).detail) next.add(panel);
      else next.delete(panel);
      this.unfinished = next;
    });
  }

  override render() {
    const shown = this.shown();
    return html`<div role="tablist" aria-label="Jobs">
        ${this.panels.map(
          (panel) =>
            html`<button
              role="tab"
              aria-selected=${String(panel === shown)}
              @click=${() => this.choose(panel)}
            >
              ${panel.dataset.tab ?? panel.localName}${
                this.unfinished.has(panel)
                  ? html`<span class="dot" aria-hidden="true" title="An unfinished job"> •</span>`
                  : ''
              }
            </button>`,
        )}
      </div>
      <slot @slotchange=${this.collectPanels}></slot>`;
  }

  protected override updated(): void {
    const shown = this.shown();
    for (const panel of this.panels) {
      panel.hidden = panel !== shown;
      panel.setAttribute('role', 'tabpanel');
      panel.setAttribute('aria-label', panel.dataset.tab ?? panel.localName);
    }
  }

  /** The chosen panel, or the first when none (or one no longer present) was chosen. */
  private shown(): HTMLElement | undefined {
    return this.panels.find((p) => p.localName === this.chosen) ?? this.panels[0];
  }

  private choose(panel: HTMLElement): void {
    this.chosen = panel.localName;
    sessionStorage.setItem(CHOICE_KEY, this.chosen);
  }

  private collectPanels(event: Event): void {
    const slot = event.target as HTMLSlotElement;
    this.panels = slot
      .assignedElements()
      .filter((element): element is HTMLElement => element instanceof HTMLElement);
  }
}

customElements.define('pd-job-tabs', JobTabs);

declare global {
  interface HTMLElementTagNameMap {
    'pd-job-tabs': JobTabs;
  }
}
