/**
 * The scheduler's wire messages: the JSON headers of frames between a job's controller and its
 * peers, and between peers (stealing, load gossip). `jobSchemas` is spread into the peer
 * protocol's `schemas` table (client/protocol/messages.ts), so `parsePeerMessage` validates
 * every one of them at the boundary. Binary bodies (chunk results, kernel bytes) ride beside
 * the header. Chunk descriptors and job parameters travel as JSON of bounded size and are
 * validated later by the kernel's meta (`parseChunk`, `parseParams`). Realm-neutral.
 */
import * as v from 'valibot';

/** Chunks per job at most (chunk ids are 0 … MAX_CHUNKS_PER_JOB − 1). */
export const MAX_CHUNKS_PER_JOB = 1 << 20;
/** Chunks in one `chunk-assign`, `steal-grant`, `owner-changed` or `result-request` at most. */
export const MAX_CHUNKS_PER_MESSAGE = 4096;
/** Chunk ids listed in one `job-status` (held, buffered) at most; a peer truncates beyond. */
export const MAX_STATUS_CHUNKS = 16_384;
/** Peers named in a `chunk-assign`'s steal hint at most. */
export const MAX_STEAL_HINTS = 8;
/** Serialised size of one chunk descriptor at most, in characters of JSON. */
export const MAX_DESCRIPTOR_CHARS = 4096;
/** Serialised size of a job's parameters at most, in characters of JSON. */
export const MAX_PARAMS_CHARS = 64 * 1024;

const id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/));
const count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const chunkId = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_CHUNKS_PER_JOB - 1));
const sha256 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));
const reason = v.pipe(v.string(), v.maxLength(256));

/** JSON whose serialisation is at most `chars` characters long. */
function boundedJson(chars: number) {
  return v.pipe(
    v.unknown(),
    v.check((value) => {
      const text = JSON.stringify(value) as string | undefined;
      return text !== undefined && text.length <= chars;
    }, `must be JSON of at most ${chars} characters`),
  );
}

/**
 * A chunk as held by a peer. `moves` counts how often it has been handed to a peer (by the
 * controller or by a steal); it only grows, so the controller can order ownership news that
 * arrive over different channels.
 */
const chunkRef = v.object({ id: chunkId, moves: count });
const chunkRefs = (max: number) => v.pipe(v.array(chunkRef), v.maxLength(max));
const chunkIds = (max: number) => v.pipe(v.array(chunkId), v.maxLength(max));
const assignedChunks = v.pipe(
  v.array(v.object({ id: chunkId, moves: count, descriptor: boundedJson(MAX_DESCRIPTOR_CHARS) })),
  v.maxLength(MAX_CHUNKS_PER_MESSAGE),
);

function message<T extends string, E extends v.ObjectEntries>(type: T, entries: E) {
  return v.object({ type: v.literal(type), v: v.number(), ...entries });
}

/** Controller → peer: join this job (also re-sent after a reconnect or a controller restart). */
const jobAnnounce = message('job-announce', {
  jobId: id,
  kernel: v.pipe(v.string(), v.regex(/^[a-z0-9-]{1,64}$/)),
  sha256,
  params: boundedJson(MAX_PARAMS_CHARS),
  controllerId: id,
  /** Grows with every controller restart; older epochs are ignored. */
  epoch: count,
  chunkCount: v.pipe(count, v.maxValue(MAX_CHUNKS_PER_JOB)),
  /**
   * Jobs with input data: the SHA-256 of the job's blob manifest (a blob itself: JSON of
   * blob name → SHA-256), fetched with `blob-request` like every blob.
   */
  manifest: v.optional(sha256),
});

/** Controller → peer: these chunks are yours (possibly none, when the queue is empty). */
const chunkAssign = message('chunk-assign', {
  jobId: id,
  epoch: count,
  chunks: assignedChunks,
  /** Chunks still waiting at the controller after this batch. */
  remaining: count,
  /**
   * With an empty batch: the peers that own the most chunks by the controller's count, less
   * one per core (about what they are running), so the asker can steal at once rather than
   * wait for their gossip.
   */
  owners: v.optional(
    v.pipe(v.array(v.object({ peerId: id, chunks: count })), v.maxLength(MAX_STEAL_HINTS)),
  ),
});

/** Peer → controller: my deque runs low. The controller sizes the batch by throughput. */
const chunkRequest = message('chunk-request', {
  jobId: id,
  want: v.pipe(count, v.maxValue(MAX_CHUNKS_PER_MESSAGE)),
});

/** Peer → controller: the result of a chunk; the body holds the result bytes. */
const chunkResult = message('chunk-result', {
  jobId: id,
  chunkId,
  moves: count,
  computeMs: v.pipe(v.number(), v.finite(), v.minValue(0)),
  /** Bytes of input blobs this peer fetched over the network to run the chunk (0: it held them). */
  inputBytes: v.optional(count),
});

/** Peer → controller: computing a chunk failed (the kernel threw, or timed out). */
const chunkFailed = message('chunk-failed', { jobId: id, chunkId, moves: count, reason });

/** Idle peer → loaded peer: give me the older half of your unstarted chunks. */
const stealRequest = message('steal-request', { jobId: id });

/** Loaded peer → thief: the chunks now yours (possibly none), oldest first. */
const stealGrant = message('steal-grant', {
  jobId: id,
  chunks: assignedChunks,
  /** Unstarted chunks the victim keeps. */
  queued: count,
});

/**
 * Victim → controller: these chunks (with their new `moves`) now belong to `to`. The thief
 * sends the same (with `to` itself) once the grant arrived, to confirm it.
 */
const ownerChanged = message('owner-changed', {
  jobId: id,
  to: id,
  chunks: chunkRefs(MAX_CHUNKS_PER_MESSAGE),
});

/**
 * Peer → controller, in answer to every `job-announce` and when the controller is heard again
 * after a silence: the chunks I hold (queued or running) and the results I can deliver.
 */
const jobStatus = message('job-status', {
  jobId: id,
  epoch: count,
  held: chunkRefs(MAX_STATUS_CHUNKS),
  buffered: chunkIds(MAX_STATUS_CHUNKS),
});

/** Controller → peer: send me these buffered results. */
const resultRequest = message('result-request', {
  jobId: id,
  chunkIds: chunkIds(MAX_CHUNKS_PER_MESSAGE),
});

/** Peer → every peer: my queue length for a job, so idle peers know whom to rob. */
const jobLoad = message('job-load', { jobId: id, queued: count, running: count });

const jobCancel = message('job-cancel', { jobId: id, epoch: count });
const jobDone = message('job-done', { jobId: id, epoch: count });

/** Ask for a kernel's WebAssembly bytes by content hash. */
const kernelRequest = message('kernel-request', { sha256 });
/** A kernel's bytes in the body; the receiver checks the SHA-256 before compiling. */
const kernelBytes = message('kernel-bytes', { sha256, bytes: count });

/** Ask a peer for a blob of job data (or a manifest) by content hash. */
const blobRequest = message('blob-request', { sha256 });
/** A blob's bytes in the body; the receiver checks the SHA-256 before using them. */
const blobBytes = message('blob-bytes', { sha256, bytes: count });
/** The asked peer does not hold that blob: ask the next one. */
const blobMissing = message('blob-missing', { sha256 });

/** Every scheduler message, keyed by type (spread into the peer protocol's table). */
export const jobSchemas = {
  'job-announce': jobAnnounce,
  'chunk-assign': chunkAssign,
  'chunk-request': chunkRequest,
  'chunk-result': chunkResult,
  'chunk-failed': chunkFailed,
  'steal-request': stealRequest,
  'steal-grant': stealGrant,
  'owner-changed': ownerChanged,
  'job-status': jobStatus,
  'result-request': resultRequest,
  'job-load': jobLoad,
  'job-cancel': jobCancel,
  'job-done': jobDone,
  'kernel-request': kernelRequest,
  'kernel-bytes': kernelBytes,
  'blob-request': blobRequest,
  'blob-bytes': blobBytes,
  'blob-missing': blobMissing,
} as const;

type JobSchemas = typeof jobSchemas;
/** Every scheduler message type. */
export type JobMessageType = keyof JobSchemas;
/** A validated scheduler message of one type. */
export type JobMessageOf<K extends JobMessageType> = v.InferOutput<JobSchemas[K]>;
/** A validated scheduler message, discriminated by `type`. */
export type JobMessage = { [K in JobMessageType]: JobMessageOf<K> }[JobMessageType];
/** A scheduler message as the cores write it: without the version, which the link adds. */
export type OutgoingJobMessage = {
  [K in JobMessageType]: Omit<JobMessageOf<K>, 'v'>;
}[JobMessageType];
/** A chunk with its descriptor, as assigned or granted. */
export type AssignedChunk = JobMessageOf<'chunk-assign'>['chunks'][number];
/** A chunk id with its move count. */
export type ChunkRef = JobMessageOf<'owner-changed'>['chunks'][number];

/** True when a validated peer message is one of the scheduler's. */
export function isJobMessage(message: { type: string }): message is JobMessage {
  return Object.hasOwn(jobSchemas, message.type);
}

/** The messages a peer sends to a job's controller. */
export type ControllerBoundMessage = JobMessageOf<
  'chunk-request' | 'chunk-result' | 'chunk-failed' | 'owner-changed' | 'job-status'
>;

const controllerBound = new Set<string>([
  'chunk-request',
  'chunk-result',
  'chunk-failed',
  'owner-changed',
  'job-status',
]);

/** True for the messages a peer sends to a job's controller. */
export function isControllerBound(message: JobMessage): message is ControllerBoundMessage {
  return controllerBound.has(message.type);
}
