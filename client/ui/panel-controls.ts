/** Controls every job panel shows in its bar: a labelled checkbox, and resume or discard. */
import { html, type TemplateResult } from 'lit';

/** A checkbox with its label, reporting each change to `set`. */
export function toggle(label: string, checked: boolean, set: (on: boolean) => void) {
  return html`<label
    ><input
      type="checkbox"
      .checked=${checked}
      @change=${(e: Event) => set((e.target as HTMLInputElement).checked)}
    />
    ${label}</label
  >`;
}

/** "Resume unfinished <what> (done / total chunks)", with "Discard it" when `discard` is given. */
export function resumeButtons(
  what: string,
  progress: { doneChunks: number; totalChunks: number },
  resume: () => void,
  discard?: () => void,
): TemplateResult {
  return html`<button class="primary" @click=${resume}>
      Resume unfinished ${what} (${progress.doneChunks} / ${progress.totalChunks} chunks)</button
    >${discard ? html`<button @click=${discard}>Discard it</button>` : ''}`;
}

/** The choices of result verification offered in the panels: off, a sample, or every chunk. */
const VERIFY_CHOICES: Array<[string, number]> = [
  ['off', 0],
  ['10 % of chunks', 0.1],
  ['half of the chunks', 0.5],
  ['every chunk', 1],
];

/**
 * "Verify results": the fraction of chunks run on a second peer to check them (see the
 * README's Verification); a peer caught returning wrong results is removed from the job.
 */
export function verifyChoice(value: number, set: (fraction: number) => void) {
  return html`<label
    title="Chunks checked on a second peer; a peer caught returning wrong results is removed"
    >Verify results
    <select
      aria-label="Verify results"
      @change=${(e: Event) => set(Number((e.target as HTMLSelectElement).value))}
    >
      ${VERIFY_CHOICES.map(
        ([label, fraction]) =>
          html`<option value=${fraction} ?selected=${fraction === value}>${label}</option>`,
      )}
    </select></label
  >`;
}
