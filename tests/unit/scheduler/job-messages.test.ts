import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPdError } from '../../../client/protocol/errors.ts';
import { parsePeerMessage, withVersion } from '../../../client/protocol/messages.ts';
import {
  MAX_CHUNKS_PER_MESSAGE,
  MAX_DESCRIPTOR_CHARS,
  MAX_PARAMS_CHARS,
  isControllerBound,
  isJobMessage,
  jobSchemas,
  type OutgoingJobMessage,
} from '../../../client/scheduler/job-messages.ts';

const sha256 = 'f'.repeat(64);
const jobId = 'job_1';
const chunk = (id: number) => ({ id, moves: 1, descriptor: { x: id, y: [1, 2] } });

const samples: OutgoingJobMessage[] = [
  {
    type: 'job-announce',
    jobId,
    kernel: 'mandelbrot',
    sha256,
    params: { width: 64, nested: { a: [1, 'b', null] } },
    controllerId: 'peer-A',
    epoch: 2,
    chunkCount: 16,
    manifest: sha256,
  },
  { type: 'chunk-assign', jobId, epoch: 2, chunks: [chunk(0), chunk(15)], remaining: 14 },
  { type: 'chunk-request', jobId, want: 4 },
  { type: 'chunk-result', jobId, chunkId: 3, moves: 2, computeMs: 12.5 },
  { type: 'chunk-failed', jobId, chunkId: 3, moves: 2, reason: 'RuntimeError: unreachable' },
  { type: 'steal-request', jobId },
  { type: 'steal-grant', jobId, chunks: [chunk(4)], queued: 3 },
  { type: 'owner-changed', jobId, to: 'peer-B', chunks: [{ id: 4, moves: 2 }] },
  { type: 'job-status', jobId, epoch: 2, held: [{ id: 5, moves: 1 }], buffered: [6, 7] },
  { type: 'result-request', jobId, chunkIds: [6, 7] },
  { type: 'job-load', jobId, queued: 3, running: 2 },
  { type: 'job-cancel', jobId, epoch: 2 },
  { type: 'job-done', jobId, epoch: 2 },
  { type: 'kernel-request', sha256 },
  { type: 'kernel-bytes', sha256, bytes: 1024 },
  { type: 'blob-request', sha256 },
  { type: 'blob-bytes', sha256, bytes: 4096 },
  { type: 'blob-missing', sha256 },
];

/** The code and message parsePeerMessage throws for a header, or undefined if it passes. */
function refusal(header: unknown): string | undefined {
  try {
    parsePeerMessage(header);
    return undefined;
  } catch (err) {
    assert.ok(isPdError(err));
    return `${err.code} ${err.message}`;
  }
}

describe('job messages', () => {
  it('are all validated by parsePeerMessage (one sample per type)', () => {
    assert.deepEqual(samples.map((m) => m.type).sort(), Object.keys(jobSchemas).sort());
    for (const message of samples) {
      const header = JSON.parse(JSON.stringify(withVersion(message)));
      const parsed = parsePeerMessage(header);
      assert.deepEqual(parsed, header, message.type);
      assert.ok(isJobMessage(parsed));
    }
  });

  it('leave the existing peer messages as they were', () => {
    const hello = parsePeerMessage({
      type: 'hello',
      v: 1,
      peerId: 'a',
      name: 'A',
      device: { cores: 4, userAgent: 'x' },
      donatedCores: 2,
    });
    assert.equal(hello.type, 'hello');
    assert.equal(isJobMessage(hello), false);
  });

  it('tell which messages go to a controller', () => {
    const bound = samples.filter((m) => isControllerBound(withVersion(m) as never));
    assert.deepEqual(
      bound.map((m) => m.type),
      ['chunk-request', 'chunk-result', 'chunk-failed', 'owner-changed', 'job-status'],
    );
  });

  it('refuse out-of-range ids, hashes and names', () => {
    const result = { type: 'chunk-result', v: 1, jobId, moves: 1, computeMs: 1 };
    assert.match(refusal({ ...result, chunkId: -1 }) ?? '', /message-invalid.*chunkId/);
    assert.match(refusal({ ...result, chunkId: 1 << 20 }) ?? '', /chunkId/);
    assert.match(refusal({ ...result, chunkId: 1.5 }) ?? '', /chunkId/);
    assert.match(refusal({ ...result, chunkId: 1, jobId: 'a b' }) ?? '', /jobId/);
    assert.match(refusal({ ...result, chunkId: 1, computeMs: -1 }) ?? '', /computeMs/);
    assert.match(refusal({ type: 'kernel-request', v: 1, sha256: 'F'.repeat(64) }) ?? '', /sha256/);
    const announce = JSON.parse(JSON.stringify(withVersion(samples[0])));
    assert.match(refusal({ ...announce, kernel: '../x' }) ?? '', /kernel/);
    assert.match(refusal({ ...announce, epoch: undefined }) ?? '', /epoch/);
    assert.match(refusal({ type: 'job-frobnicate', v: 1 }) ?? '', /message-unknown-type/);
  });

  it('bound the sizes of arrays, descriptors and parameters', () => {
    const assignOf = (chunks: unknown[]) => ({
      type: 'chunk-assign',
      v: 1,
      jobId,
      epoch: 1,
      chunks,
      remaining: 0,
    });
    const many = Array.from({ length: MAX_CHUNKS_PER_MESSAGE }, (_, i) => chunk(i));
    assert.equal(refusal(assignOf(many)), undefined);
    assert.match(refusal(assignOf([...many, chunk(1)])) ?? '', /chunks/);
    const big = { id: 0, moves: 1, descriptor: 'x'.repeat(MAX_DESCRIPTOR_CHARS) };
    assert.match(refusal(assignOf([big])) ?? '', /descriptor/);
    const ok = { id: 0, moves: 1, descriptor: 'x'.repeat(MAX_DESCRIPTOR_CHARS - 2) };
    assert.equal(refusal(assignOf([ok])), undefined);
    const announce = JSON.parse(JSON.stringify(withVersion(samples[0])));
    assert.match(refusal({ ...announce, params: 'p'.repeat(MAX_PARAMS_CHARS) }) ?? '', /params/);
    assert.match(refusal({ ...announce, params: undefined }) ?? '', /params/);
    const reason = {
      type: 'chunk-failed',
      v: 1,
      jobId,
      chunkId: 0,
      moves: 0,
      reason: 'r'.repeat(257),
    };
    assert.match(refusal(reason) ?? '', /reason/);
  });
});
