/**
 * Frames over one reliable, ordered data channel: fragments big bodies to the channel's
 * message size, keeps the channel's send buffer between two water marks, lets control frames
 * overtake queued bulk fragments, and reassembles what arrives. It depends only on the tiny
 * `ChannelLike` interface (an RTCDataChannel is one), never on WebRTC itself.
 */
import { PdError, isPdError } from '../protocol/errors.ts';
import {
  FRAGMENT_HEADER_BYTES,
  FrameAssembler,
  encodeCancelFragment,
  fragmentFrame,
  packedFragmentLength,
  type Frame,
  type FrameAssemblerLimits,
} from '../protocol/frame.ts';
import { FLAG_PACKED } from '../protocol/frame-layout.ts';

/** What FramedChannel needs from a channel. An open RTCDataChannel satisfies it as it is. */
export interface ChannelLike {
  /** Sends one message; throws if the channel is not open. */
  send(data: Uint8Array<ArrayBuffer>): void;
  /** Bytes handed to `send` and not yet transmitted. */
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  addEventListener(type: 'bufferedamountlow', listener: () => void): void;
  removeEventListener(type: 'bufferedamountlow', listener: () => void): void;
}

/** Options of a FramedChannel; the assembler limits bound what the remote may make us hold. */
export interface FramedChannelOptions extends FrameAssemblerLimits {
  /**
   * Largest message to hand the channel, fragment header included: pass
   * `fragmentSizeFor(pc.sctp?.maxMessageSize)`. Default 32 KiB.
   */
  maxMessageSize?: number;
  /**
   * Stop handing fragments to the channel at this many buffered bytes; default
   * `DEFAULT_HIGH_WATER_MARK`, 64 KiB (see there for why so little).
   */
  highWaterMark?: number;
  /** Resume when the buffer drains to this many bytes; default half the high-water mark. */
  lowWaterMark?: number;
  /**
   * How queued frames are handed to the channel after a `send`: frames queued before it runs
   * go out together, small ones packed into one channel message (see frame-layout.ts). By
   * default `setImmediate` where there is one (Node: frames queued while handling one poll of
   * events, e.g. several workers' results, share a message) and a microtask elsewhere.
   */
  schedule?: (flush: () => void) => void;
}

/** Control frames (heartbeats, small replies) go ahead of queued bulk fragments. */
export type FramePriority = 'control' | 'bulk';

/** Options of one `send`. */
export interface FrameSendOptions {
  /** Default 'bulk'. Frames keep their order within a priority, not across priorities. */
  priority?: FramePriority;
  /** Aborting drops the frame's unsent fragments and rejects with `send-aborted`. */
  signal?: AbortSignal;
}

/** Counters of one FramedChannel, for metrics and tests. */
export interface FramedChannelStats {
  framesSent: number;
  framesReceived: number;
  /** Bytes handed to the channel, fragment headers included. */
  bytesSent: number;
  /** Raw bytes received, fragment headers included. */
  bytesReceived: number;
  /** Corrupt fragments received. */
  errors: number;
  /** Largest `bufferedAmount` seen right after a send. */
  maxBufferedAmount: number;
}

/**
 * Bytes kept queued in the channel at most (plus one fragment). A deep queue stalls Chromium:
 * whatever is queued, its SCTP stack sends in one burst as far as the congestion window
 * allows, and the renderer hands at most 64 KiB of packets at a time to the network service,
 * dropping the rest (kMaximumInFlightBytes in
 * third_party/blink/renderer/platform/p2p/ipc_socket_factory.cc, https://crbug.com/237960).
 * On a fresh connection the window grows until such bursts lose packets, and retransmission
 * timeouts then stall the link for seconds: with 4 MiB queued, the first 5 MiB on a new link
 * took 0.7–2.1 s (2.5–7 MB/s, against 20–29 MB/s once warm); with 64 KiB, 0.2–0.26 s. Control
 * frames wait behind this queue too, so it also bounds their delay.
 */
export const DEFAULT_HIGH_WATER_MARK = 64 * 1024;

/**
 * Fragments are at most this long, whatever the transport advertises: each `send` reaches the
 * SCTP stack as one burst (see DEFAULT_HIGH_WATER_MARK). Between two Chromium tabs 32 KiB did
 * better than 64 KiB with the 64 KiB queue, and between Node peers no worse
 * (bench/datachannel.ts). Every WebRTC stack takes messages of this size.
 */
const MAX_FRAGMENT_BYTES = 32 * 1024;

/**
 * The fragment size to use for a channel whose transport advertises `advertised` (pass
 * `pc.sctp?.maxMessageSize`): 32 KiB, or less where the transport takes less. Firefox
 * advertises 1 GiB and a remote `max-message-size:0` reads as Infinity; unknown (no `sctp`
 * yet, or an implementation without it) means the 32 KiB every stack takes.
 */
export function fragmentSizeFor(advertised: number | null | undefined): number {
  if (typeof advertised !== 'number' || !(advertised > 0)) return MAX_FRAGMENT_BYTES;
  return Math.min(Math.floor(advertised), MAX_FRAGMENT_BYTES);
}

/** The fragments of one frame (or one cancel fragment) waiting for the channel. */
interface Outgoing {
  messageId: number;
  count: number;
  /** A whole frame in one fragment of this many bytes, which may share a message; else 0. */
  packable: number;
  fragment(index: number): Uint8Array<ArrayBuffer>;
  next: number;
  /** Absent for cancel fragments, which nobody awaits. */
  settle?: { resolve(): void; reject(err: PdError): void };
  detach?(): void;
}

/**
 * Sends and receives frames over one channel. The owner of the channel feeds every incoming
 * message to `receive` and calls `close` when the channel closes.
 */
export class FramedChannel {
  /** Live counters; read them, do not write them. */
  readonly stats: FramedChannelStats = {
    framesSent: 0,
    framesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    errors: 0,
    maxBufferedAmount: 0,
  };
  readonly #channel: ChannelLike;
  readonly #assembler: FrameAssembler;
  readonly #maxMessageSize: number;
  readonly #highWaterMark: number;
  readonly #control: Outgoing[] = [];
  readonly #bulk: Outgoing[] = [];
  readonly #frameListeners = new Set<(frame: Frame) => void>();
  readonly #errorListeners = new Set<(error: PdError) => void>();
  readonly #resume = (): void => this.#pump();
  readonly #schedule: (flush: () => void) => void;
  #scheduled = false;
  #nextMessageId = 0;
  #closed = false;

  constructor(channel: ChannelLike, options: FramedChannelOptions = {}) {
    this.#channel = channel;
    this.#maxMessageSize = options.maxMessageSize ?? MAX_FRAGMENT_BYTES;
    if (!Number.isInteger(this.#maxMessageSize) || this.#maxMessageSize <= FRAGMENT_HEADER_BYTES) {
      throw new RangeError(`maxMessageSize must be an integer above ${FRAGMENT_HEADER_BYTES}`);
    }
    this.#highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    const lowWaterMark = options.lowWaterMark ?? Math.floor(this.#highWaterMark / 2);
    // 'bufferedamountlow' fires only when the buffer falls to the threshold from above, so a
    // pause at the high mark resumes only if the low mark lies strictly below it.
    if (!(lowWaterMark >= 0 && lowWaterMark < this.#highWaterMark)) {
      throw new RangeError('lowWaterMark must be at least 0 and below highWaterMark');
    }
    this.#assembler = new FrameAssembler(options);
    this.#schedule = options.schedule ?? defaultSchedule;
    channel.bufferedAmountLowThreshold = lowWaterMark;
    channel.addEventListener('bufferedamountlow', this.#resume);
  }

  /** True once `close` ran or the channel refused a send. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues `frame`; resolves when its last fragment was handed to the channel (not when the
   * remote got it). Rejects with `send-aborted` or `channel-closed`. The body is read as it is
   * sent, so it must not change until the promise settles.
   */
  send(frame: Frame, options: FrameSendOptions = {}): Promise<void> {
    const { priority = 'bulk', signal } = options;
    if (this.#closed) return Promise.reject(new PdError('channel-closed'));
    if (signal?.aborted) return Promise.reject(new PdError('send-aborted', String(signal.reason)));
    let fragments;
    try {
      fragments = fragmentFrame(frame, this.#nextMessageId, this.#maxMessageSize);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#nextMessageId = (this.#nextMessageId + 1) >>> 0;
    const queue = priority === 'control' ? this.#control : this.#bulk;
    return new Promise<void>((resolve, reject) => {
      const outgoing: Outgoing = {
        messageId: fragments.messageId,
        count: fragments.count,
        packable: fragments.count === 1 ? FRAGMENT_HEADER_BYTES + fragments.total : 0,
        fragment: (index) => fragments.fragment(index),
        next: 0,
        settle: { resolve, reject },
      };
      if (signal) {
        const onAbort = (): void => this.#abort(outgoing, queue, signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        outgoing.detach = () => signal.removeEventListener('abort', onAbort);
      }
      queue.push(outgoing);
      this.#schedulePump();
    });
  }

  /**
   * Feeds one raw incoming message. Complete frames go to `onFrame` listeners; corrupt input
   * is counted in `stats.errors` and goes to `onError` listeners. Never throws. Keeps views of
   * `data`, so the caller must not reuse its buffer (a data channel's messages are fresh).
   */
  receive(data: ArrayBuffer | Uint8Array): void {
    if (this.#closed) return;
    const bytes = ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);
    this.stats.bytesReceived += bytes.byteLength;
    // One message may pack several whole frames; a broken one does not cost the others.
    for (let offset = 0; offset < bytes.byteLength || offset === 0;) {
      let frame: Frame | undefined;
      let length: number;
      try {
        length = packedFragmentLength(bytes, offset);
      } catch (err) {
        return this.#failed(err); // where the next fragment starts is unknown
      }
      try {
        frame = this.#assembler.push(bytes.subarray(offset, offset + length));
      } catch (err) {
        this.#failed(err);
      }
      offset += Math.max(length, 1);
      if (frame === undefined) continue;
      this.stats.framesReceived++;
      for (const listener of [...this.#frameListeners]) callListener(listener, frame);
    }
  }

  #failed(err: unknown): void {
    this.stats.errors++;
    const error = isPdError(err) ? err : new PdError('frame-bad-fragment', String(err));
    for (const listener of [...this.#errorListeners]) callListener(listener, error);
  }

  /** Calls `listener` with every complete incoming frame; returns the unsubscribe function. */
  onFrame(listener: (frame: Frame) => void): () => void {
    this.#frameListeners.add(listener);
    return () => this.#frameListeners.delete(listener);
  }

  /** Calls `listener` with every corrupt-input error; returns the unsubscribe function. */
  onError(listener: (error: PdError) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /**
   * Stops for good: rejects every queued send with `channel-closed` and ignores later input.
   * The channel itself belongs to the caller and stays as it is.
   */
  close(details?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#channel.removeEventListener('bufferedamountlow', this.#resume);
    const error = new PdError('channel-closed', details);
    for (const outgoing of this.#control.splice(0).concat(this.#bulk.splice(0))) {
      outgoing.detach?.();
      outgoing.settle?.reject(error);
    }
  }

  #schedulePump(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  /** Hands messages to the channel until the queues are empty or the buffer is full. */
  #pump(): void {
    while (!this.#closed) {
      if (this.#control.length === 0 && this.#bulk.length === 0) return;
      // Checked before each send, so the buffer tops out below the high mark plus one
      // message. Chromium closes a channel whose buffer would pass 16 MiB
      // (kMaxQueuedSendDataBytes in WebRTC's pc/sctp_data_channel.cc).
      if (this.#channel.bufferedAmount >= this.#highWaterMark) return; // 'bufferedamountlow' resumes
      const { message, finished } = this.#nextMessage();
      try {
        this.#channel.send(message);
      } catch (err) {
        for (const outgoing of finished) outgoing.settle?.reject(new PdError('channel-closed'));
        return this.close(`the channel refused a send: ${String(err)}`);
      }
      this.stats.bytesSent += message.byteLength;
      this.stats.maxBufferedAmount = Math.max(
        this.stats.maxBufferedAmount,
        this.#channel.bufferedAmount,
      );
      for (const outgoing of finished) {
        if (!outgoing.settle) continue;
        this.stats.framesSent++;
        outgoing.settle.resolve();
      }
    }
  }

  /**
   * The next channel message: the next fragment (control frames first), followed, when it is
   * a whole small frame, by as many of the next whole frames as fit in one message. Returns
   * the frames it completes, taken off their queues.
   */
  #nextMessage(): { message: Uint8Array<ArrayBuffer>; finished: Outgoing[] } {
    const parts: Uint8Array<ArrayBuffer>[] = [];
    const finished: Outgoing[] = [];
    let size = 0;
    for (;;) {
      const queue = this.#control.length > 0 ? this.#control : this.#bulk;
      const outgoing = queue[0];
      if (outgoing === undefined) break;
      const fits = outgoing.packable > 0 && size + outgoing.packable <= this.#maxMessageSize;
      if (parts.length > 0 && !fits) break;
      const fragment = outgoing.fragment(outgoing.next++);
      parts.push(fragment);
      size += fragment.byteLength;
      if (outgoing.next === outgoing.count) {
        queue.shift();
        outgoing.detach?.();
        finished.push(outgoing);
      }
      if (!fits) break; // a fragment of a big frame, or a cancel, travels alone
    }
    if (parts.length === 1) return { message: parts[0]!, finished };
    const message = new Uint8Array(size);
    let at = 0;
    parts.forEach((part, i) => {
      message.set(part, at);
      if (i < parts.length - 1) message[at + 1]! |= FLAG_PACKED;
      at += part.byteLength;
    });
    return { message, finished };
  }

  #abort(outgoing: Outgoing, queue: Outgoing[], reason: unknown): void {
    const at = queue.indexOf(outgoing);
    if (at < 0) return; // already sent or rejected
    queue.splice(at, 1);
    outgoing.settle?.reject(new PdError('send-aborted', String(reason)));
    if (outgoing.next === 0) return;
    // The remote holds the fragments sent so far; tell it to let go of them. Queued like any
    // control frame, so it too waits for room in the buffer.
    const cancel = encodeCancelFragment(outgoing.messageId);
    this.#control.push({
      messageId: outgoing.messageId,
      count: 1,
      packable: 0,
      fragment: () => cancel,
      next: 0,
    });
    this.#schedulePump();
  }
}

/** setImmediate in Node (its check phase follows a whole poll of events), else a microtask. */
function defaultSchedule(flush: () => void): void {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown })
    .setImmediate;
  if (immediate) immediate(flush);
  else queueMicrotask(flush);
}

/**
 * A throwing listener must neither break the channel nor stop the other listeners; its error
 * is logged, as emitter.ts does, rather than crash a headless peer.
 */
function callListener<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (err) {
    console.error('a FramedChannel listener threw', err);
  }
}
