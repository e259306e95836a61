/// <reference types="mocha" />
// The kernel loader in the page (no worker): the import allow-list, the memory cap, the
// hash check and the compilation memo, against hand-assembled modules.
import { expect } from '@esm-bundle/chai';
import { sha256Hex } from '../../../client/protocol/sha256.ts';
import {
  checkKernelModule,
  compileKernel,
  instantiateKernel,
} from '../../../client/runtime/kernel-loader.ts';
import { expectPdError } from './expect-pd-error.ts';
import {
  allowedImports,
  testKernel,
  testKernelBytes,
  testTypes,
  TEST_MAX_PAGES,
} from './test-kernel.ts';
import { i32, wasmModule, type Import } from './wasm-builder.ts';

const PAGE = 65536;

/** A module with the allowed imports plus `extra`, and no functions. */
function moduleImporting(...extra: Import[]): Uint8Array<ArrayBuffer> {
  return wasmModule({ types: testTypes, imports: [...allowedImports(), ...extra] });
}

describe('runtime/kernel-loader', () => {
  it('accepts a module that imports only env.memory and env.abort', async () => {
    const module = await compileKernel(testKernelBytes());
    expect(() => checkKernelModule(module)).not.to.throw();
    const empty = new WebAssembly.Module(wasmModule({ types: [] }));
    expect(() => checkKernelModule(empty)).not.to.throw();
  });

  it('refuses an import of env.fetch', async () => {
    const bytes = moduleImporting({ module: 'env', name: 'fetch', kind: 'function', type: 2 });
    const err = await expectPdError(
      () => checkKernelModule(new WebAssembly.Module(bytes)),
      'kernel-bad-imports',
    );
    expect(err.details).to.deep.equal({ imports: ['env.fetch (function)'] });
    await expectPdError(compileKernel(bytes), 'kernel-bad-imports');
    await expectPdError(instantiateKernel(bytes, testKernel), 'kernel-bad-imports');
  });

  it('refuses a WASI import', async () => {
    const types = [...testTypes, { params: [i32, i32, i32, i32], results: [i32] }];
    const bytes = wasmModule({
      types,
      imports: [
        ...allowedImports(),
        { module: 'wasi_snapshot_preview1', name: 'fd_write', kind: 'function', type: 5 },
      ],
    });
    await expectPdError(compileKernel(bytes), 'kernel-bad-imports');
  });

  it('refuses an allowed name imported as the wrong kind', async () => {
    const bytes = wasmModule({
      types: testTypes,
      imports: [{ module: 'env', name: 'memory', kind: 'function', type: 2 }],
    });
    await expectPdError(compileKernel(bytes), 'kernel-bad-imports');
  });

  it('refuses a module that defines its own (uncapped) memory', async () => {
    const bytes = wasmModule({ types: testTypes, ownMemory: 1 });
    await expectPdError(compileKernel(bytes), 'kernel-bad-memory');
  });

  it('refuses a module whose minimum memory exceeds the cap', async () => {
    const bytes = wasmModule({
      types: testTypes,
      imports: [{ module: 'env', name: 'memory', kind: 'memory', min: TEST_MAX_PAGES + 1 }],
    });
    const err = await expectPdError(instantiateKernel(bytes, testKernel), 'kernel-bad-memory');
    expect(err.details).to.deep.equal({ needs: TEST_MAX_PAGES + 1, cap: TEST_MAX_PAGES });
  });

  it('starts memory at the minimum the module declares', async () => {
    const bytes = wasmModule({
      types: testTypes,
      imports: [{ module: 'env', name: 'memory', kind: 'memory', min: 3, max: 60 }],
    });
    const kernel = await instantiateKernel(bytes, testKernel);
    expect(kernel.memory.buffer.byteLength).to.equal(3 * PAGE);
    expect(kernel.memory.grow(1)).to.equal(3);
    expect(() => kernel.memory.grow(1)).to.throw(RangeError);
  });

  it('caps memory at maxMemoryPages: growing past it fails', async () => {
    const kernel = await instantiateKernel(testKernelBytes(), testKernel);
    expect(kernel.memory.buffer.byteLength).to.equal(PAGE);
    const { grow } = kernel.exports as { grow(pages: number): number };
    expect(grow(TEST_MAX_PAGES - 1)).to.equal(1);
    expect(() => grow(1)).to.throw(WebAssembly.RuntimeError);
    expect(() => kernel.memory.grow(1)).to.throw(RangeError);
    expect(kernel.memory.buffer.byteLength).to.equal(TEST_MAX_PAGES * PAGE);
  });

  it('honours a smaller maximum declared by the module', async () => {
    const kernel = await instantiateKernel(testKernelBytes(2), testKernel);
    const { grow } = kernel.exports as { grow(pages: number): number };
    expect(() => grow(2)).to.throw(WebAssembly.RuntimeError);
    expect(grow(1)).to.equal(1);
  });

  it('turns env.abort into PdError kernel-failed with its location', async () => {
    const kernel = await instantiateKernel(testKernelBytes(), testKernel);
    const { callAbort } = kernel.exports as { callAbort(): void };
    const err = await expectPdError(() => callAbort(), 'kernel-failed');
    expect(err.details).to.include({ kernel: 'test-kernel', line: 7, column: 3 });
  });

  it('memoises compilation per SHA-256 and checks the expected hash', async () => {
    const bytes = testKernelBytes(3);
    const sha256 = await sha256Hex(bytes);
    const module = await compileKernel(bytes, sha256);
    expect(await compileKernel(bytes.slice())).to.equal(module);
    await expectPdError(compileKernel(bytes, '0'.repeat(64)), 'kernel-hash-mismatch');
  });

  it('reports bytes that are not WebAssembly as kernel-failed', async () => {
    await expectPdError(compileKernel(new Uint8Array([1, 2, 3])), 'kernel-failed');
  });
});
