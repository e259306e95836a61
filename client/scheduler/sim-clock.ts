/**
 * A simulated clock for discrete-event simulations: callbacks run in time order, and those due
 * at the same time in the order they were scheduled (so a zero-latency channel stays ordered).
 * Time only moves when `run` moves it. Realm-neutral.
 */
import type { DeliveryClock } from '../mesh/memory-transport.ts';

interface Entry {
  at: number;
  seq: number;
  run: () => void;
}

export class SimClock implements DeliveryClock {
  private current = 0;
  private seq = 0;
  private readonly heap: Entry[] = [];

  get now(): number {
    return this.current;
  }

  schedule(delayMs: number, run: () => void): void {
    this.scheduleAt(this.current + Math.max(0, delayMs), run);
  }

  scheduleAt(at: number, run: () => void): void {
    this.push({ at: Math.max(at, this.current), seq: this.seq++, run });
  }

  /** Calls `run` every `periodMs` from `firstAt` while `alive()` says so. */
  every(periodMs: number, firstAt: number, run: () => void, alive: () => boolean): void {
    const step = (): void => {
      if (!alive()) return;
      run();
      this.schedule(periodMs, step);
    };
    this.scheduleAt(firstAt, step);
  }

  /** Runs callbacks until `done()` holds, nothing is left, or time would pass `untilMs`. */
  run(untilMs: number, done: () => boolean = () => false): void {
    while (this.heap.length > 0 && !done()) {
      if (this.heap[0].at > untilMs) break;
      const entry = this.pop();
      this.current = entry.at;
      entry.run();
    }
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop() as Entry;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left], heap[smallest])) smallest = left;
        if (right < heap.length && before(heap[right], heap[smallest])) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
        i = smallest;
      }
    }
    return top;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
