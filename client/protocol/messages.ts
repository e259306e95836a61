/**
 * Messages between peers over their data channel: the JSON header of a frame (see
 * frame.ts), keyed by `type`. Every header is validated here before any logic sees it.
 * Realm-neutral: used by browser tabs, workers and headless Node peers.
 */
import * as v from 'valibot';
import { jobSchemas } from '../scheduler/job-messages.ts';
import { PdError } from './errors.ts';

/** Version of the peer protocol; a `hello` with another major `v` is refused. */
export const PEER_PROTOCOL_VERSION = 1;

const id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/));
const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const time = v.pipe(v.number(), v.finite());

const device = v.object({
  cores: v.pipe(count, v.maxValue(1024)),
  memoryGiB: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1 << 20))),
  userAgent: v.pipe(v.string(), v.maxLength(512)),
  benchmark: v.optional(v.pipe(v.number(), v.finite())),
});

/** First frame on a new channel: who I am. The receiver checks `peerId` against the link. */
const hello = v.object({
  type: v.literal('hello'),
  v: v.number(),
  peerId: id,
  name: v.pipe(v.string(), v.maxLength(64)),
  device,
  donatedCores: v.pipe(count, v.maxValue(1024)),
});

/** Sent every second both ways; the receiver answers with `heartbeat-ack` to measure RTT. */
const heartbeat = v.object({
  type: v.literal('heartbeat'),
  v: v.number(),
  seq: count,
  sentAt: time,
  /** Chunks queued on the sender (gossiped for work stealing). */
  queueLength: v.optional(count),
  busyWorkers: v.optional(count),
  chunksDone: v.optional(count),
});

const heartbeatAck = v.object({
  type: v.literal('heartbeat-ack'),
  v: v.number(),
  seq: count,
  /** The `sentAt` of the heartbeat being answered, echoed so the sender needs no table. */
  echoSentAt: time,
});

/** A link test: the body is `bytes` random bytes whose SHA-256 is `sha256`. */
const probe = v.object({
  type: v.literal('probe'),
  v: v.number(),
  probeId: id,
  bytes: count,
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
});

const probeResult = v.object({
  type: v.literal('probe-result'),
  v: v.number(),
  probeId: id,
  ok: v.boolean(),
  bytes: count,
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{0,64}$/)),
});

/** Tells the sender that one of its frames was refused, and why. */
const error = v.object({
  type: v.literal('error'),
  v: v.number(),
  code: v.pipe(v.string(), v.maxLength(64)),
  message: v.pipe(v.string(), v.maxLength(1024)),
});

const schemas = {
  hello,
  heartbeat,
  'heartbeat-ack': heartbeatAck,
  probe,
  'probe-result': probeResult,
  error,
  // The scheduler's messages (job-announce, chunk-assign, …) are defined beside the scheduler.
  ...jobSchemas,
} as const;

type Schemas = typeof schemas;
/** Every message type a peer understands. */
export type PeerMessageType = keyof Schemas;
/** The validated header of a frame, discriminated by `type`. */
export type PeerMessage = { [K in PeerMessageType]: v.InferOutput<Schemas[K]> }[PeerMessageType];
/** The message of one type. */
export type PeerMessageOf<K extends PeerMessageType> = v.InferOutput<Schemas[K]>;
/** What a sender writes: a message without the version, which `withVersion` adds. */
export type OutgoingMessage = {
  [K in PeerMessageType]: Omit<PeerMessageOf<K>, 'v'>;
}[PeerMessageType];

/** Adds the protocol version to an outgoing message. */
export function withVersion<M extends OutgoingMessage>(message: M): M & { v: number } {
  return { ...message, v: PEER_PROTOCOL_VERSION };
}

/**
 * Validates a decoded frame header. Throws PdError `message-unknown-type` or
 * `message-invalid` (with the first issue's path), and nothing else whatever the header, so
 * the caller can count it and answer with an `error` frame.
 */
export function parsePeerMessage(header: unknown): PeerMessage {
  const type = (header as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !Object.hasOwn(schemas, type)) {
    // Named by its kind unless a primitive: String() of an array nested ten thousand deep
    // overflows the stack, and of a long one builds a string as long.
    const shown = typeof type === 'object' && type !== null ? typeof type : String(type);
    throw new PdError('message-unknown-type', shown.slice(0, 64));
  }
  let result;
  try {
    result = v.safeParse(schemas[type as PeerMessageType], header);
  } catch (err) {
    // A check may throw on hostile input that JSON.parse accepted, e.g. boundedJson's
    // JSON.stringify overflows the stack on a `params` nested ten thousand arrays deep.
    throw new PdError('message-invalid', `${type}: ${String(err).slice(0, 256)}`);
  }
  if (!result.success) {
    const issue = result.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
    throw new PdError('message-invalid', `${type}${path ? `.${path}` : ''}: ${issue.message}`);
  }
  return result.output as PeerMessage;
}
