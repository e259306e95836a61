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
