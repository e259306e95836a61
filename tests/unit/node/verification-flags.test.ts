import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mandelbrot } from '../../../kernels/mandelbrot/meta.ts';
import type { ChunkRunner } from '../../../client/jobs/room-jobs.ts';
import { faultyRunner } from '../../../client/node/node-peer.ts';
import { parseRunArgs } from '../../../client/node/run-command.ts';
import { parseWorkerArgs } from '../../../client/node/worker-command.ts';
import { UsageError } from '../../../client/node/args.ts';
import { seededRandom } from '../../../client/scheduler/seeded-random.ts';

const LINK = 'http://192.168.1.20:30000/#room=abc123&t=tok.en';

describe('result verification: flags and the faulty testing aid', () => {
  it('reads worker --faulty and run --verify as fractions from 0 to 1 (default 0)', () => {
    assert.equal(parseWorkerArgs(['--room', LINK], {}).faulty, 0);
    assert.equal(parseWorkerArgs(['--room', LINK, '--faulty', '0.3'], {}).faulty, 0.3);
    assert.throws(() => parseWorkerArgs(['--room', LINK, '--faulty', '1.5'], {}), UsageError);
    assert.throws(() => parseWorkerArgs(['--room', LINK, '--faulty', '-0.1'], {}), UsageError);
    const run = (extra: string[]) => {
      const args = parseRunArgs(['mandelbrot', '--local-peers', '2', '--out', 'o', ...extra]);
      assert.ok(typeof args !== 'string');
      return args;
    };
    assert.equal(run([]).verify, 0);
    assert.equal(run(['--verify', '1']).verify, 1);
    assert.equal(run(['--verify', '0.1']).verify, 0.1);
    assert.throws(() => run(['--verify', '2']), UsageError);
  });

  it('corrupts about the given fraction of results, so that they still pass the kernel check', async () => {
    const params = mandelbrot.parseParams({
      width: 64,
      height: 64,
      cx: -0.5,
      cy: 0,
      scale: 3 / 64,
      maxIter: 1000,
    });
    const [tile] = mandelbrot.split(params);
    const honest = new Uint8Array(tile.w * tile.h * 2).map((_, i) => (i * 7) % 251);
    const inner: ChunkRunner = { size: 1, run: async () => ({ result: honest, ms: 1 }) };
    const runner = faultyRunner(inner, 0.3, seededRandom(7));
    const job = { kernel: 'mandelbrot', sha256: '0'.repeat(64), bytes: new Uint8Array(), params };
    let corrupted = 0;
    for (let i = 0; i < 400; i++) {
      const { result } = await runner.run({ ...job, chunk: tile }, { timeoutMs: 1000 });
      mandelbrot.validateResult(params, tile, result);
      if (!result.every((byte, at) => byte === honest[at])) corrupted += 1;
    }
    assert.ok(corrupted > 80 && corrupted < 160, `${corrupted} of 400 corrupted`);
    runner.size = 3;
    assert.equal(inner.size, 3);
  });
});
