/**
 * Fault injection, end to end in the test network namespace: real server, `processdistro
 * worker` processes and the headless controller (`processdistro run`), real WebRTC. Each
 * scenario disturbs one job — peers killed, the controller reloaded, the server restarted, a
 * peer's network cut, a slow peer, a faulty peer — and asserts that its counts are byte for
 * byte those of an undisturbed run, then prints how much work was redone ('# ' lines).
 *
 * Jobs last seconds on little CPU: workers run with `--slowdown F` (after each chunk a worker
 * waits F − 1 times its compute time), so faults land mid-job on this 2-core machine.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRoomLink, NODE_FLAGS } from '../../client/node/local-mesh.ts';
import type { RunReport } from '../../client/node/run-command.ts';
import { referenceCount } from '../support/mandelbrot-reference.ts';
import { TestBrowser } from './support/browser.ts';
import { CliProcess, readRunOutput } from './support/cli-process.ts';
import { IsolatedNetwork } from './support/isolated-peer.ts';
import { chunksComputedBy, formatRedone, redoneWork } from './support/redone-work.ts';
import {
  downloadCounts,
  jobFigures,
  startRender,
  waitForChunks,
  waitForDone,
} from './support/render-page.ts';
import { joinRoom, waitForConnectedPeers } from './support/room-page.ts';
import { ServerProcess } from './support/server-process.ts';

/**
 * The app's "Full set" preset at its first size (1280 × 720) with 3000 iterations, so that a
 * browser tab controls the same job as `run`: 180 tiles of 72 × 72.
 */
const VIEW = { width: 1280, height: 720, cx: -0.5, cy: 0, scale: 1.6875 / 720, maxIter: 3000 };

const RUN_ARGS = ['run', 'mandelbrot'].concat(
  ['--width', String(VIEW.width), '--height', String(VIEW.height)],
  ['--cx', String(VIEW.cx), '--cy', String(VIEW.cy), '--scale', String(VIEW.scale)],
  ['--max-iter', String(VIEW.maxIter)],
);

/** Whether `processdistro <command…> --help` lists `option`. */
function helpLists(command: string[], option: string): boolean {
  const bin = fileURLToPath(new URL('../../bin/processdistro.js', import.meta.url));
  const help = spawnSync(process.execPath, [...NODE_FLAGS, bin, ...command, '--help'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return (help.stdout ?? '').includes(option);
}

const outputOf = (child: CliProcess) => child.output();

/** `promise`, or its error with the output of these processes appended. */
async function explained<T>(promise: Promise<T>, children: CliProcess[]): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${children.map(outputOf).join('\n')}`, {
      cause: error,
    });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the run's progress lines show at least `fraction` of the chunks done. */
async function waitForProgress(run: CliProcess, fraction: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const line of run.lines) {
      const match = /progress: (\d+)\/(\d+)/.exec(line);
      if (match && Number(match[1]) >= fraction * Number(match[2])) return;
    }
    if (Date.now() > deadline || run.child.exitCode !== null) {
      throw new Error(`no progress to ${fraction * 100}% in ${timeoutMs} ms:\n${run.output()}`);
    }
    await sleep(50);
  }
}

interface WorkerSpec {
  name: string;
  slowdown?: number;
  extra?: string[];
  /** Runs the worker in this nested namespace. */
  network?: IsolatedNetwork;
}

describe('fault injection', () => {
  let dir: string;
  let server: ServerProcess;
  /** The undisturbed run's mandelbrot.u32. */
  let reference: Buffer;
  const processes: CliProcess[] = [];
  const networks: IsolatedNetwork[] = [];
  let browser: TestBrowser | undefined;

  /** A fresh room on the test server with these workers joined. */
  async function room(specs: WorkerSpec[]) {
    const link = await createRoomLink(server.url.replace(/\/$/, ''));
    const workers = specs.map((spec) => {
      const slowdown = spec.slowdown ? ['--slowdown', String(spec.slowdown)] : [];
      const worker = CliProcess.worker(
        spec.name,
        spec.network ? spec.network.linkFromInside(link) : link,
        join(dir, 'data'),
        [...slowdown, ...(spec.extra ?? [])],
        spec.network?.launcher ?? [],
      );
      processes.push(worker);
      return worker;
    });
    await Promise.all(workers.map((worker) => worker.waitForLine(/joined the room/, 20_000)));
    return { link, workers };
  }

  function startRun(label: string, link: string, extra: string[] = []) {
    const out = join(dir, label);
    const run = new CliProcess(label, [...RUN_ARGS, '--room', link, '--out', out, ...extra]);
    processes.push(run);
    return { run, out };
  }

  /** Byte for byte the undisturbed run's counts, with the first differing pixel if not. */
  function assertIdentical(bytes: Uint8Array, what: string): void {
    assert.equal(bytes.byteLength, reference.byteLength, `${what}: size`);
    if (Buffer.compare(Buffer.from(bytes), reference) === 0) return;
    const got = new Uint32Array(new Uint8Array(bytes).buffer);
    const want = new Uint32Array(new Uint8Array(reference).buffer);
    const p = got.findIndex((count, i) => count !== want[i]);
    const [x, y] = [p % VIEW.width, Math.floor(p / VIEW.width)];
    assert.fail(`${what}: pixel (${x}, ${y}) is ${got[p]}, undisturbed ${want[p]}`);
  }

  /**
   * Waits for the run to succeed, checks its output against the undisturbed run, stops the
   * surviving workers (after `beforeStop`) and prints the redone work.
   */
  async function finish(
    scenario: string,
    job: { run: CliProcess; out: string },
    survivors: CliProcess[],
    options: { killed?: CliProcess[]; beforeStop?: () => Promise<void> } = {},
  ): Promise<RunReport> {
    const { killed = [], beforeStop } = options;
    const everyone = [...survivors, ...killed];
    assert.equal(await job.run.exit(90_000), 0, [job.run, ...everyone].map(outputOf).join('\n'));
    const { report } = await readRunOutput(job.out);
    assertIdentical(await readFile(join(job.out, 'mandelbrot.u32')), scenario);
    assert.equal(report.chunks.done, report.chunks.total);
    await beforeStop?.();
    await Promise.all(survivors.map((worker) => worker.stop()));
    console.log(formatRedone(scenario, redoneWork(report, survivors, killed), report.wallMs));
    return report;
  }

  const peer = (report: RunReport, name: string) => {
    const found = report.peers.find((p) => p.name === name);
    assert.ok(found, `${name} in ${JSON.stringify(report.peers)}`);
    return found;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pd-faults-'));
    server = await ServerProcess.start();
    // The undisturbed run: its own local mesh, full speed.
    const out = join(dir, 'undisturbed');
    const run = new CliProcess('undisturbed', [...RUN_ARGS, '--local-peers', '2', '--out', out]);
    processes.push(run);
    assert.equal(await run.exit(60_000), 0, run.output());
    const { counts } = await readRunOutput(out);
    for (let i = 0; i < 2000; i++) {
      const p = Math.floor((i * counts.length) / 2000);
      const [x, y] = [p % VIEW.width, Math.floor(p / VIEW.width)];
      assert.equal(counts[p], referenceCount(VIEW, x, y), `undisturbed pixel (${x}, ${y})`);
    }
    reference = await readFile(join(out, 'mandelbrot.u32'));
  });

  after(async () => {
    await Promise.all(processes.map((child) => child.stop()));
    await Promise.all(networks.map((network) => network.close()));
    await browser?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('kill 1 of 3 peers (SIGKILL) mid-job', async () => {
    const { link, workers } = await room(
      ['k1-a', 'k1-b', 'k1-doomed'].map((name) => ({ name, slowdown: 20 })),
    );
    const job = startRun('kill-1-of-3', link);
    const doomed = workers[2]!;
    await explained(doomed.waitForLine(/computing for job/, 30_000), [job.run, ...workers]);
    await waitForProgress(job.run, 0.25, 30_000);
    doomed.child.kill('SIGKILL');
    const report = await finish('kill 1 of 3', job, workers.slice(0, 2), { killed: [doomed] });
    assert.ok(peer(report, 'k1-doomed').chunksReassigned > 0, 'its chunks were queued again');
  });

  it('kill 2 of 4 peers (SIGKILL) at once mid-job', async () => {
    const { link, workers } = await room(
      ['k2-a', 'k2-b', 'k2-doomed-1', 'k2-doomed-2'].map((name) => ({ name, slowdown: 20 })),
    );
    const job = startRun('kill-2-of-4', link);
    const killed = workers.slice(2);
    const computing = killed.map((worker) => worker.waitForLine(/computing for job/, 30_000));
    await explained(Promise.all(computing), [job.run, ...workers]);
    await waitForProgress(job.run, 0.25, 30_000);
    for (const worker of killed) worker.child.kill('SIGKILL');
    const report = await finish('kill 2 of 4', job, workers.slice(0, 2), { killed });
    for (const { label } of killed) {
      assert.ok(peer(report, label).chunksReassigned > 0, `${label}'s chunks were queued again`);
    }
  });

  // `run` cannot resume a job (it holds its results in memory only), so a browser tab is the
  // controller here, with Node workers; it reloads mid-render and resumes from IndexedDB.
  it('reload the controller (a browser tab) mid-job', async () => {
    const { link, workers } = await room(
      ['rl-a', 'rl-b', 'rl-c'].map((name) => ({ name, slowdown: 20 })),
    );
    browser = await TestBrowser.launch();
    const page = await browser.newPage('controller');
    await joinRoom(page, link, 0); // the tab only coordinates
    await waitForConnectedPeers(page, 3, 20_000);
    await startRender(page, { size: 0, maxIter: VIEW.maxIter });
    const { total } = await jobFigures(page);
    await waitForChunks(page, Math.floor(total / 3), 60_000);
    const { inFlight } = await jobFigures(page);
    await page.reload();
    await page.getByRole('button', { name: /Resume unfinished render/ }).click({ timeout: 15_000 });
    await waitForDone(page, 90_000);
    const counts = await downloadCounts(page);
    assertIdentical(new Uint8Array(counts.buffer, counts.byteOffset, counts.byteLength), 'reload');
    await page.context().close();
    await Promise.all(workers.map((worker) => worker.stop()));
    const perWorker = workers.map((worker) => chunksComputedBy(worker) ?? 0);
    const computed = perWorker.reduce((sum, n) => sum + n, 0);
    console.log(
      `# reload the controller: ${computed} chunks computed for ${total} — ` +
        `${computed - total} redone, ${inFlight} were in flight at the reload ` +
        `(computed: ${workers.map((w, i) => `${w.label} ${perWorker[i]}`).join(', ')})`,
    );
    assert.ok(computed >= total, `${computed} computed < ${total} chunks`);
    // Peers hand over what they computed meanwhile: at most the chunks in flight run again.
    assert.ok(computed - total <= inFlight, `${computed - total} redone > ${inFlight} in flight`);
  });

  it('restart the signaling server mid-job (SIGKILL, then the same port and data)', async () => {
    const { link, workers } = await room(
      ['sr-a', 'sr-b', 'sr-c'].map((name) => ({ name, slowdown: 20 })),
    );
    const job = startRun('server-restart', link);
    await waitForProgress(job.run, 0.2, 30_000);
    await server.kill();
    await sleep(2000);
    await server.launch();
    // Every worker saw the server go and joined the restarted one (reconnecting, then joined).
    const rejoined = (worker: CliProcess) =>
      /signaling: reconnecting[^]*signaling: joined/.test(worker.lines.join('\n'));
    await finish('restart the signaling server', job, workers, {
      beforeStop: async () => {
        for (let waited = 0; !workers.every(rejoined) && waited < 15_000; waited += 100) {
          await sleep(100);
        }
      },
    });
    for (const worker of workers) assert.ok(rejoined(worker), worker.output());
  });

  /** The cut peer's log lines from the restore on, until it was stopped. */
  let afterRestore: { lines: string[]; output: string } | undefined;

  it("cut one peer's network for 10 s, then restore it", async () => {
    const network = await IsolatedNetwork.create(11);
    networks.push(network);
    // Slow enough that the job outlasts the cut by several seconds with two peers left.
    const { link, workers } = await room([
      { name: 'nc-a', slowdown: 50 },
      { name: 'nc-b', slowdown: 50 },
      { name: 'nc-isolated', slowdown: 50, network },
    ]);
    const isolated = workers[2]!;
    const job = startRun('net-cut', link);
    await explained(isolated.waitForLine(/computing for job/, 30_000), [job.run, ...workers]);
    await waitForProgress(job.run, 0.1, 30_000);
    await network.cut();
    const cutAt = isolated.lines.length;
    await sleep(10_000);
    await network.restore();
    const restoredAt = isolated.lines.length;
    const reconnected = () =>
      isolated.lines.slice(restoredAt).some((line) => /connected to nc-[ab]/.test(line));
    const report = await finish('cut one peer for 10 s', job, workers, {
      // Give it a chance to come back to the two other peers (still in the room) first: longer
      // than RoomSession's longest retry delay (10 s + 25 %).
      beforeStop: async () => {
        for (let waited = 0; !reconnected() && waited < 13_000; waited += 100) await sleep(100);
      },
    });
    afterRestore = { lines: isolated.lines.slice(restoredAt), output: isolated.output() };
    assert.ok(
      isolated.lines.slice(cutAt, restoredAt).some((line) => /lost controller/.test(line)),
      `the isolated peer lost the controller during the cut:\n${isolated.output()}`,
    );
    const cut = peer(report, 'nc-isolated');
    console.log(
      `# cut one peer for 10 s: the cut peer computed ${chunksComputedBy(isolated)} chunks, ` +
        `${cut.chunks} accepted, ${cut.chunksReassigned} reassigned away, ` +
        `${cut.duplicates} duplicates; reconnected after the restore: ${reconnected()}`,
    );
  });

  it('the cut peer reconnects to the mesh once its network is back', () => {
    assert.ok(afterRestore, 'the cut scenario ran');
    assert.ok(
      afterRestore.lines.some((line) => /connected to nc-[ab]/.test(line)),
      `no link came back in the job's remaining seconds + 13 s:\n${afterRestore.output}`,
    );
  });

  // Six times slower than its peers. At full speed (--slowdown 6 against none) the job is over
  // in under a second, sometimes before the slow peer's link to the controller is even up.
  it("throttle one peer's CPU 6× (--slowdown 60 against 10): its work is stolen", async () => {
    const { link, workers } = await room([
      { name: 'th-a', slowdown: 10 },
      { name: 'th-b', slowdown: 10 },
      { name: 'th-slow', slowdown: 60 },
    ]);
    const job = startRun('throttled', link);
    const report = await finish('throttle one peer', job, workers);
    const slow = peer(report, 'th-slow');
    console.log(`# throttle one peer: steals given/taken ${slow.stealsGiven}/${slow.stealsTaken}`);
    assert.ok(slow.stealsGiven > 0, `work was stolen from the slow peer: ${JSON.stringify(slow)}`);
  });

  // Verification checks a new peer's results with chance 0.5 (less as it earns trust): the
  // faulty peer is caught within its first few results, and every result of its that no other
  // peer confirmed is computed again, so no corrupted tile survives.
  const faultyMissing =
    !helpLists(['worker'], '--faulty') || !helpLists(['run', 'mandelbrot'], '--verify');
  it(
    'a faulty peer (--faulty 0.3) is caught and cannot change the output (run --verify 0.5)',
    { skip: faultyMissing ? 'processdistro lists no worker --faulty or run --verify' : false },
    async () => {
      const { link, workers } = await room([
        { name: 'fp-a', slowdown: 10 },
        { name: 'fp-b', slowdown: 10 },
        { name: 'fp-faulty', slowdown: 10, extra: ['--faulty', '0.3'] },
      ]);
      const job = startRun('faulty', link, ['--verify', '0.5']);
      const report = await finish('a faulty peer at 30%', job, workers);
      const faulty = peer(report, 'fp-faulty');
      const { verification } = report;
      console.log(
        `# a faulty peer at 30%: verification ${JSON.stringify(verification)}; the faulty peer ` +
          `${faulty.chunks} accepted, ${faulty.checked} checked, ${faulty.agreed} agreed`,
      );
      assert.ok(faulty.caught, `the faulty peer was caught: ${JSON.stringify(faulty)}`);
      assert.deepEqual(verification.caught, ['fp-faulty']);
    },
  );
});
