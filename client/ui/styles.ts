/** Styles shared by the elements: buttons, cards and the colour scheme. */
import { css } from 'lit';

export const sharedStyles = css`
  :host {
    color: var(--pd-fg);
    font:
      15px/1.45 system-ui,
      -apple-system,
      'Segoe UI',
      Roboto,
      sans-serif;
  }
  button {
    font: inherit;
    padding: 0.55em 1.1em;
    border-radius: 8px;
    border: 1px solid var(--pd-border);
    background: var(--pd-surface-2);
    color: var(--pd-fg);
    cursor: pointer;
  }
  button.primary {
    background: var(--pd-accent);
    border-color: var(--pd-accent);
    color: #fff;
    font-weight: 600;
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  input {
    font: inherit;
    padding: 0.5em 0.7em;
    border-radius: 8px;
    border: 1px solid var(--pd-border);
    background: var(--pd-surface);
    color: var(--pd-fg);
  }
  .card {
    background: var(--pd-surface);
    border: 1px solid var(--pd-border);
    border-radius: 14px;
    padding: 1.25rem;
  }
  .muted {
    color: var(--pd-muted);
  }
  .error {
    color: var(--pd-error);
  }
  /* A form of labelled fields in a row that wraps. */
  form.fields {
    display: flex;
    flex-wrap: wrap;
    gap: 0.6rem 1rem;
    align-items: end;
  }
  label.field {
    display: grid;
    gap: 0.25rem;
    font-size: 0.9em;
  }
  /* A row of controls: a panel's buttons and toggles. */
  .bar {
    display: flex;
    gap: 0.8rem 1.2rem;
    align-items: center;
    flex-wrap: wrap;
    margin: 0.8rem 0;
  }
`;
