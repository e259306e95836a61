/// <reference types="mocha" />
// The worker pool with real module workers running the hand-assembled test kernel: results,
// concurrency, the time limit, abort, traps, load errors and resizing.
import { expect } from '@esm-bundle/chai';
import { sha256Hex } from '../../../client/protocol/sha256.ts';
import { WorkerPool } from '../../../client/runtime/worker-pool.ts';
import type { KernelJob, WorkerPoolOptions } from '../../../client/runtime/worker-pool-types.ts';
import { expectPdError } from './expect-pd-error.ts';
import {
  allowedImports,
  TEST_KERNEL,
  testKernelBytes,
  testTypes,
  type TestChunk,
  type TestParams,
} from './test-kernel.ts';
import { wasmModule } from './wasm-builder.ts';

const kernelModules = [new URL('./test-kernel.ts', import.meta.url).href];
const workerUrl = new URL('../../../client/runtime/kernel-worker.ts', import.meta.url);
const bytes = testKernelBytes();
const sha256 = await sha256Hex(bytes);

/** A pool running the test kernel, counting the workers it starts. */
function testPool(options: WorkerPoolOptions = {}) {
  const started: Worker[] = [];
  const pool = new WorkerPool({
    kernelModules,
    createWorker: () => {
      started.push(new Worker(workerUrl, { type: 'module' }));
      return started.at(-1)!;
    },
    ...options,
  });
  return { pool, started };
}

function job(params: TestParams, chunk: TestChunk = { offset: 0, length: 0, value: 0 }): KernelJob {
  return { kernel: TEST_KERNEL, sha256, bytes, params, chunk };
}

function fill(index: number): KernelJob {
  return job({ op: 'fill' }, { offset: 64 * index, length: 64, value: index + 1 });
}

const timeoutMs = 10_000;

describe('runtime/worker-pool', () => {
  const pools: WorkerPool[] = [];
  function track<T extends { pool: WorkerPool }>(made: T): T {
    pools.push(made.pool);
    return made;
  }
  afterEach(() => pools.splice(0).forEach((pool) => pool.close()));

  it('runs N chunks on M lazily started workers with correct results', async () => {
    const { pool, started } = track(testPool({ size: 3 }));
    expect(started).to.have.length(0);
    expect(pool.idle).to.equal(3);
    const runs = Array.from({ length: 12 }, (_, i) => pool.run(fill(i), { timeoutMs }));
    expect(pool.busy).to.equal(3);
    expect(pool.queued).to.equal(9);
    const results = await Promise.all(runs);
    results.forEach(({ result, ms }, i) => {
      expect(result).to.deep.equal(new Uint8Array(64).fill(i + 1));
      expect(ms).to.be.at.least(0);
    });
    expect(started).to.have.length(3);
    expect(pool.busy).to.equal(0);
    expect(pool.queued).to.equal(0);
    // Each worker loaded the kernel once: the bytes are not even sent again.
    const again = await pool.run({ ...fill(5), bytes: new Uint8Array() }, { timeoutMs });
    expect(again.result).to.deep.equal(new Uint8Array(64).fill(6));
  });

  it('ends a chunk that runs past its time limit and replaces its worker', async () => {
    const { pool, started } = track(testPool());
    await pool.run(fill(0), { timeoutMs });
    const began = performance.now();
    const err = await expectPdError(
      pool.run(job({ op: 'spin' }), { timeoutMs: 300 }),
      'kernel-timeout',
    );
    expect(performance.now() - began).to.be.within(250, 5000);
    expect(err.details).to.include({ kernel: TEST_KERNEL, timeoutMs: 300 });
    expect(pool.busy).to.equal(0);
    const { result } = await pool.run(fill(1), { timeoutMs });
    expect(result).to.deep.equal(new Uint8Array(64).fill(2));
    expect(started).to.have.length(2);
  });

  it('aborts a running chunk by ending its worker, and a queued one before it starts', async () => {
    const { pool, started } = track(testPool());
    const controller = new AbortController();
    const spinning = pool.run(job({ op: 'spin' }), { timeoutMs, signal: controller.signal });
    const queuedController = new AbortController();
    const queued = pool.run(fill(0), { timeoutMs, signal: queuedController.signal });
    expect(pool.queued).to.equal(1);
    queuedController.abort('changed my mind');
    await expectPdError(queued, 'kernel-aborted');
    expect(pool.queued).to.equal(0);
    setTimeout(() => controller.abort(), 200);
    await expectPdError(spinning, 'kernel-aborted');
    await expectPdError(
      pool.run(fill(0), { timeoutMs, signal: controller.signal }),
      'kernel-aborted',
    );
    expect((await pool.run(fill(3), { timeoutMs })).result).to.deep.equal(
      new Uint8Array(64).fill(4),
    );
    expect(started).to.have.length(2);
  });

  it('posts runsPerWorker runs to one worker; one ending its worker reposts the other', async () => {
    const { pool, started } = track(testPool({ size: 1, runsPerWorker: 2 }));
    const runs = Array.from({ length: 6 }, (_, i) => pool.run(fill(i), { timeoutMs }));
    // Two posted to the one worker, the rest waiting.
    expect(pool.busy).to.equal(1);
    expect(pool.queued).to.equal(4);
    (await Promise.all(runs)).forEach(({ result }, i) =>
      expect(result).to.deep.equal(new Uint8Array(64).fill(i + 1)),
    );
    expect(started).to.have.length(1);
    // A spinning chunk times out: the chunk posted behind it runs again on the fresh worker,
    // and its time limit counts from when the spinning one ended, not from when it was posted.
    const spinning = pool.run(job({ op: 'spin' }), { timeoutMs: 400 });
    const behind = pool.run(fill(7), { timeoutMs: 600 });
    await expectPdError(spinning, 'kernel-timeout');
    expect((await behind).result).to.deep.equal(new Uint8Array(64).fill(8));
    expect(started).to.have.length(2);
    // Aborting one of two runs on a worker does not fail the other.
    const controller = new AbortController();
    const aborted = pool.run(job({ op: 'spin' }), { timeoutMs, signal: controller.signal });
    const other = pool.run(fill(2), { timeoutMs });
    setTimeout(() => controller.abort(), 100);
    await expectPdError(aborted, 'kernel-aborted');
    expect((await other).result).to.deep.equal(new Uint8Array(64).fill(3));
    expect(pool.busy).to.equal(0);
  });

  it('fails a trapping chunk with kernel-failed and keeps the worker', async () => {
    const { pool, started } = track(testPool());
    // Past the memory cap: memory.grow returns -1 and the kernel traps; from JS, a RangeError.
    await expectPdError(pool.run(job({ op: 'grow', pages: 4 }), { timeoutMs }), 'kernel-failed');
    await expectPdError(pool.run(job({ op: 'grow-js', pages: 9 }), { timeoutMs }), 'kernel-failed');
    const aborted = await expectPdError(
      pool.run(job({ op: 'abort' }), { timeoutMs }),
      'kernel-failed',
    );
    expect(aborted.details).to.include({ line: 7, column: 3 });
    // Within the cap (1 page + 3 = 4), on a fresh instance after the traps.
    const { result } = await pool.run(job({ op: 'grow', pages: 3 }), { timeoutMs });
    expect(result).to.deep.equal(Uint8Array.of(1));
    expect(started).to.have.length(1);
  });

  it('reports load errors with their codes', async () => {
    const { pool } = track(testPool());
    const fetching = wasmModule({
      types: testTypes,
      imports: [...allowedImports(), { module: 'env', name: 'fetch', kind: 'function', type: 2 }],
    });
    const fetchingJob = {
      ...job({ op: 'fill' }),
      bytes: fetching,
      sha256: await sha256Hex(fetching),
    };
    await expectPdError(pool.run(fetchingJob, { timeoutMs }), 'kernel-bad-imports');
    await expectPdError(
      pool.run({ ...fill(0), sha256: '0'.repeat(64) }, { timeoutMs }),
      'kernel-hash-mismatch',
    );
    await expectPdError(
      pool.run({ ...fill(0), kernel: 'no-such' }, { timeoutMs }),
      'kernel-unknown',
    );
    expect((await pool.run(fill(0), { timeoutMs })).result).to.have.length(64);
  });

  it('resizes: more workers serve the queue, fewer end once free', async () => {
    const { pool, started } = track(testPool({ size: 1 }));
    const runs = [0, 1, 2].map((i) => pool.run(fill(i), { timeoutMs }));
    expect(pool.queued).to.equal(2);
    pool.size = 3;
    expect(pool.queued).to.equal(0);
    expect(pool.busy).to.equal(3);
    pool.size = 1;
    await Promise.all(runs);
    expect(pool.size).to.equal(1);
    expect(pool.idle).to.equal(1);
    expect(started).to.have.length(3);
    expect(() => (pool.size = 0)).to.throw(RangeError);
  });

  it('ends idle workers after idleTimeoutMs and starts one again on demand', async () => {
    const { pool, started } = track(testPool({ idleTimeoutMs: 100 }));
    await pool.run(fill(0), { timeoutMs });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await pool.run(fill(1), { timeoutMs });
    expect(started).to.have.length(2);
  });

  it('slowdownFactor keeps the worker busy for factor × the compute time', async () => {
    const { pool } = track(testPool({ slowdownFactor: 3 }));
    const work = job({ op: 'work', iterations: 30_000_000 });
    await pool.run(work, { timeoutMs });
    const began = performance.now();
    const { ms } = await pool.run(work, { timeoutMs });
    expect(ms).to.be.above(0);
    expect(performance.now() - began).to.be.at.least(ms - 1);
  });

  it('fails with kernel-unavailable when a worker cannot start', async () => {
    const missing = new URL('./no-such-worker.ts', import.meta.url);
    const pool = new WorkerPool({ createWorker: () => new Worker(missing, { type: 'module' }) });
    pools.push(pool);
    await expectPdError(pool.run(fill(0), { timeoutMs }), 'kernel-unavailable');
  });

  it('refuses a time limit that is not a positive number', async () => {
    const { pool } = track(testPool());
    const thrown = await pool.run(fill(0), { timeoutMs: 0 }).catch((err: unknown) => err);
    expect(thrown).to.be.instanceOf(RangeError);
  });

  it('close() rejects runs in flight and queued, and later runs', async () => {
    const { pool } = track(testPool());
    const spinning = pool.run(job({ op: 'spin' }), { timeoutMs });
    const queued = pool.run(fill(0), { timeoutMs });
    pool.close();
    await expectPdError(spinning, 'pool-closed');
    await expectPdError(queued, 'pool-closed');
    await expectPdError(pool.run(fill(0), { timeoutMs }), 'pool-closed');
  });
});
