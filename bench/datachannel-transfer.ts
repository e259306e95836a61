/**
 * One timed bulk transfer between two members of a room, run in the sender's and the
 * receiver's own realm: directly in Node, or in a page through Playwright's `evaluate`, which
 * ships a function's source text. So these functions reach nothing outside their own body
 * (no imports at run time, no module-level values) and declare no named inner functions,
 * which tsx would wrap in a helper the page lacks.
 *
 * The body goes as job data does (`blob-bytes`, priority bulk, through RoomSession → PeerLink
 * → FramedChannel); the receiver answers with a `blob-missing` of the same hash, a control
 * frame, and the sender times from its `send` call to that answer, on its own clock.
 */
import type { Transport } from '../client/mesh/transport.ts';

/** What a transfer needs from a member: its side of the room (a RoomSession). */
export type BenchMember = Pick<Transport, 'send' | 'onMessage'>;

/** Every bench transfer's hash starts with this, so nothing else is answered or timed. */
const MARKER_PREFIX = 'be7c';

/** A valid SHA-256-shaped id for transfer `index` (the schema takes 64 hex digits). */
export function transferMarker(index: number): string {
  return `${MARKER_PREFIX}${index.toString(16).padStart(8, '0')}`.padEnd(64, '0');
}

/**
 * Makes `member` answer every complete bench body with a `blob-missing` of its hash. The app's
 * own blob handling ignores both messages (nobody asked for these blobs). Returns the stop
 * function.
 */
export function answerBenchTransfers(member: BenchMember): () => void {
  return member.onMessage((event) => {
    const { message, body } = event;
    // MARKER_PREFIX, spelled out: module-level values do not reach a page.
    if (message.type !== 'blob-bytes' || !message.sha256.startsWith('be7c')) return;
    if (body?.byteLength !== message.bytes) return; // the sender times out and says so
    member
      .send(event.from, { type: 'blob-missing', sha256: message.sha256 }, undefined, {
        priority: 'control',
      })
      .catch(() => {});
  });
}

/** Arguments of `timedSend`, one tuple so that Playwright can pass it (with handles) as one. */
export type TimedSendArgs = readonly [
  member: BenchMember,
  to: string,
  body: Uint8Array,
  marker: string,
  timeoutMs: number,
];

/** Sends `body` to `to` and resolves with the ms until its answer; rejects after timeoutMs. */
export function timedSend([member, to, body, marker, timeoutMs]: TimedSendArgs): Promise<number> {
  const started = performance.now();
  return new Promise<number>((resolve, reject) => {
    const stop = member.onMessage((event) => {
      if (event.from !== to || event.message.type !== 'blob-missing') return;
      if (event.message.sha256 !== marker) return;
      clearTimeout(timer);
      stop();
      resolve(performance.now() - started);
    });
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${body.byteLength} B to ${to}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    member
      .send(to, { type: 'blob-bytes', sha256: marker, bytes: body.byteLength }, body, {
        priority: 'bulk',
      })
      .catch((err: unknown) => {
        clearTimeout(timer);
        stop();
        reject(err instanceof Error ? err : new Error(String(err)));
      });
  });
}

/** `length` random bytes (getRandomValues fills at most 64 KiB per call). */
export function randomBody(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += 65536) {
    crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65536)));
  }
  return out;
}
