/**
 * A tiny hand-assembled kernel and its test-only meta, imported both by the tests (for the
 * bytes) and by each pool worker (through the pool's `kernelModules`, for the meta). Its
 * operations exercise the runtime's limits: fill memory, spin forever, grow memory, abort.
 */
import type { KernelMeta } from '../../../kernels/kernel-meta.ts';
import { i32, wasmModule, type FuncType, type Import } from './wasm-builder.ts';

export const TEST_KERNEL = 'test-kernel';
/** The memory cap of the test kernel, in pages. */
export const TEST_MAX_PAGES = 4;

/** The types every test module shares: abort's, then one per test export shape. */
export const testTypes: FuncType[] = [
  { params: [i32, i32, i32, i32], results: [] }, // 0: env.abort
  { params: [i32, i32, i32], results: [] }, // 1: fill(ptr, value, n)
  { params: [], results: [] }, // 2: spin(), callAbort()
  { params: [i32], results: [i32] }, // 3: grow(pages) → old size
  { params: [i32], results: [] }, // 4: work(n)
];

/** The imports the kernel ABI allows: env.memory (1 page, no declared maximum), env.abort. */
export function allowedImports(memoryMax?: number): Import[] {
  return [
    { module: 'env', name: 'memory', kind: 'memory', min: 1, max: memoryMax },
    { module: 'env', name: 'abort', kind: 'function', type: 0 },
  ];
}

/** The test kernel's bytes; `memoryMax` declares a maximum on its memory import. */
export function testKernelBytes(memoryMax?: number): Uint8Array<ArrayBuffer> {
  return wasmModule({
    types: testTypes,
    imports: allowedImports(memoryMax),
    funcs: [
      // memory.fill(ptr, value, n)
      { type: 1, export: 'fill', body: [0x20, 0, 0x20, 1, 0x20, 2, 0xfc, 0x0b, 0] },
      // loop { br 0 }
      { type: 2, export: 'spin', body: [0x03, 0x40, 0x0c, 0, 0x0b] },
      // old = memory.grow(pages); if (old == -1) unreachable; return old
      {
        type: 3,
        export: 'grow',
        locals: [i32],
        body: [0x20, 0, 0x40, 0, 0x22, 1, 0x41, 0x7f, 0x46, 0x04, 0x40, 0x00, 0x0b, 0x20, 1],
      },
      // env.abort(0, 0, 7, 3)
      { type: 2, export: 'callAbort', body: [0x41, 0, 0x41, 0, 0x41, 7, 0x41, 3, 0x10, 0] },
      // while (n != 0) n--
      {
        type: 4,
        export: 'work',
        body: [
          0x02, 0x40, 0x03, 0x40, 0x20, 0, 0x45, 0x0d, 1, 0x20, 0, 0x41, 1, 0x6b, 0x21, 0, 0x0c, 0,
          0x0b, 0x0b,
        ],
      },
    ],
  });
}

/** What a test chunk does. */
export type TestParams =
  | { op: 'fill' }
  | { op: 'spin' }
  | { op: 'grow'; pages: number }
  | { op: 'grow-js'; pages: number }
  | { op: 'abort' }
  | { op: 'work'; iterations: number };

/** A test chunk: for 'fill', the bytes [offset, offset + length) set to `value`. */
export interface TestChunk {
  offset: number;
  length: number;
  value: number;
}

interface TestExports {
  fill(ptr: number, value: number, n: number): void;
  spin(): void;
  grow(pages: number): number;
  callAbort(): void;
  work(n: number): void;
}

/** The test kernel's meta: trusts its inputs, which only tests write. */
export const testKernel: KernelMeta<TestParams, TestChunk, Uint8Array[]> = {
  name: TEST_KERNEL,
  maxMemoryPages: TEST_MAX_PAGES,
  parseParams: (input) => input as TestParams,
  parseChunk: (input) => input as TestChunk,
  split: () => [],
  cost: (_params, chunk) => chunk.length,
  execute(kernel, params, chunk) {
    const exports = kernel.exports as unknown as TestExports;
    switch (params.op) {
      case 'fill':
        exports.fill(chunk.offset, chunk.value, chunk.length);
        // A view on the kernel's memory: the worker must copy it before transferring.
        return new Uint8Array(kernel.memory.buffer, chunk.offset, chunk.length);
      case 'spin':
        exports.spin();
        return new Uint8Array();
      case 'grow':
        return Uint8Array.of(exports.grow(params.pages));
      case 'grow-js':
        return Uint8Array.of(kernel.memory.grow(params.pages));
      case 'abort':
        exports.callAbort();
        return new Uint8Array();
      case 'work':
        exports.work(params.iterations);
        return Uint8Array.of(1);
    }
  },
  validateResult: () => undefined,
  createOutput: () => [],
  merge: (output, _params, _chunk, result) => void output.push(result),
};

/** Picked up by the kernel worker when the pool lists this module in `kernelModules`. */
export const kernels = { [TEST_KERNEL]: testKernel };
