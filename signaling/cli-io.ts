/**
 * Where commands write, so that tests can capture their output instead of the terminal.
 */

/** Output streams of a command. */
export interface CliIo {
  out(text: string): void;
  error(text: string): void;
}

/** The real terminal. */
export const consoleIo: CliIo = {
  out: (text) => console.log(text),
  error: (text) => console.error(text),
};
