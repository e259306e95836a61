/**
 * <pd-pbkdf2-form>: what to derive — (password, salt) pairs pasted or read from a file (CSV
 * with a `password,salt` header, or JSONL), the iteration count and the key length. The text
 * is parsed on submit; a problem is shown with its line. Fires `run` with a Pbkdf2Request.
 */
import { LitElement, css, html } from 'lit';
import {
  MAX_ITERATIONS,
  MAX_KEY_LENGTH,
  paramsForPairs,
  type Pbkdf2Params,
} from '../../kernels/pbkdf2/meta.ts';
import { parsePairs, type Pair, type PairsFormat } from '../../kernels/pbkdf2/pairs.ts';
import { isPdError } from '../protocol/errors.ts';
import { sharedStyles } from './styles.ts';

/** A job as the form asks for it: the text as submitted, and what it was parsed into. */
export interface Pbkdf2Request {
  text: string;
  format: PairsFormat;
  pairs: Pair[];
  params: Pbkdf2Params;
}

const PLACEHOLDER = `password,salt
hunter2,NaCl
"with, comma",pepper

or JSONL: {"password": "hunter2", "salt": "NaCl"}`;

/** A parse or validation error as a person reads it: "Line 3: …" when it has a line. */
export function describeInputError(err: unknown): string {
  if (isPdError(err) && typeof err.details === 'object') {
    const { line, reason } = err.details as { line?: unknown; reason?: unknown };
    if (typeof reason === 'string')
      return typeof line === 'number' ? `Line ${line}: ${reason}` : reason;
  }
  return err instanceof Error ? err.message : String(err);
}

export class Pbkdf2Form extends LitElement {
  static override properties = {
    busy: { type: Boolean },
    text: { state: true },
    iterations: { state: true },
    keyLength: { state: true },
    problem: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      form {
        display: grid;
        gap: 0.6rem;
      }
      textarea {
        font:
          0.9em/1.4 ui-monospace,
          monospace;
        min-height: 9rem;
        resize: vertical;
        padding: 0.5em 0.7em;
        border-radius: 8px;
        border: 1px solid var(--pd-border);
        background: var(--pd-surface);
        color: var(--pd-fg);
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6rem 1rem;
        align-items: end;
      }
      input[type='number'] {
        width: 8rem;
      }
    `,
  ];

  declare busy: boolean;
  declare text: string;
  declare iterations: number;
  declare keyLength: number;
  declare problem: string;

  constructor() {
    super();
    this.busy = false;
    this.text = '';
    this.iterations = 100_000;
    this.keyLength = 32;
    this.problem = '';
  }

  override render() {
    return html`<form @submit=${this.submit}>
      <textarea
        aria-label="Password list"
        placeholder=${PLACEHOLDER}
        spellcheck="false"
        .value=${this.text}
        @input=${(e: Event) => (this.text = (e.target as HTMLTextAreaElement).value)}
      ></textarea>
      <div class="row">
        <label class="field"
          >Or read a file (.csv, .jsonl)
          <input
            type="file"
            aria-label="Password list file"
            accept=".csv,.jsonl,.txt,text/csv,application/x-ndjson"
            @change=${this.readFile}
        /></label>
        <label class="field"
          >Iterations
          <input
            type="number"
            aria-label="Iterations"
            min="1"
            max=${MAX_ITERATIONS}
            .value=${String(this.iterations)}
            @input=${(e: Event) => (this.iterations = Number((e.target as HTMLInputElement).value))}
        /></label>
        <label class="field"
          >Key length (bytes)
          <input
            type="number"
            aria-label="Key length"
            min="1"
            max=${MAX_KEY_LENGTH}
            .value=${String(this.keyLength)}
            @input=${(e: Event) => (this.keyLength = Number((e.target as HTMLInputElement).value))}
        /></label>
        <button class="primary" type="submit" ?disabled=${this.busy}>Derive keys</button>
      </div>
      ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : ''}
    </form>`;
  }

  private async readFile(event: Event): Promise<void> {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (!file) return;
    this.text = await file.text();
    this.problem = '';
  }

  private submit(event: SubmitEvent): void {
    event.preventDefault();
    const { iterations, keyLength } = this;
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
      return void (this.problem = `Iterations must be a whole number from 1 to ${MAX_ITERATIONS}.`);
    }
    if (!Number.isInteger(keyLength) || keyLength < 1 || keyLength > MAX_KEY_LENGTH) {
      return void (this.problem = `The key length must be 1 to ${MAX_KEY_LENGTH} bytes.`);
    }
    let detail: Pbkdf2Request;
    try {
      const { format, pairs } = parsePairs(this.text);
      detail = {
        text: this.text,
        format,
        pairs,
        params: paramsForPairs(pairs, { iterations, keyLength }),
      };
    } catch (err) {
      return void (this.problem = describeInputError(err));
    }
    this.problem = '';
    this.dispatchEvent(new CustomEvent('run', { detail, bubbles: true, composed: true }));
  }
}

customElements.define('pd-pbkdf2-form', Pbkdf2Form);

declare global {
  interface HTMLElementTagNameMap {
    'pd-pbkdf2-form': Pbkdf2Form;
  }
}
