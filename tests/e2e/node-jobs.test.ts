/**
 * `processdistro run matmul` and `processdistro run pbkdf2` end to end: real processes (the
 * run command, its local server and worker processes, or a server and workers started here),
 * real WebRTC (node-datachannel) in the test network namespace. Outputs are checked against
 * independent references: a plain f64 triple loop, and Node's crypto.pbkdf2Sync.
 */
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import { createRoomLink } from '../../client/node/local-mesh.ts';
import type { RunReport } from '../../client/node/run-command.ts';
import { randomMatrices } from '../../kernels/matmul/random.ts';
import { matmulReference } from '../../kernels/matmul/reference.ts';
import { CliProcess } from './support/cli-process.ts';
import { ServerProcess } from './support/server-process.ts';
import { seededRandom } from '../../client/scheduler/seeded-random.ts';

interface Shape {
  n: number;
  k: number;
  m: number;
}

/** Little-endian f64 bytes, written value by value (the raw .f64 layout). */
function toF64LE(values: Float64Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => view.setFloat64(i * 8, value, true));
  return bytes;
}

function fromF64LE(bytes: Uint8Array): Float64Array {
  assert.equal(bytes.byteLength % 8, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float64Array.from({ length: bytes.byteLength / 8 }, (_, i) =>
    view.getFloat64(i * 8, true),
  );
}

/** Every element within 1e-9 relative (absolute below 1) of the reference. */
function assertMatches(c: Float64Array, reference: Float64Array, shape: Shape): void {
  assert.equal(c.length, shape.n * shape.m, 'C has n × m values');
  for (let i = 0; i < c.length; i++) {
    const error = Math.abs(c[i]! - reference[i]!) / Math.max(1, Math.abs(reference[i]!));
    if (!(error <= 1e-9)) {
      const row = Math.floor(i / shape.m);
      assert.fail(`C[${row}][${i % shape.m}] = ${c[i]}, reference ${reference[i]}`);
    }
  }
}

async function readReport(dir: string): Promise<RunReport> {
  return JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as RunReport;
}

/** The report's per-peer bytes add up, and its throughput is the work over the wall time. */
function assertReportSums(report: RunReport, work: number, unit: string): void {
  assert.equal(report.status, 'done');
  assert.equal(report.chunks.done, report.chunks.total);
  assert.ok(report.throughput, 'the report has a throughput');
  assert.equal(report.throughput.unit, unit);
  const expected = work / (report.wallMs / 1000);
  assert.ok(
    Math.abs(report.throughput.value - expected) <= 0.01 * expected,
    `throughput ${report.throughput.value}, work / wall ${expected}`,
  );
  for (const peer of report.peers) {
    assert.equal(peer.bytesMoved, peer.inputBytes + peer.resultBytes, peer.name);
    if (peer.chunks > 0) {
      assert.ok(peer.computeMs > 0 && peer.work! > 0, JSON.stringify(peer));
      const rate = peer.work! / (peer.computeMs / 1000);
      assert.ok(Math.abs(peer.throughput! - rate) <= 0.01 * rate + 1e-9, JSON.stringify(peer));
    }
  }
  const sum = (key: 'inputBytes' | 'resultBytes') =>
    report.peers.reduce((total, peer) => total + peer[key], 0);
  assert.deepEqual(report.bytes, {
    input: sum('inputBytes'),
    result: sum('resultBytes'),
    total: sum('inputBytes') + sum('resultBytes'),
  });
}

/** A RFC 4180 field: quoted, with quotes doubled, when it holds a comma, quote or line break. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Seeded pairs with every awkward case: empty, long (> 64 and > 1000 bytes), non-ASCII, CSV syntax. */
function testPairs(count: number, seed: number): Array<{ password: string; salt: string }> {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const pieces = ['a', 'Z', '7', ' ', ',', '"', 'é', 'ß', '日本', '🔑', 'пароль', '\n', "'", ';'];
  const text = (length: number) => Array.from({ length }, () => pick(pieces)).join('');
  const special = [
    { password: '', salt: 'empty password' },
    { password: 'empty salt', salt: '' },
    { password: '', salt: '' },
    { password: 'x'.repeat(65), salt: 'just past one SHA-256 block of key' },
    { password: 'long '.repeat(250), salt: 'over a thousand bytes' },
    { password: 'mot de passe é ü 日本語 🔐', salt: 'sel' },
    { password: 'say "hello", world', salt: '"quoted", salt' },
    { password: 'line\nbreak', salt: 'crlf\r\ninside' },
    { password: '  spaces kept  ', salt: ' ' },
  ];
  const pairs = [...special];
  while (pairs.length < count) {
    pairs.push({ password: text(Math.floor(next() * 40)), salt: text(Math.floor(next() * 20)) });
  }
  return pairs;
}

describe('run matmul and run pbkdf2', () => {
  let dir: string;
  let server: ServerProcess;
  const processes: CliProcess[] = [];

  const cli = (label: string, args: string[]) => {
    const child = new CliProcess(label, args);
    processes.push(child);
    return child;
  };

  /** A job on a room with two single-core workers, the second killed mid-job. */
  async function runKillingOne(label: string, args: string[], out: string): Promise<void> {
    const link = await createRoomLink(server.url.replace(/\/$/, ''));
    // Both are slowed (after each chunk a worker stays busy for 9 more times its compute time,
    // the doomed one 29), so the job lasts seconds on little CPU and the kill lands mid-job.
    const worker = (name: string, slowdown: number) => {
      const child = CliProcess.worker(name, link, join(dir, 'data'), [
        '--slowdown',
        String(slowdown),
      ]);
      processes.push(child);
      return child;
    };
    const steady = worker(`${label}-steady`, 10);
    const doomed = worker(`${label}-doomed`, 30);
    await Promise.all([steady, doomed].map((node) => node.waitForLine(/joined the room/, 20_000)));
    const run = cli(label, ['run', ...args, '--room', link, '--out', out]);
    await doomed.waitForLine(/computing for job/, 30_000);
    await run.waitForLine(/progress: [1-9]\d*\//, 30_000);
    doomed.child.kill('SIGKILL');
    assert.equal(await run.exit(60_000), 0, run.output());
    const report = await readReport(out);
    const dead = report.peers.find((peer) => peer.name === `${label}-doomed`);
    assert.ok(dead, JSON.stringify(report.peers));
    assert.ok(
      dead.chunksReassigned > 0,
      `the killed worker's chunks were queued again: ${JSON.stringify(dead)}`,
    );
    const alive = report.peers.find((peer) => peer.name === `${label}-steady`);
    assert.equal((alive?.chunks ?? 0) + dead.chunks, report.chunks.total);
    await steady.stop();
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pd-node-jobs-'));
    server = await ServerProcess.start();
  });

  after(async () => {
    await Promise.all(processes.map((child) => child.stop()));
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const files: Shape = { n: 1000, k: 777, m: 1203 };
  let filesInput: { a: Float64Array; b: Float64Array; reference: Float64Array } | undefined;

  /** Seeded A and B written as raw files, and their product by the triple loop (once). */
  async function matrixFiles() {
    if (!filesInput) {
      const next = seededRandom(20260101);
      const a = Float64Array.from({ length: files.n * files.k }, () => 4 * next() - 2);
      const b = Float64Array.from({ length: files.k * files.m }, () => 4 * next() - 2);
      await writeFile(join(dir, 'A.f64'), toF64LE(a));
      await writeFile(join(dir, 'B.f64'), toF64LE(b));
      filesInput = { a, b, reference: matmulReference(files, a, b) };
    }
    return filesInput;
  }
  const filesArgs = () =>
    ['--a', join(dir, 'A.f64'), '--b', join(dir, 'B.f64')].concat([
      '--n',
      String(files.n),
      '--k',
      String(files.k),
      '--m',
      String(files.m),
    ]);

  it('matmul 1000×777 · 777×1203 from raw files equals the f64 triple loop', async () => {
    const { a, b, reference } = await matrixFiles();
    const out = join(dir, 'matmul-files');
    const run = cli('matmul', [
      'run',
      'matmul',
      ...filesArgs(),
      '--local-peers',
      '2',
      '--out',
      out,
    ]);
    assert.equal(await run.exit(60_000), 0, run.output());
    assertMatches(fromF64LE(await readFile(join(out, 'C.f64'))), reference, files);

    const report = await readReport(out);
    assert.deepEqual(report.files, ['C.f64', 'report.json']);
    assertReportSums(report, (2 * files.n * files.k * files.m) / 1e9, 'GFLOP/s');
    const workers = report.peers.filter((peer) => !peer.self);
    assert.equal(workers.length, 2);
    // Together the peers fetched all of A and B at least once and sent back all of C.
    assert.ok(report.bytes.input >= (a.length + b.length) * 8, JSON.stringify(report.bytes));
    assert.ok(report.bytes.result >= files.n * files.m * 8, JSON.stringify(report.bytes));
    for (const peer of workers.filter((worker) => worker.chunks > 0)) {
      assert.ok(peer.inputBytes > 0 && peer.resultBytes > 0, JSON.stringify(peer));
    }
    const output = run.lines.join('\n');
    assert.match(output, /Done in [\d.]+ s: 42\/42 chunks, [\d.]+ GFLOP\/s, [\d.]+ MB moved/);
    assert.match(output, /local-1 .* MB moved \([\d.]+ [kM]B input, [\d.]+ [kM]B results\)/);
  });

  it('matmul --random N --seed S equals the triple loop on the same seeded matrices', async () => {
    const shape = { n: 640, k: 640, m: 640 }; // --random 640 alone is square
    const out = join(dir, 'matmul-random');
    const run = cli(
      'matmul-random',
      ['run', 'matmul', '--random', '640', '--seed', '42'].concat([
        '--local-peers',
        '2',
        '--out',
        out,
      ]),
    );
    const { a, b } = randomMatrices(shape, 42);
    const reference = matmulReference(shape, a, b);
    assert.equal(await run.exit(60_000), 0, run.output());
    assertMatches(fromF64LE(await readFile(join(out, 'C.f64'))), reference, shape);
    const report = await readReport(out);
    assert.deepEqual(report.params, { ...shape, seed: 42 });
    assertReportSums(report, (2 * 640 ** 3) / 1e9, 'GFLOP/s');
  });

  it('pbkdf2 of a CSV of 300 awkward pairs equals crypto.pbkdf2Sync, in input order', async () => {
    const pairs = testPairs(300, 7);
    const iterations = 1000;
    const keyLength = 40; // two PBKDF2 blocks, the second truncated
    const csv = [
      'Salt,Password',
      ...pairs.map((p) => `${csvField(p.salt)},${csvField(p.password)}`),
    ];
    await writeFile(join(dir, 'pairs.csv'), `\ufeff${csv.join('\r\n')}\r\n`);
    const out = join(dir, 'pbkdf2-csv');
    const run = cli(
      'pbkdf2',
      ['run', 'pbkdf2', '--input', join(dir, 'pairs.csv')].concat(
        ['--iterations', String(iterations), '--key-length', String(keyLength)],
        ['--local-peers', '2', '--out', out],
      ),
    );
    assert.equal(await run.exit(60_000), 0, run.output());

    const rows = parseCsv(await readFile(join(out, 'hashes.csv'), 'utf8')) as string[][];
    assert.deepEqual(rows[0], ['password', 'salt', 'hash']);
    assert.equal(rows.length, pairs.length + 1);
    pairs.forEach(({ password, salt }, i) => {
      const hash = pbkdf2Sync(password, salt, iterations, keyLength, 'sha256').toString('hex');
      assert.deepEqual(rows[i + 1], [password, salt, hash], `pair ${i}`);
    });

    const report = await readReport(out);
    assert.deepEqual(report.files, ['hashes.csv', 'report.json']);
    assertReportSums(report, pairs.length, 'hashes/s');
    // Each peer's work is the number of pairs it derived.
    const derived = report.peers.map((peer) => peer.work ?? 0);
    assert.ok(derived.every(Number.isInteger), JSON.stringify(derived));
    assert.equal(
      derived.reduce((sum, work) => sum + work, 0),
      pairs.length,
    );
    assert.match(run.lines.join('\n'), /Done in [\d.]+ s: \d+\/\d+ chunks, [\d.]+ hashes\/s/);
    assert.match(run.lines.join('\n'), /local-\d .* hashes\/s computing/);
  });

  it('matmul: a worker killed with SIGKILL mid-job, and C still equals the triple loop', async () => {
    const { reference } = await matrixFiles();
    const out = join(dir, 'matmul-killed');
    await runKillingOne('matmul-kill', ['matmul', ...filesArgs()], out);
    assertMatches(fromF64LE(await readFile(join(out, 'C.f64'))), reference, files);
  });

  it('pbkdf2: a worker killed with SIGKILL mid-job, and every key is still right', async () => {
    const pairs = testPairs(240, 11);
    const iterations = 5000;
    const jsonl = pairs.map((pair) => JSON.stringify(pair)).join('\n');
    await writeFile(join(dir, 'pairs.jsonl'), `${jsonl}\n`);
    const out = join(dir, 'pbkdf2-killed');
    await runKillingOne(
      'pbkdf2-kill',
      ['pbkdf2', '--input', join(dir, 'pairs.jsonl'), '--iterations', String(iterations)],
      out,
    );
    const lines = (await readFile(join(out, 'hashes.jsonl'), 'utf8')).split('\n');
    assert.equal(lines.pop(), '', 'the file ends with a line break');
    assert.equal(lines.length, pairs.length);
    pairs.forEach(({ password, salt }, i) => {
      const hash = pbkdf2Sync(password, salt, iterations, 32, 'sha256').toString('hex');
      assert.deepEqual(JSON.parse(lines[i]!), { password, salt, hash }, `pair ${i}`);
    });
  });
});
