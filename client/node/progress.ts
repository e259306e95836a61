/**
 * Progress of a job in a terminal: a bar (cli-progress) when stderr is a TTY, otherwise a
 * plain line every few seconds and at every tenth of the job, so logs stay readable.
 */
import { SingleBar } from 'cli-progress';

export interface ProgressState {
  done: number;
  total: number;
  /** Work units per second so far, e.g. megapixels/s, with its unit. */
  rate?: { value: number; unit: string };
  peers: number;
}

export interface ProgressView {
  update(state: ProgressState): void;
  stop(): void;
}

export function createProgressView(
  out: (line: string) => void,
  tty = Boolean(process.stderr.isTTY),
): ProgressView {
  if (tty) {
    const bar = new SingleBar({
      format:
        ' {bar} {percentage}% | {value}/{total} chunks | {rate} | {peers} peers | ETA {eta_formatted}',
      hideCursor: true,
      stream: process.stderr,
      etaBuffer: 20,
    });
    let started = false;
    return {
      update(state) {
        const payload = {
          rate: state.rate ? `${state.rate.value.toFixed(1)} ${state.rate.unit}` : '',
          peers: state.peers,
        };
        if (!started) {
          bar.start(state.total, state.done, payload);
          started = true;
        } else {
          bar.setTotal(state.total);
          bar.update(state.done, payload);
        }
      },
      stop: () => bar.stop(),
    };
  }
  let lastAt = 0;
  let lastTenth = -1;
  return {
    update(state) {
      const tenth = state.total ? Math.floor((10 * state.done) / state.total) : 0;
      const now = Date.now();
      if (tenth === lastTenth && now - lastAt < 5000) return;
      lastTenth = tenth;
      lastAt = now;
      const percent = state.total ? Math.floor((100 * state.done) / state.total) : 0;
      const rate = state.rate ? `, ${state.rate.value.toFixed(1)} ${state.rate.unit}` : '';
      out(
        `progress: ${state.done}/${state.total} chunks (${percent}%)${rate}, ${state.peers} peers`,
      );
    },
    stop() {},
  };
}
