/**
 * Puts fragments (frame-layout.ts) back together into frames. The input is untrusted: every
 * check failure throws a PdError with a `frame-*` code and forgets that message's partial
 * state, so that one corrupt message never wedges the messages after it.
 */
import { PdError } from './errors.ts';
import type { Frame, FrameHeader } from './frame.ts';
import {
  FLAG_CANCEL,
  FLAG_HAS_BODY,
  FLAG_PACKED,
  FRAGMENT_HEADER_BYTES,
  FRAME_VERSION,
  KNOWN_FLAGS,
  readFragmentHeader,
  type FragmentHeader,
} from './frame-layout.ts';

/** Limits that keep a faulty or hostile peer from exhausting memory. */
export interface FrameAssemblerLimits {
  /** Largest logical message accepted; default 256 MiB. */
  maxMessageBytes?: number;
  /** Most messages partly received at once; default 64. */
  maxPendingMessages?: number;
  /**
   * Most bytes announced by partly received messages together; default twice
   * `maxMessageBytes`, so one maximal message still leaves room for smaller ones beside it.
   */
  maxPendingBytes?: number;
}

interface PendingMessage {
  flags: number;
  count: number;
  total: number;
  next: number;
  received: number;
  parts: Uint8Array[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Reassembles frames from fragments. Fragments of different messages may interleave (a sender
 * slips control frames between the fragments of a big body); the fragments of one message must
 * come in order, as an ordered reliable channel delivers them, and anything else is rejected.
 */
export class FrameAssembler {
  readonly #maxMessageBytes: number;
  readonly #maxPendingMessages: number;
  readonly #maxPendingBytes: number;
  readonly #pending = new Map<number, PendingMessage>();
  /** Ids of rejected messages whose remaining fragments are dropped without another error. */
  readonly #discarding = new Set<number>();
  #pendingBytes = 0;

  constructor(limits: FrameAssemblerLimits = {}) {
    this.#maxMessageBytes = limits.maxMessageBytes ?? 256 * 1024 * 1024;
    this.#maxPendingMessages = limits.maxPendingMessages ?? 64;
    this.#maxPendingBytes = limits.maxPendingBytes ?? 2 * this.#maxMessageBytes;
  }

  /** Messages partly received now. */
  get pendingMessages(): number {
    return this.#pending.size;
  }

  /**
   * Bytes announced by the messages partly received now: at most `maxPendingBytes`, and at
   * least what their fragments received so far hold.
   */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /**
   * Takes one fragment; returns the frame it completes, if any. Throws a PdError on corrupt
   * input. The assembler keeps views of `fragment` instead of copying it (a single-fragment
   * frame's body is such a view), so the caller must not reuse the fragment's buffer.
   */
  push(fragment: Uint8Array): Frame | undefined {
    if (fragment.byteLength < FRAGMENT_HEADER_BYTES) {
      throw new PdError('frame-too-short', { bytes: fragment.byteLength });
    }
    const header = readFragmentHeader(fragment);
    const { version, flags, reserved, messageId } = header;
    // A different version may lay out even the id differently, so no state is touched here.
    if (version !== FRAME_VERSION || (flags & ~KNOWN_FLAGS) !== 0 || reserved !== 0) {
      throw new PdError('frame-bad-version', { version, flags, reserved });
    }
    const payload = fragment.subarray(FRAGMENT_HEADER_BYTES);
    try {
      return this.#accept(header, payload);
    } catch (err) {
      this.#forget(messageId);
      // Later fragments of the rejected message would each fail again; one error is enough.
      if (header.index < header.count - 1) this.#discard(messageId);
      throw err;
    }
  }

  #accept(header: FragmentHeader, payload: Uint8Array): Frame | undefined {
    const { flags, messageId, index, count, total } = header;
    if (flags & FLAG_CANCEL) {
      if (payload.byteLength !== 0) throw badFragment('cancel with a payload', header);
      this.#forget(messageId);
      this.#discarding.delete(messageId);
      return undefined;
    }
    // Every fragment carries at least one byte, so count ≤ total bounds the count.
    if (count === 0 || index >= count || payload.byteLength === 0 || count > total) {
      throw badFragment('index, count or length out of range', header);
    }
    if (flags & FLAG_PACKED && count !== 1) throw badFragment('packed but not whole', header);
    const pending = this.#pending.get(messageId);
    if (index > 0 && pending === undefined) {
      if (!this.#discarding.has(messageId)) throw badFragment('no first fragment', header);
      if (index === count - 1) this.#discarding.delete(messageId);
      return undefined;
    }
    if (total > this.#maxMessageBytes) {
      throw new PdError('frame-too-large', { bytes: total, max: this.#maxMessageBytes });
    }
    if (index === 0) return this.#start(header, payload, pending !== undefined);

    const message = pending as PendingMessage;
    if (index !== message.next || count !== message.count || total !== message.total) {
      throw badFragment('out of order or inconsistent with its first fragment', header);
    }
    if (flags !== message.flags) throw badFragment('flags differ from the first fragment', header);
    message.received += payload.byteLength;
    const last = index === count - 1;
    if (last ? message.received !== total : message.received >= total) {
      throw badFragment('fragments do not add up to the announced length', header);
    }
    message.parts.push(payload);
    message.next++;
    if (!last) return undefined;
    this.#forget(messageId);
    return decodeMessage(concat(message.parts, total), flags);
  }

  #start(header: FragmentHeader, payload: Uint8Array, idInUse: boolean): Frame | undefined {
    const { flags, messageId, count, total } = header;
    this.#discarding.delete(messageId);
    if (idInUse) throw badFragment('message id reused before its last fragment', header);
    if (count === 1) {
      if (payload.byteLength !== total) throw badFragment('length mismatch', header);
      return decodeMessage(payload, flags);
    }
    if (payload.byteLength >= total) throw badFragment('more fragments than bytes', header);
    if (this.#pending.size >= this.#maxPendingMessages) {
      throw new PdError('frame-too-many-pending', { messages: this.#pending.size });
    }
    if (this.#pendingBytes + total > this.#maxPendingBytes) {
      throw new PdError('frame-too-many-pending', { bytes: this.#pendingBytes + total });
    }
    this.#pending.set(messageId, {
      flags,
      count,
      total,
      next: 1,
      received: payload.byteLength,
      parts: [payload],
    });
    this.#pendingBytes += total;
    return undefined;
  }

  #forget(messageId: number): void {
    const message = this.#pending.get(messageId);
    if (message === undefined) return;
    this.#pending.delete(messageId);
    this.#pendingBytes -= message.total;
  }

  #discard(messageId: number): void {
    this.#discarding.add(messageId);
    // Bounded so a stream of broken first fragments cannot grow it; the oldest goes first.
    if (this.#discarding.size > this.#maxPendingMessages) {
      this.#discarding.delete(this.#discarding.values().next().value as number);
    }
  }
}

function badFragment(reason: string, header: FragmentHeader): PdError {
  const { messageId, index, count, total } = header;
  return new PdError('frame-bad-fragment', { reason, messageId, index, count, total });
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** Splits a complete logical message into its JSON header and body. */
function decodeMessage(message: Uint8Array, flags: number): Frame {
  if (message.byteLength < 4) throw new PdError('frame-bad-header', 'no header length');
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const headerLength = view.getUint32(0);
  if (headerLength > message.byteLength - 4) {
    throw new PdError('frame-bad-header', 'header length beyond the message');
  }
  let header: unknown;
  try {
    header = JSON.parse(decoder.decode(message.subarray(4, 4 + headerLength)));
  } catch (err) {
    throw new PdError('frame-bad-header', String(err));
  }
  if (!isFrameHeader(header)) throw new PdError('frame-bad-header', 'not an object with a type');
  const body = message.subarray(4 + headerLength);
  if (flags & FLAG_HAS_BODY) return { header, body };
  if (body.byteLength !== 0) {
    throw new PdError('frame-bad-fragment', 'body bytes without the body flag');
  }
  return { header };
}

function isFrameHeader(value: unknown): value is FrameHeader {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}
