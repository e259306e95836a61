/**
 * The relay fallback, end to end in the test network namespace: a `processdistro worker` in
 * a nested namespace whose UDP is dropped both ways (its WebSocket, over TCP, still works;
 * WebRTC cannot connect) computes a `processdistro run` controller's job through the
 * signaling server, and the output matches the reference definition.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createRoomLink } from '../../client/node/local-mesh.ts';
import { referenceCount } from '../support/mandelbrot-reference.ts';
import { CliProcess, readRunOutput } from './support/cli-process.ts';
import { IsolatedNetwork } from './support/isolated-peer.ts';
import { ServerProcess } from './support/server-process.ts';

const run = promisify(execFile);

const SUBNET = 21;
const VIEW = { width: 640, height: 360, cx: -0.5, cy: 0, scale: 3 / 640, maxIter: 1000 };

/**
 * Drops every UDP packet leaving `device` (`launcher` runs tc in its namespace). iptables is
 * not installed and neither is tc's drop action (act_gact) nor the prio qdisc, so: an htb
 * root whose u32 filter files UDP under a class with a blackhole qdisc, the rest under a
 * class that passes it on.
 */
async function blockUdpFrom(device: string, launcher: string[] = []): Promise<void> {
  const tc = (...args: string[]) =>
    launcher.length > 0
      ? run(launcher[0]!, [...launcher.slice(1), 'tc', ...args])
      : run('tc', args);
  const dev = ['dev', device];
  await tc('qdisc', 'add', ...dev, 'root', 'handle', '1:', 'htb', 'default', '10');
  for (const id of ['1:10', '1:20']) {
    await tc(
      'class',
      'add',
      ...dev,
      'parent',
      '1:',
      'classid',
      id,
      'htb',
      'rate',
      '1gbit',
      'quantum',
      '60000',
    );
  }
  await tc('qdisc', 'add', ...dev, 'parent', '1:20', 'handle', '20:', 'blackhole');
  const udp = ['u32', 'match', 'ip', 'protocol', '17', '0xff', 'flowid', '1:20'];
  await tc('filter', 'add', ...dev, 'parent', '1:', 'protocol', 'ip', 'prio', '1', ...udp);
}

describe('relay fallback', () => {
  let dir: string;
  let server: ServerProcess;
  let network: IsolatedNetwork | undefined;
  const processes: CliProcess[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pd-relay-'));
    server = await ServerProcess.start();
  });

  after(async () => {
    await Promise.all(processes.map((child) => child.stop()));
    await network?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a worker without UDP computes a job over the relay', async () => {
    network = await IsolatedNetwork.create(SUBNET);
    // Both ends of the pair (IsolatedNetwork names them pdx<subnet>a outside, …b inside), so
    // UDP is dropped both ways while TCP, the worker's WebSocket, passes.
    await blockUdpFrom(`pdx${SUBNET}a`);
    await blockUdpFrom(`pdx${SUBNET}b`, network.launcher);
    const link = await createRoomLink(server.url.replace(/\/$/, ''));
    const worker = CliProcess.worker(
      'relayed-worker',
      network.linkFromInside(link),
      join(dir, 'data'),
      [],
      network.launcher,
    );
    processes.push(worker);
    await worker.waitForLine(/joined the room/, 20_000);
    // The controller computes nothing itself (--cores 0): every chunk must cross the relay.
    const out = join(dir, 'out');
    const controller = new CliProcess('controller', [
      ...['run', 'mandelbrot', '--width', String(VIEW.width), '--height', String(VIEW.height)],
      ...['--cx', String(VIEW.cx), '--cy', String(VIEW.cy), '--scale', String(VIEW.scale)],
      ...['--max-iter', String(VIEW.maxIter), '--room', link, '--out', out],
    ]);
    processes.push(controller);
    const explain = () => [controller, worker].map((child) => child.output()).join('\n');
    assert.equal(await controller.exit(120_000), 0, explain());

    const { report, counts } = await readRunOutput(out);
    assert.equal(report.status, 'done');
    assert.equal(report.chunks.done, report.chunks.total);
    const relayed = report.peers.find((peer) => peer.name === 'relayed-worker');
    assert.ok(relayed, JSON.stringify(report.peers));
    assert.equal(relayed.chunks, report.chunks.total, 'the relayed worker computed every chunk');
    assert.equal(counts.length, VIEW.width * VIEW.height);
    for (let i = 0; i < 2000; i++) {
      const p = Math.floor((i * counts.length) / 2000);
      const [x, y] = [p % VIEW.width, Math.floor(p / VIEW.width)];
      assert.equal(counts[p], referenceCount(VIEW, x, y), `pixel (${x}, ${y})`);
    }
    assert.ok(
      worker.lines.some((line) => /relayed through the server/.test(line)),
      `the worker says it is relayed:\n${explain()}`,
    );
    const metrics = await (await fetch(`${server.url}metrics`)).text();
    const bytes = Number(/^pd_relayed_bytes_total (\S+)$/m.exec(metrics)?.[1] ?? 0);
    // Results travel compressed, so far fewer bytes than the counts: just some, not none.
    assert.ok(bytes > 0, `the server counted relayed bytes: ${bytes}`);
    console.log(
      `# relayed: ${report.chunks.total} chunks in ${(report.wallMs / 1000).toFixed(1)} s, ` +
        `${bytes} payload bytes through the server`,
    );
    console.log(worker.output());
  });
});
