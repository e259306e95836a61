// The worker pool with Node worker threads: the same pool, worker API and limits as in a tab
// (tests/browser/runtime/worker-pool.test.ts), with the Mandelbrot kernel and the
// hand-assembled test kernel of the browser tests.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, it } from 'node:test';
import { kernelWasmPath } from '../../../client/node/kernel-files.ts';
import { createNodeKernelWorker } from '../../../client/node/worker-threads.ts';
import { isPdError, type PdError, type PdErrorCode } from '../../../client/protocol/errors.ts';
import { sha256Hex } from '../../../client/protocol/sha256.ts';
import { WorkerPool } from '../../../client/runtime/worker-pool.ts';
import type {
  KernelJob,
  KernelWorker,
  WorkerPoolOptions,
} from '../../../client/runtime/worker-pool-types.ts';
import { mandelbrot } from '../../../kernels/mandelbrot/meta.ts';
import { mandelbrotScalar } from '../../../kernels/mandelbrot/scalar.ts';
import {
  allowedImports,
  TEST_KERNEL,
  testKernelBytes,
  testTypes,
  type TestChunk,
  type TestParams,
} from '../../browser/runtime/test-kernel.ts';
import { wasmModule } from '../../browser/runtime/wasm-builder.ts';

const testKernelModule = new URL('../../browser/runtime/test-kernel.ts', import.meta.url).href;
const testBytes = testKernelBytes();
const testSha256 = await sha256Hex(testBytes);
const mandelbrotBytes = new Uint8Array(await readFile(kernelWasmPath('mandelbrot')));
const mandelbrotSha256 = await sha256Hex(mandelbrotBytes);

/** Generous: a worker thread starts tsx before it can take its first chunk. */
const timeoutMs = 20_000;

/** A pool of Node workers that knows the test kernel, counting the workers it starts. */
function testPool(options: WorkerPoolOptions = {}) {
  const started: KernelWorker[] = [];
  const pool = new WorkerPool({
    kernelModules: [testKernelModule],
    createWorker: () => {
      started.push(createNodeKernelWorker());
      return started.at(-1)!;
    },
    ...options,
  });
  return { pool, started };
}

function testJob(params: TestParams, chunk?: TestChunk): KernelJob {
  chunk ??= { offset: 0, length: 0, value: 0 };
  return { kernel: TEST_KERNEL, sha256: testSha256, bytes: testBytes, params, chunk };
}

function fill(index: number): KernelJob {
  return testJob({ op: 'fill' }, { offset: 64 * index, length: 64, value: index + 1 });
}

/** Resolves to the PdError `work` rejects with; fails the test otherwise. */
async function expectPdError(work: Promise<unknown>, code: PdErrorCode): Promise<PdError> {
  const outcome = await work.then(
    () => assert.fail(`expected PdError '${code}', but it succeeded`),
    (err: unknown) => err,
  );
  assert.ok(isPdError(outcome, code), `expected PdError '${code}', got ${String(outcome)}`);
  return outcome;
}

/** A module URL that a worker imports as one of its `kernelModules`. */
function moduleUrl(source: string): string {
  return `data:text/javascript,${encodeURIComponent(source)}`;
}

describe('node/worker-threads: a WorkerPool of worker threads', () => {
  const pools: WorkerPool[] = [];
  function track<T extends { pool: WorkerPool }>(made: T): T {
    pools.push(made.pool);
    return made;
  }
  afterEach(() => pools.splice(0).forEach((pool) => pool.close()));

  it('computes Mandelbrot tiles that equal the scalar reference', async () => {
    const { pool, started } = track(testPool({ size: 2 }));
    const params = mandelbrot.parseParams({
      width: 300,
      height: 200,
      cx: -0.6,
      cy: 0.1,
      scale: 0.011,
      maxIter: 600,
    });
    const tiles = mandelbrot.split(params);
    assert.ok(tiles.length > 2, `${tiles.length} tiles`);
    const results = await Promise.all(
      tiles.map((chunk) =>
        pool.run(
          {
            kernel: 'mandelbrot',
            sha256: mandelbrotSha256,
            bytes: mandelbrotBytes,
            params,
            chunk,
          },
          { timeoutMs },
        ),
      ),
    );
    const output = mandelbrot.createOutput(params);
    tiles.forEach((tile, i) => {
      mandelbrot.validateResult(params, tile, results[i]!.result);
      mandelbrot.merge(output, params, tile, results[i]!.result);
    });
    const whole = { x: 0, y: 0, w: params.width, h: params.height };
    assert.deepEqual(output.counts, mandelbrotScalar(params, whole));
    assert.ok(
      output.counts.some((count) => count === params.maxIter),
      'some points in the set',
    );
    assert.equal(started.length, 2);
  });

  it('runs the test kernel, copying a view on the kernel memory back', async () => {
    const { pool } = track(testPool({ size: 2 }));
    const results = await Promise.all([0, 1, 2].map((i) => pool.run(fill(i), { timeoutMs })));
    results.forEach(({ result }, i) => assert.deepEqual(result, new Uint8Array(64).fill(i + 1)));
  });

  it('ends a chunk past its time limit and takes the next on a fresh worker', async () => {
    const { pool, started } = track(testPool());
    await pool.run(fill(0), { timeoutMs }); // the worker has started: the limit is all spin
    const began = performance.now();
    const err = await expectPdError(
      pool.run(testJob({ op: 'spin' }), { timeoutMs: 300 }),
      'kernel-timeout',
    );
    assert.ok(performance.now() - began >= 250, 'not before the limit');
    assert.deepEqual(err.details, { kernel: TEST_KERNEL, timeoutMs: 300 });
    assert.equal(pool.busy, 0);
    const { result } = await pool.run(fill(1), { timeoutMs });
    assert.deepEqual(result, new Uint8Array(64).fill(2));
    assert.equal(started.length, 2);
  });

  it('aborts a running chunk by ending its worker', async () => {
    const { pool, started } = track(testPool());
    const controller = new AbortController();
    const spinning = pool.run(testJob({ op: 'spin' }), { timeoutMs, signal: controller.signal });
    setTimeout(() => controller.abort('enough'), 200);
    await expectPdError(spinning, 'kernel-aborted');
    const { result } = await pool.run(fill(3), { timeoutMs });
    assert.deepEqual(result, new Uint8Array(64).fill(4));
    assert.equal(started.length, 2);
  });

  it('refuses bytes that do not match their hash, and a forbidden import', async () => {
    const { pool, started } = track(testPool());
    const tampered = mandelbrotBytes.slice();
    tampered[tampered.length - 1]! ^= 1;
    const tamperedJob = { ...fill(0), kernel: 'mandelbrot', sha256: mandelbrotSha256 };
    await expectPdError(
      pool.run({ ...tamperedJob, bytes: tampered }, { timeoutMs }),
      'kernel-hash-mismatch',
    );
    const fetching = wasmModule({
      types: testTypes,
      imports: [...allowedImports(), { module: 'env', name: 'fetch', kind: 'function', type: 2 }],
    });
    const fetchingJob = { ...fill(0), bytes: fetching, sha256: await sha256Hex(fetching) };
    const refused = await expectPdError(pool.run(fetchingJob, { timeoutMs }), 'kernel-bad-imports');
    assert.deepEqual(refused.details, { imports: ['env.fetch (function)'] });
    // Load errors leave the worker as it was.
    assert.equal((await pool.run(fill(0), { timeoutMs })).result.length, 64);
    assert.equal(started.length, 1);
  });

  it('reports a worker that exits as kernel-unavailable, then starts a new one', async () => {
    const { pool, started } = track(testPool({ kernelModules: [moduleUrl('process.exit(3);')] }));
    const err = await expectPdError(pool.run(fill(0), { timeoutMs }), 'kernel-unavailable');
    assert.match(String(err.details), /exited with code 3/);
    await expectPdError(pool.run(fill(0), { timeoutMs }), 'kernel-unavailable');
    assert.equal(started.length, 2);
  });

  it('reports an uncaught error in a worker as kernel-unavailable', async () => {
    // Imported but never settled, so the only way out is the uncaught error.
    const crashing = moduleUrl(
      "setTimeout(() => { throw new Error('boom'); }); await new Promise(() => {});",
    );
    const { pool } = track(testPool({ kernelModules: [crashing] }));
    const err = await expectPdError(pool.run(fill(0), { timeoutMs }), 'kernel-unavailable');
    assert.match(String(err.details), /boom/);
  });
});
