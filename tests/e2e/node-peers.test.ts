/**
 * Headless Node peers and the headless controller, end to end: `processdistro run` with
 * local peers, Node workers computing a browser tab's job, browser tabs computing a Node
 * controller's job, and a worker killed with SIGKILL mid-job. Real server, real Chromium,
 * real WebRTC (node-datachannel in Node) in the test network namespace.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { createRoomLink } from '../../client/node/local-mesh.ts';
import {
  firstMismatch,
  referenceCount,
  type ReferenceView,
} from '../support/mandelbrot-reference.ts';
import { TestBrowser } from './support/browser.ts';
import { CliProcess, readRunOutput } from './support/cli-process.ts';
import {
  chunksComputed,
  downloadCounts,
  peerRow,
  startRender,
  waitForDone,
} from './support/render-page.ts';
import { joinRoom, selfPeerId, waitForConnectedPeers } from './support/room-page.ts';
import { ServerProcess } from './support/server-process.ts';

/** Every pixel equal to the reference definition (small views only). */
function assertReference(counts: Uint32Array, view: ReferenceView): void {
  assert.equal(firstMismatch(counts, view), undefined);
}

/** `a` sample of pixels equal to the reference definition. */
function assertReferenceSample(counts: Uint32Array, view: ReferenceView, samples = 2000): void {
  assert.equal(counts.length, view.width * view.height);
  for (let i = 0; i < samples; i++) {
    const p = Math.floor((i * counts.length) / samples);
    const x = p % view.width;
    const y = Math.floor(p / view.width);
    assert.equal(counts[p], referenceCount(view, x, y), `pixel (${x}, ${y})`);
  }
}

function runArgs(view: ReferenceView): string[] {
  return [
    'run',
    'mandelbrot',
    '--width',
    String(view.width),
    '--height',
    String(view.height),
    '--cx',
    String(view.cx),
    '--cy',
    String(view.cy),
    '--scale',
    String(view.scale),
    '--max-iter',
    String(view.maxIter),
  ];
}

describe('headless Node peers', () => {
  let server: ServerProcess;
  let browser: TestBrowser;
  let dir: string;
  const processes: CliProcess[] = [];

  const cli = (label: string, args: string[]) => {
    const child = new CliProcess(label, args);
    processes.push(child);
    return child;
  };
  const worker = (name: string, link: string, extra: string[] = []) => {
    const child = CliProcess.worker(name, link, join(dir, 'data'), extra);
    processes.push(child);
    return child;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pd-node-e2e-'));
    server = await ServerProcess.start();
    browser = await TestBrowser.launch();
  });

  after(async () => {
    await Promise.all(processes.map((child) => child.stop()));
    await browser?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('run --local-peers 2 writes the PNG, the reference counts and a report', async () => {
    const view = { width: 640, height: 360, cx: -0.5, cy: 0, scale: 3 / 640, maxIter: 1000 };
    const out = join(dir, 'local');
    const run = cli('run', [...runArgs(view), '--local-peers', '2', '--out', out]);
    assert.equal(await run.exit(90_000), 0, run.output());
    const { report, counts, png } = await readRunOutput(out);
    assertReference(counts, view);
    const image = PNG.sync.read(png);
    assert.deepEqual([image.width, image.height], [640, 360]);
    assert.equal(report.status, 'done');
    assert.equal(report.chunks.done, report.chunks.total);
    const workers = report.peers.filter((peer) => !peer.self);
    assert.deepEqual(workers.map((peer) => peer.name).sort(), ['local-1', 'local-2']);
    assert.equal(
      workers.reduce((sum, peer) => sum + peer.chunks, 0),
      report.chunks.total,
      'the controller computes nothing by default',
    );
    assert.ok(report.wallMs > 0);
    assert.match(run.lines.join('\n'), /Done in [\d.]+ s: \d+\/\d+ chunks/);
  });

  it('Node workers compute a browser tab’s job', async () => {
    const link = await createRoomLink(server.url.replace(/\/$/, ''));
    const nodes = [worker('node-a', link), worker('node-b', link)];
    await Promise.all(nodes.map((node) => node.waitForLine(/joined the room/, 20_000)));
    const page = await browser.newPage('controller');
    await joinRoom(page, link, 0); // the tab only coordinates
    await waitForConnectedPeers(page, 2, 20_000);
    await startRender(page, { size: 0 });
    await waitForDone(page, 60_000);
    const counts = await downloadCounts(page);
    assertReferenceSample(counts, {
      width: 1280,
      height: 720,
      cx: -0.5,
      cy: 0,
      scale: 1.6875 / 720,
      maxIter: 1000,
    });
    assert.equal(await chunksComputed(page), 0, 'the tab donated no cores');
    const ids = await page
      .locator('pd-job-progress tr[data-peer-id]')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-peer-id') ?? ''));
    const rows = await Promise.all(ids.map((id) => peerRow(page, id)));
    const computing = rows.filter((row) => row.chunks > 0);
    assert.equal(computing.length, 2, `both Node workers computed: ${JSON.stringify(rows)}`);
    await page.context().close();
    await Promise.all(nodes.map((node) => node.stop()));
    for (const node of nodes) assert.match(node.lines.join('\n'), /chunks computed|left after/);
  });

  it('browser tabs compute a Node controller’s job', async () => {
    const link = await createRoomLink(server.url.replace(/\/$/, ''));
    const tabs = await Promise.all([browser.newPage('tab-1'), browser.newPage('tab-2')]);
    await Promise.all(tabs.map((tab) => joinRoom(tab, link, 1)));
    await Promise.all(tabs.map((tab) => waitForConnectedPeers(tab, 1, 20_000)));
    const tabIds = await Promise.all(tabs.map((tab) => selfPeerId(tab)));
    // Big enough (~1.5 s of compute) that both tabs are sure to get chunks.
    const view = { width: 1024, height: 768, cx: -0.75, cy: 0.1, scale: 0.003125, maxIter: 6000 };
    const out = join(dir, 'browser-peers');
    const run = cli('run', [...runArgs(view), '--room', link, '--out', out]);
    assert.equal(await run.exit(90_000), 0, run.output());
    const { report, counts } = await readRunOutput(out);
    assertReference(counts, view);
    for (const id of tabIds) {
      const peer = report.peers.find((p) => p.peerId === id);
      assert.ok(peer && peer.chunks > 0, `tab ${id} computed: ${JSON.stringify(report.peers)}`);
    }
    await Promise.all(tabs.map((tab) => tab.context().close()));
  });

  it('a worker stopped with SIGTERM mid-job leaves cleanly and the job completes', async () => {
    const view = { width: 1280, height: 720, cx: -0.5, cy: 0, scale: 3 / 1280, maxIter: 3000 };
    const link = await createRoomLink(server.url.replace(/\/$/, ''));
    const nodes = [worker('stays', link), worker('leaves', link)];
    await Promise.all(nodes.map((node) => node.waitForLine(/joined the room/, 20_000)));
    const out = join(dir, 'sigterm');
    const run = cli('run', [...runArgs(view), '--room', link, '--out', out]);
    await run.waitForLine(/progress: [1-9]\d*\//, 30_000);
    const stoppedAt = performance.now();
    nodes[1]!.child.kill('SIGTERM');
    assert.equal(await nodes[1]!.exit(15_000), 0, nodes[1]!.output());
    assert.ok(performance.now() - stoppedAt < 12_000);
    assert.match(nodes[1]!.lines.join('\n'), /SIGTERM: finishing the chunks in hand/);
    assert.equal(await run.exit(120_000), 0, run.output());
    const { report, counts } = await readRunOutput(out);
    assertReferenceSample(counts, view, 5000);
    assert.equal(report.chunks.done, report.chunks.total);
    const stays = report.peers.find((peer) => peer.name === 'stays');
    assert.ok(stays && stays.chunks > 0);
  });

  it('a worker killed with SIGKILL mid-job: the job completes with identical output', async () => {
    const view = { width: 1280, height: 720, cx: -0.5, cy: 0, scale: 3 / 1280, maxIter: 3000 };
    const link = await createRoomLink(server.url.replace(/\/$/, ''));
    // Slowed (after each chunk a worker stays busy for 4 more times its compute time, the doomed
    // one 9), so the job outlasts the controller's connections to all three and the kill lands
    // mid-job even on a loaded machine.
    const slow = (factor: number) => ['--slowdown', String(factor)];
    const nodes = [
      worker('steady-1', link, slow(5)),
      worker('steady-2', link, slow(5)),
      worker('doomed', link, slow(10)),
    ];
    await Promise.all(nodes.map((node) => node.waitForLine(/joined the room/, 20_000)));
    const out = join(dir, 'killed');
    const run = cli('run', [...runArgs(view), '--room', link, '--wait-peers', '3', '--out', out]);
    await nodes[2]!.waitForLine(/computing for job/, 30_000);
    await run.waitForLine(/progress: [1-9]\d*\//, 30_000);
    nodes[2]!.child.kill('SIGKILL');
    assert.equal(await run.exit(120_000), 0, run.output());
    const { report, counts } = await readRunOutput(out);
    assertReferenceSample(counts, view, 5000);
    const doomed = report.peers.find((peer) => peer.name === 'doomed');
    assert.ok(doomed, JSON.stringify(report.peers));
    const steady = report.peers.filter((peer) => peer.name.startsWith('steady'));
    assert.equal(
      steady.reduce((sum, peer) => sum + peer.chunks, 0) + doomed.chunks,
      report.chunks.total,
    );
    assert.ok(
      doomed.chunksReassigned > 0,
      `the killed worker's chunks were queued again: ${JSON.stringify(doomed)}`,
    );
  });
});
