/**
 * A kernel for simulations and tests: each chunk has a given cost, and its result is a few
 * bytes derived from its index alone, so a merged output can be checked against the output of
 * one peer computing everything. It fulfils the kernel contract (kernels/kernel-meta.ts) but
 * needs no WebAssembly. Realm-neutral.
 */
import * as v from 'valibot';
import type { KernelMeta } from '../../kernels/kernel-meta.ts';
import { PdError } from '../protocol/errors.ts';

export interface FakeParams {
  /** One entry per chunk: its cost in abstract units. */
  chunkCosts: number[];
}

export interface FakeChunk {
  index: number;
  cost: number;
}

/** Bytes in one chunk's result. */
export const FAKE_RESULT_BYTES = 8;

const paramsSchema = v.object({
  chunkCosts: v.pipe(
    v.array(v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1e9))),
    v.maxLength(100_000),
  ),
});

const chunkSchema = v.object({
  index: v.pipe(v.number(), v.integer(), v.minValue(0)),
  cost: v.pipe(v.number(), v.finite(), v.minValue(0)),
});

/** The result of chunk `index`: a hash of the index spread over FAKE_RESULT_BYTES bytes. */
export function fakeResult(index: number): Uint8Array {
  const bytes = new Uint8Array(FAKE_RESULT_BYTES);
  let x = (index + 1) * 0x9e3779b1;
  for (let i = 0; i < bytes.length; i++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
    x ^= x >>> 12;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

export const fakeKernel: KernelMeta<FakeParams, FakeChunk, Uint8Array> = {
  name: 'fake',
  maxMemoryPages: 1,
  parseParams(input) {
    const result = v.safeParse(paramsSchema, input);
    if (!result.success) throw new PdError('message-invalid', 'fake kernel params');
    return result.output;
  },
  parseChunk(input, params) {
    const result = v.safeParse(chunkSchema, input);
    if (!result.success || result.output.index >= params.chunkCosts.length) {
      throw new PdError('message-invalid', 'fake kernel chunk');
    }
    return result.output;
  },
  split: (params) => params.chunkCosts.map((cost, index) => ({ index, cost })),
  cost: (_params, chunk) => chunk.cost,
  execute: (_kernel, _params, chunk) => fakeResult(chunk.index),
  validateResult(_params, _chunk, result) {
    if (result.byteLength !== FAKE_RESULT_BYTES) {
      throw new PdError('message-invalid', `fake result of ${result.byteLength} bytes`);
    }
  },
  createOutput: (params) => new Uint8Array(params.chunkCosts.length * FAKE_RESULT_BYTES),
  merge(output, _params, chunk, result) {
    output.set(result, chunk.index * FAKE_RESULT_BYTES);
  },
};

/** The output one peer alone would produce: every chunk's result merged in order. */
export function fakeOutput(params: FakeParams): Uint8Array {
  const output = fakeKernel.createOutput(params);
  for (const chunk of fakeKernel.split(params)) {
    fakeKernel.merge(output, params, chunk, fakeResult(chunk.index));
  }
  return output;
}
