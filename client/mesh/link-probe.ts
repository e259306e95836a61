/**
 * The link test: sends a body of random bytes to a peer, which hashes it and answers with
 * what it got. It proves a path end to end (framing, splitting, backpressure) and measures
 * its throughput.
 */
import { sha256Hex } from '../protocol/sha256.ts';
import type { PeerMessageOf } from '../protocol/messages.ts';
import type { IncomingMessage, Transport } from './transport.ts';

export interface ProbeResult {
  peerId: string;
  ok: boolean;
  bytes: number;
  ms: number;
  /** Megabytes (10^6 bytes) per second, from send start to the answer. */
  mbPerSecond: number;
  error?: string;
}

/** Fills `bytes` with random data (getRandomValues takes at most 64 KiB per call). */
export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(length, offset + 65536)));
  }
  return bytes;
}

/** Tracks probes sent and answers probes received, over one transport. */
export class LinkProber {
  private readonly pending = new Map<string, (answer: PeerMessageOf<'probe-result'>) => void>();

  constructor(private readonly transport: Transport) {}

  /** Call for every incoming message; returns true when it was a probe message. */
  handle(event: IncomingMessage): boolean {
    const { message } = event;
    if (message.type === 'probe') {
      void this.answer(event.from, message, event.body);
      return true;
    }
    if (message.type === 'probe-result') {
      this.pending.get(message.probeId)?.(message);
      return true;
    }
    return false;
  }

  /** Sends `bytes` random bytes to `peerId` and waits (up to `timeoutMs`) for its verdict. */
  async probe(peerId: string, bytes: number, timeoutMs = 60_000): Promise<ProbeResult> {
    const body = randomBytes(bytes);
    const sha256 = await sha256Hex(body);
    const probeId = `p${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const started = performance.now();
    const answer = new Promise<PeerMessageOf<'probe-result'>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer in time')), timeoutMs);
      this.pending.set(probeId, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
    });
    try {
      await this.transport.send(peerId, { type: 'probe', probeId, bytes, sha256 }, body, {
        priority: 'bulk',
      });
      const result = await answer;
      const ms = performance.now() - started;
      const ok = result.ok && result.sha256 === sha256 && result.bytes === bytes;
      return { peerId, ok, bytes, ms, mbPerSecond: bytes / 1e6 / (ms / 1000) };
    } catch (err) {
      const ms = performance.now() - started;
      return { peerId, ok: false, bytes, ms, mbPerSecond: 0, error: String(err) };
    } finally {
      this.pending.delete(probeId);
    }
  }

  private async answer(
    from: string,
    probe: PeerMessageOf<'probe'>,
    body?: Uint8Array,
  ): Promise<void> {
    const received = body ?? new Uint8Array(0);
    const sha256 = await sha256Hex(received);
    const ok = received.byteLength === probe.bytes && sha256 === probe.sha256;
    await this.transport
      .send(
        from,
        { type: 'probe-result', probeId: probe.probeId, ok, bytes: received.byteLength, sha256 },
        undefined,
        {
          priority: 'control',
        },
      )
      .catch(() => {});
  }
}
