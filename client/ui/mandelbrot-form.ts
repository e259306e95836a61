/**
 * <pd-mandelbrot-form>: what to render — a preset view, the image size (up to 8K) and the
 * iteration cap. Fires `render` with MandelbrotRequest; the app makes this tab the job's
 * controller.
 */
import { LitElement, css, html } from 'lit';
import type { MandelbrotParams } from '../../kernels/mandelbrot/meta.ts';
import { sharedStyles } from './styles.ts';

/** What the form asks for: the Mandelbrot kernel's parameters. */
export type MandelbrotRequest = MandelbrotParams;

interface Preset {
  label: string;
  cx: number;
  cy: number;
  /** Height of the view in the complex plane; the scale follows from the image height. */
  span: number;
  maxIter: number;
}

export const PRESETS: Record<string, Preset> = {
  // 1.6875 / 1080 = 3 / 1920 exactly: the reference view of the benchmark.
  full: { label: 'Full set', cx: -0.5, cy: 0, span: 1.6875, maxIter: 1000 },
  seahorse: {
    label: 'Seahorse valley',
    cx: -0.743643887037151,
    cy: 0.13182590420533,
    span: 0.012,
    maxIter: 2000,
  },
  deep: {
    label: 'Deep zoom',
    cx: -0.7436438870371587,
    cy: 0.13182590420531198,
    span: 6e-11,
    maxIter: 20000,
  },
};

const SIZES: Array<[string, number, number]> = [
  ['1280 × 720', 1280, 720],
  ['1920 × 1080', 1920, 1080],
  ['3840 × 2160 (4K)', 3840, 2160],
  ['7680 × 4320 (8K)', 7680, 4320],
];

export class MandelbrotForm extends LitElement {
  static override properties = {
    busy: { type: Boolean },
    preset: { state: true },
    size: { state: true },
    maxIter: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      select {
        font: inherit;
        padding: 0.45em;
        border-radius: 8px;
        background: var(--pd-surface);
        color: var(--pd-fg);
        border: 1px solid var(--pd-border);
      }
      input[type='number'] {
        width: 7rem;
      }
    `,
  ];

  declare busy: boolean;
  declare preset: string;
  declare size: number;
  declare maxIter: number;

  constructor() {
    super();
    this.busy = false;
    this.preset = 'full';
    this.size = 1;
    this.maxIter = PRESETS.full!.maxIter;
  }

  override render() {
    return html`<form class="fields" @submit=${this.submit}>
      <label class="field"
        >View
        <select
          aria-label="View"
          @change=${(e: Event) => {
            this.preset = (e.target as HTMLSelectElement).value;
            this.maxIter = PRESETS[this.preset]!.maxIter;
          }}
        >
          ${Object.entries(PRESETS).map(([key, p]) => html`<option value=${key} ?selected=${key === this.preset}>${p.label}</option>`)}
        </select>
      </label>
      <label class="field"
        >Size
        <select
          aria-label="Size"
          @change=${(e: Event) => (this.size = Number((e.target as HTMLSelectElement).value))}
        >
          ${SIZES.map(([label], i) => html`<option value=${i} ?selected=${i === this.size}>${label}</option>`)}
        </select>
      </label>
      <label class="field"
        >Max iterations
        <input
          aria-label="Max iterations"
          type="number"
          min="1"
          max="1000000"
          .value=${String(this.maxIter)}
          @input=${(e: Event) => (this.maxIter = Number((e.target as HTMLInputElement).value))}
        />
      </label>
      <button class="primary" type="submit" ?disabled=${this.busy}>Render Mandelbrot</button>
    </form>`;
  }

  private submit(event: SubmitEvent): void {
    event.preventDefault();
    const preset = PRESETS[this.preset]!;
    const [, width, height] = SIZES[this.size]!;
    const maxIter = Math.min(1_000_000, Math.max(1, Math.round(this.maxIter) || 1));
    const detail: MandelbrotRequest = {
      width,
      height,
      cx: preset.cx,
      cy: preset.cy,
      scale: preset.span / height,
      maxIter,
    };
    this.dispatchEvent(new CustomEvent('render', { detail, bubbles: true, composed: true }));
  }
}

customElements.define('pd-mandelbrot-form', MandelbrotForm);

declare global {
  interface HTMLElementTagNameMap {
    'pd-mandelbrot-form': MandelbrotForm;
  }
}
