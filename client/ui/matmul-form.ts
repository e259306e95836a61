/**
 * <pd-matmul-form>: what to multiply — the shape (square n × n, or n × k by k × m) and the
 * inputs: random matrices from a seed, or two uploaded raw `.f64` files whose sizes are
 * checked against the shape. Fires `run` with a MatmulRequest.
 */
import { LitElement, css, html } from 'lit';
import { MAX_SEED, UI_MAX_DIM, uploadProblem, type MatmulRequest } from './matmul-inputs.ts';
import { sharedStyles } from './styles.ts';

type Dim = 'n' | 'k' | 'm';

const DIM_LABEL: Record<Dim, string> = { n: 'Rows n', k: 'Inner k', m: 'Columns m' };

function validInteger(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

export class MatmulForm extends LitElement {
  static override properties = {
    busy: { type: Boolean },
    square: { state: true },
    dims: { state: true },
    random: { state: true },
    seed: { state: true },
    problem: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      input[type='number'] {
        width: 6.5rem;
      }
      fieldset {
        border: 1px solid var(--pd-border);
        border-radius: 10px;
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: center;
      }
      p.error {
        flex-basis: 100%;
        margin: 0;
      }
    `,
  ];

  declare busy: boolean;
  declare square: boolean;
  declare dims: Record<Dim, number>;
  declare random: boolean;
  declare seed: number;
  declare problem: string;
  private files: { a?: File; b?: File } = {};

  constructor() {
    super();
    this.busy = false;
    this.square = true;
    this.dims = { n: 1024, k: 1024, m: 1024 };
    this.random = true;
    this.seed = 1;
    this.problem = '';
  }

  override render() {
    const dims: Dim[] = this.square ? ['n'] : ['n', 'k', 'm'];
    return html`<form class="fields" @submit=${this.submit}>
      <label
        ><input
          type="checkbox"
          aria-label="Square"
          .checked=${this.square}
          @change=${(e: Event) => (this.square = (e.target as HTMLInputElement).checked)}
        />
        Square</label
      >
      ${dims.map(
        (dim) =>
          html`<label class="field"
            >${this.square ? 'Size n (n × n)' : DIM_LABEL[dim]}
            <input
              type="number"
              aria-label=${this.square ? 'Size n' : DIM_LABEL[dim]}
              min="1"
              max=${UI_MAX_DIM}
              .value=${String(this.dims[dim])}
              @input=${(e: Event) => this.setDim(dim, (e.target as HTMLInputElement).value)}
          /></label>`,
      )}
      <fieldset>
        <legend>Inputs A and B</legend>
        <label
          ><input
            type="radio"
            name="source"
            .checked=${this.random}
            @change=${() => (this.random = true)}
          />
          Random, seed</label
        >
        <input
          type="number"
          aria-label="Seed"
          min="0"
          max=${MAX_SEED}
          ?disabled=${!this.random}
          .value=${String(this.seed)}
          @input=${(e: Event) => (this.seed = Number((e.target as HTMLInputElement).value))}
        />
        <label
          ><input
            type="radio"
            name="source"
            .checked=${!this.random}
            @change=${() => (this.random = false)}
          />
          Upload raw .f64 (little-endian, row-major)</label
        >
        ${
          this.random
            ? ''
            : html`<label
                  >A
                  <input
                    type="file"
                    aria-label="Matrix A"
                    accept=".f64,application/octet-stream"
                    @change=${(e: Event) => this.pick('a', e)}
                /></label>
                <label
                  >B
                  <input
                    type="file"
                    aria-label="Matrix B"
                    accept=".f64,application/octet-stream"
                    @change=${(e: Event) => this.pick('b', e)}
                /></label>`
        }
      </fieldset>
      <button class="primary" type="submit" ?disabled=${this.busy}>Multiply</button>
      ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : ''}
    </form>`;
  }

  private setDim(dim: Dim, value: string): void {
    const size = Number(value);
    this.dims = this.square ? { n: size, k: size, m: size } : { ...this.dims, [dim]: size };
  }

  private pick(which: 'a' | 'b', event: Event): void {
    const file = (event.target as HTMLInputElement).files?.[0];
    this.files = { ...this.files, [which]: file };
    this.problem = '';
  }

  /** The shape asked for, or why it is not one. */
  private shape(): MatmulRequest['shape'] | string {
    const { n } = this.dims;
    const shape = this.square ? { n, k: n, m: n } : { ...this.dims };
    for (const dim of ['n', 'k', 'm'] as const) {
      if (!validInteger(shape[dim], 1, UI_MAX_DIM)) {
        return `${this.square ? 'The size' : DIM_LABEL[dim]} must be a whole number from 1 to ${UI_MAX_DIM}.`;
      }
    }
    return shape;
  }

  private submit(event: SubmitEvent): void {
    event.preventDefault();
    const shape = this.shape();
    if (typeof shape === 'string') return void (this.problem = shape);
    let request: MatmulRequest;
    if (this.random) {
      if (!validInteger(this.seed, 0, MAX_SEED)) {
        return void (this.problem = `The seed must be a whole number from 0 to ${MAX_SEED}.`);
      }
      request = { shape, source: { kind: 'random', seed: this.seed } };
    } else {
      const { a, b } = this.files;
      if (!a || !b) return void (this.problem = 'Choose a file for A and one for B.');
      const problem =
        uploadProblem('A', a.size, shape.n, shape.k) ??
        uploadProblem('B', b.size, shape.k, shape.m);
      if (problem) return void (this.problem = problem);
      request = { shape, source: { kind: 'files', a, b } };
    }
    this.problem = '';
    this.dispatchEvent(new CustomEvent('run', { detail: request, bubbles: true, composed: true }));
  }
}

customElements.define('pd-matmul-form', MatmulForm);

declare global {
  interface HTMLElementTagNameMap {
    'pd-matmul-form': MatmulForm;
  }
}
