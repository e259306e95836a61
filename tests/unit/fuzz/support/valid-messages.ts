/**
 * Valid messages of every kind the validators take: at least one of every peer message type
 * (tsc fails when a type is missing), and of every signaling client message. The message
 * fuzzer mutates them and checks that they pass as they are.
 */
import type { PeerMessageOf, PeerMessageType } from '../../../../client/protocol/messages.ts';
import type { ClientMessage } from '../../../../signaling/protocol.ts';

export const HASH = '0123456789abcdef'.repeat(4);

/** At least one valid message of every peer message type; tsc fails when a type is missing. */
export const validPeerMessages: { [K in PeerMessageType]: PeerMessageOf<K>[] } = {
  hello: [
    {
      type: 'hello',
      v: 1,
      peerId: 'peer-A_1',
      name: 'Ada',
      device: { cores: 8, memoryGiB: 16, userAgent: 'fuzz', benchmark: 1.5 },
      donatedCores: 4,
    },
  ],
  heartbeat: [
    { type: 'heartbeat', v: 1, seq: 0, sentAt: 0 },
    {
      type: 'heartbeat',
      v: 1,
      seq: 9,
      sentAt: -5.5,
      queueLength: 3,
      busyWorkers: 1,
      chunksDone: 7,
    },
  ],
  'heartbeat-ack': [{ type: 'heartbeat-ack', v: 1, seq: 9, echoSentAt: 1e12 }],
  probe: [{ type: 'probe', v: 1, probeId: 'p1', bytes: 1024, sha256: HASH }],
  'probe-result': [{ type: 'probe-result', v: 1, probeId: 'p1', ok: false, bytes: 0, sha256: '' }],
  error: [{ type: 'error', v: 1, code: 'message-invalid', message: 'no' }],
  'job-announce': [
    {
      type: 'job-announce',
      v: 1,
      jobId: 'job-1',
      kernel: 'mandelbrot',
      sha256: HASH,
      params: { width: 64, height: 64, maxIter: 100 },
      controllerId: 'ctrl',
      epoch: 2,
      chunkCount: 16,
      manifest: HASH,
    },
  ],
  'chunk-assign': [
    {
      type: 'chunk-assign',
      v: 1,
      jobId: 'job-1',
      epoch: 2,
      chunks: [{ id: 3, moves: 1, descriptor: { x: 0, y: 8 } }],
      remaining: 12,
    },
    {
      type: 'chunk-assign',
      v: 1,
      jobId: 'job-1',
      epoch: 2,
      chunks: [],
      remaining: 0,
      owners: [{ peerId: 'peer-b', chunks: 5 }],
    },
  ],
  'chunk-request': [{ type: 'chunk-request', v: 1, jobId: 'job-1', want: 4 }],
  'chunk-result': [
    { type: 'chunk-result', v: 1, jobId: 'job-1', chunkId: 3, moves: 1, computeMs: 2.5 },
    {
      type: 'chunk-result',
      v: 1,
      jobId: 'job-1',
      chunkId: 0,
      moves: 0,
      computeMs: 0,
      inputBytes: 10,
    },
  ],
  'chunk-failed': [
    { type: 'chunk-failed', v: 1, jobId: 'job-1', chunkId: 3, moves: 1, reason: 'trap' },
  ],
  'steal-request': [{ type: 'steal-request', v: 1, jobId: 'job-1' }],
  'steal-grant': [
    {
      type: 'steal-grant',
      v: 1,
      jobId: 'job-1',
      chunks: [{ id: 4, moves: 2, descriptor: null }],
      queued: 3,
    },
  ],
  'owner-changed': [
    { type: 'owner-changed', v: 1, jobId: 'job-1', to: 'peer-b', chunks: [{ id: 4, moves: 2 }] },
  ],
  'job-status': [
    {
      type: 'job-status',
      v: 1,
      jobId: 'job-1',
      epoch: 2,
      held: [{ id: 1, moves: 1 }],
      buffered: [2, 5],
    },
  ],
  'result-request': [{ type: 'result-request', v: 1, jobId: 'job-1', chunkIds: [2, 5] }],
  'job-load': [{ type: 'job-load', v: 1, jobId: 'job-1', queued: 3, running: 2 }],
  'job-cancel': [{ type: 'job-cancel', v: 1, jobId: 'job-1', epoch: 2 }],
  'job-done': [{ type: 'job-done', v: 1, jobId: 'job-1', epoch: 2 }],
  'kernel-request': [{ type: 'kernel-request', v: 1, sha256: HASH }],
  'kernel-bytes': [{ type: 'kernel-bytes', v: 1, sha256: HASH, bytes: 4096 }],
  'blob-request': [{ type: 'blob-request', v: 1, sha256: HASH }],
  'blob-bytes': [{ type: 'blob-bytes', v: 1, sha256: HASH, bytes: 0 }],
  'blob-missing': [{ type: 'blob-missing', v: 1, sha256: HASH }],
};
export const peerSamples: Record<string, unknown>[] = Object.values(validPeerMessages).flat();
export const peerTypes = Object.keys(validPeerMessages);

export const validClientMessages: ClientMessage[] = [
  {
    type: 'join',
    v: 1,
    room: 'room-123',
    token: 'tok.en',
    peerId: 'peer-0001',
    name: 'Ada',
    device: { cores: 4, userAgent: 'fuzz', memoryGiB: 8, benchmark: 2 },
    donatedCores: 2,
  },
  { type: 'signal', to: 'peer-0002', data: { type: 'offer', sdp: 'v=0\r\n' } },
  {
    type: 'signal',
    to: 'peer-0002',
    data: { candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host' },
  },
  { type: 'update', name: 'Bea', donatedCores: 0 },
  { type: 'update' },
  { type: 'leave' },
];
export const clientSamples = validClientMessages as unknown as Record<string, unknown>[];
