/**
 * Result verification end to end: `processdistro run mandelbrot --verify 1` on a room of two
 * honest Node workers and one started with `--faulty 0.3` (it corrupts 30 % of its results).
 * The faulty worker is caught and removed, every chunk it alone vouched for runs again, and
 * the output still equals the reference definition. Real processes and WebRTC in the test
 * network namespace.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRoomLink } from '../../client/node/local-mesh.ts';
import { firstMismatch, type ReferenceView } from '../support/mandelbrot-reference.ts';
import { CliProcess, readRunOutput } from './support/cli-process.ts';
import { ServerProcess } from './support/server-process.ts';

describe('result verification', () => {
  let server: ServerProcess;
  let dir: string;
  const processes: CliProcess[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pd-verify-e2e-'));
    server = await ServerProcess.start();
  });

  after(async () => {
    await Promise.all(processes.map((child) => child.stop()));
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('catches a worker corrupting results, and the output still equals the reference', async () => {
    const link = await createRoomLink(server.url.replace(/\/$/, ''));
    // Slowed a little, so that every worker is connected long before the job could end.
    const worker = (name: string, extra: string[] = []) => {
      const child = CliProcess.worker(name, link, join(dir, 'data'), ['--slowdown', '3', ...extra]);
      processes.push(child);
      return child;
    };
    const workers = [worker('honest-1'), worker('honest-2'), worker('faulty', ['--faulty', '0.3'])];
    await Promise.all(workers.map((node) => node.waitForLine(/joined the room/, 20_000)));
    await workers[2].waitForLine(/corrupting 30% of results/, 1000);
    // maxIter 16384 makes 32 × 32 tiles: 48 chunks, each run twice.
    const view: ReferenceView = {
      width: 256,
      height: 192,
      cx: -0.5,
      cy: 0,
      scale: 3 / 256,
      maxIter: 16384,
    };
    const out = join(dir, 'out');
    const run = new CliProcess('run', [
      'run',
      'mandelbrot',
      ...['--width', String(view.width), '--height', String(view.height)],
      ...['--cx', String(view.cx), '--cy', String(view.cy), '--scale', String(view.scale)],
      ...['--max-iter', String(view.maxIter), '--verify', '1'],
      ...['--room', link, '--wait-peers', '3', '--out', out],
    ]);
    processes.push(run);
    assert.equal(await run.exit(120_000), 0, run.output());

    const { report, counts } = await readRunOutput(out);
    assert.equal(firstMismatch(counts, view), undefined);

    assert.equal(report.status, 'done');
    assert.deepEqual(report.verification.caught, ['faulty'], JSON.stringify(report.verification));
    assert.equal(report.verification.fraction, 1);
    assert.ok(report.verification.checkedChunks >= report.chunks.total);
    assert.ok(report.verification.overhead >= 1, 'every chunk ran at least twice');
    const byName = new Map(report.peers.map((peer) => [peer.name, peer]));
    assert.equal(byName.get('faulty')?.caught, true);
    for (const name of ['honest-1', 'honest-2']) {
      const peer = byName.get(name);
      assert.ok(peer && !peer.caught && peer.checked > 0, JSON.stringify(peer));
    }
    assert.match(run.lines.join('\n'), /Verification: .*caught: faulty/);
  });
});
