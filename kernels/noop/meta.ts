/**
 * The no-op kernel's meta: a job of `chunks` chunks whose results are their own ids. It
 * exists to measure per-chunk overhead (`processdistro bench`); the result check is real,
 * so a lost or misrouted chunk still fails the job.
 */
import * as v from 'valibot';
import { PdError } from '../../client/protocol/errors.ts';
import type { KernelInstance, KernelMeta } from '../kernel-meta.ts';

export interface NoopParams {
  readonly chunks: number;
}

/** Chunk i's result is i; the output holds every result by chunk id. */
export interface NoopOutput {
  readonly results: Uint32Array;
}

/** At most this many chunks in one job (the scheduler's own limit is 2^20). */
export const MAX_NOOP_CHUNKS = 1 << 20;

const paramsSchema = v.object({
  chunks: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_NOOP_CHUNKS)),
});

function invalid(details: Record<string, unknown>): PdError {
  return new PdError('message-invalid', details);
}

export const noop: KernelMeta<NoopParams, number, NoopOutput> = {
  name: 'noop',
  maxMemoryPages: 1,

  parseParams(input) {
    const result = v.safeParse(paramsSchema, input);
    if (!result.success) throw invalid({ reason: `noop params: ${v.summarize(result.issues)}` });
    return result.output;
  },

  parseChunk(input, params) {
    if (!Number.isInteger(input) || (input as number) < 0 || (input as number) >= params.chunks) {
      throw invalid({ reason: 'not a chunk of this job', chunk: input });
    }
    return input as number;
  },

  split: (params) => Array.from({ length: params.chunks }, (_, i) => i),

  cost: () => 1,

  execute(kernel: KernelInstance, _params, chunk) {
    const echo = (kernel.exports as unknown as { echo: (chunk: number) => number }).echo;
    const result = new Uint8Array(4);
    new DataView(result.buffer).setUint32(0, echo(chunk) >>> 0, true);
    return result;
  },

  maxResultBytes: () => 4,

  validateResult(_params, chunk, result) {
    if (result.byteLength !== 4)
      throw invalid({ reason: 'result size', actual: result.byteLength });
    const echoed = new DataView(result.buffer, result.byteOffset, 4).getUint32(0, true);
    if (echoed !== chunk) throw invalid({ reason: 'result is not the chunk id', chunk, echoed });
  },

  createOutput: (params) => ({ results: new Uint32Array(params.chunks) }),

  merge(output, _params, chunk, result) {
    output.results[chunk] = new DataView(result.buffer, result.byteOffset, 4).getUint32(0, true);
  },
};
