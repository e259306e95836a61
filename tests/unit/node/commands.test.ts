import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseRunArgs, readJobInput } from '../../../client/node/run-command.ts';
import { randomMatrices } from '../../../kernels/matmul/random.ts';
import { parseWorkerArgs } from '../../../client/node/worker-command.ts';
import { parseLink } from '../../../client/node/node-peer.ts';
import { createProgressView } from '../../../client/node/progress.ts';
import { runCli } from '../../../signaling/cli.ts';
import type { CliIo } from '../../../signaling/cli-io.ts';

function capture(): CliIo & { out_: string; err_: string } {
  const io = {
    out_: '',
    err_: '',
    out: (text: string) => void (io.out_ += `${text}\n`),
    error: (text: string) => void (io.err_ += `${text}\n`),
  };
  return io;
}

const LINK = 'http://192.168.1.20:30000/#room=abc123&t=tok.en';

describe('processdistro worker and run: arguments', () => {
  it('lists worker and run among the commands, with help for each', async () => {
    const top = capture();
    assert.equal(await runCli(['--help'], top), 0);
    assert.match(top.out_, /\n\s+worker\s/);
    assert.match(top.out_, /\n\s+run\s/);
    for (const argv of [
      ['worker', '--help'],
      ['run', '--help'],
      ['run', 'mandelbrot', '--help'],
      ['run', 'matmul', '--help'],
      ['run', 'pbkdf2', '--help'],
    ]) {
      const io = capture();
      assert.equal(await runCli(argv, io), 0, argv.join(' '));
      assert.match(io.out_, /^Usage: processdistro /);
      assert.match(io.out_, /Example/i);
    }
  });

  it('refuses bad arguments with exit code 2 and a message naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['worker'], /--room <link> is required/],
      [['worker', '--room', LINK, '--cores', 'two'], /--cores must be a whole number/],
      [['worker', '--room', LINK, '--bogus'], /Unknown option '--bogus'/],
      [['worker', '--room', 'not a link'], /not a room link/],
      [['worker', '--room', 'http://host/#room=only'], /no room and token/],
      [['run'], /which job\?/],
      [['bench', '--only', 'kernel,warp'], /unknown section 'warp'/],
      [['run', 'fractal'], /unknown job 'fractal'/],
      [['run', 'mandelbrot', '--out', 'x'], /either --room <link> or --local-peers <k>/],
      [['run', 'mandelbrot', '--out', 'x', '--room', LINK, '--local-peers', '2'], /either/],
      [['run', 'mandelbrot', '--local-peers', '2'], /--out <dir> is required/],
      [['run', 'mandelbrot', '--local-peers', '0', '--out', 'x'], /--local-peers must be/],
      [['run', 'mandelbrot', '--local-peers', '1', '--out', 'x', '--scale', '-1'], /--scale/],
      [
        ['run', 'mandelbrot', '--local-peers', '1', '--out', 'x', '--cx', 'abc'],
        /--cx must be a number/,
      ],
      [['run', 'mandelbrot', '--local-peers', '1', '--out', 'x', '--width', '9000'], /--width/],
    ];
    for (const [argv, pattern] of cases) {
      const io = capture();
      assert.equal(await runCli(argv, io), 2, argv.join(' '));
      assert.match(io.err_, pattern, argv.join(' '));
      assert.match(io.err_, /--help' for usage/);
    }
  });

  it('reads the worker options, with defaults', () => {
    const args = parseWorkerArgs(['--room', LINK, '--cores', '3', '--name', 'box'], {});
    assert.equal(args.room, LINK);
    assert.equal(args.cores, 3);
    assert.equal(args.name, 'box');
    assert.equal(args.slowdown, 1);
    assert.equal(parseWorkerArgs([], { PD_ROOM: LINK }).room, LINK);
  });

  it('reads run mandelbrot into the kernel parameters', () => {
    const args = parseRunArgs(
      ['mandelbrot', '--width', '1920', '--height', '1080', '--cx', '-0.5', '--cy', '0'].concat([
        '--scale',
        '0.0015625',
        '--max-iter',
        '1000',
        '--local-peers',
        '2',
        '--out',
        'out',
      ]),
    );
    assert.ok(typeof args !== 'string');
    assert.deepEqual(args.params, {
      width: 1920,
      height: 1080,
      cx: -0.5,
      cy: 0,
      scale: 0.0015625,
      maxIter: 1000,
    });
    assert.deepEqual(args.mesh, { localPeers: 2 });
    assert.equal(args.cores, 0);
    assert.match(args.out, /\/out$/);
  });

  it('waits for --wait-peers peers only on a room', () => {
    const base = ['mandelbrot', '--out', 'x'];
    const onRoom = parseRunArgs([...base, '--room', LINK, '--wait-peers', '3']);
    assert.ok(typeof onRoom !== 'string');
    assert.deepEqual(onRoom.mesh, { room: LINK, waitPeers: 3 });
    const atOnce = parseRunArgs([...base, '--room', LINK]);
    assert.ok(typeof atOnce !== 'string');
    assert.deepEqual(atOnce.mesh, { room: LINK, waitPeers: 0 });
    assert.throws(
      () => parseRunArgs([...base, '--local-peers', '2', '--wait-peers', '2']),
      /--wait-peers goes with --room/,
    );
    assert.throws(
      () => parseRunArgs([...base, '--room', LINK, '--wait-peers', '-1']),
      /--wait-peers/,
    );
  });

  it('splits a room link into server, room and token', () => {
    assert.deepEqual(parseLink(LINK), {
      serverUrl: 'http://192.168.1.20:30000',
      roomId: 'abc123',
      token: 'tok.en',
    });
    assert.throws(() => parseLink('ftp://x/#room=a&t=b'), /http:\/\/ or https:\/\//);
  });

  it('prints plain progress lines at each tenth when not on a terminal', () => {
    const lines: string[] = [];
    const view = createProgressView((line) => lines.push(line), false);
    for (let done = 0; done <= 100; done++) view.update({ done, total: 100, peers: 2 });
    view.stop();
    assert.equal(lines.length, 11);
    assert.equal(lines[10], 'progress: 100/100 chunks (100%), 2 peers');
  });
});

describe('processdistro run matmul and pbkdf2: arguments and input files', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);
  const local = ['--local-peers', '1', '--out', 'x'];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pd-run-args-'));
    await writeFile(file('A.f64'), new Uint8Array(3 * 2 * 8)); // 3 × 2
    await writeFile(file('B.f64'), new Uint8Array(2 * 4 * 8)); // 2 × 4
    await writeFile(file('pairs.csv'), 'password,salt\nhunter2,NaCl\n"a,""b""",c\n');
    await writeFile(file('pairs.txt'), '{"password":"x","salt":"y"}\n');
    await writeFile(file('wide.csv'), 'password,salt\nok,fine\n\na,b,c\n');
    await writeFile(
      file('number.jsonl'),
      '{"password":"x","salt":"y"}\n{"password":1,"salt":"y"}\n',
    );
    await writeFile(file('json.jsonl'), '{"password":"x","salt":"y"}\n{"password":\n');
    await writeFile(file('header.csv'), 'pass,salt\na,b\n');
    await writeFile(
      file('latin1.csv'),
      Buffer.from('password,salt\nok,fine\ncaf\xe9,s\n', 'latin1'),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('refuses bad arguments and bad input files with exit code 2, saying what is wrong', async () => {
    const matmulFiles = ['--a', file('A.f64'), '--b', file('B.f64')];
    const cases: Array<[string[], RegExp]> = [
      [['matmul'], /give the matrices: --a <file> --b <file> --n <n>, or --random <n>/],
      [['matmul', '--a', file('A.f64'), '--n', '3'], /--b <file> is required/],
      [['matmul', ...matmulFiles], /--n is required/],
      [
        ['matmul', ...matmulFiles, '--n', '3', '--random', '4'],
        /either .* or --random <n>, not both/,
      ],
      [['matmul', '--random', '4', '--n', '4'], /--random <n> sets n/],
      [
        ['matmul', ...matmulFiles, '--n', '3', '--k', '2', '--m', '4', '--seed', '5'],
        /--seed goes with --random/,
      ],
      [['matmul', '--random', '0'], /--random must be a whole number from 1 to 16384/],
      [['matmul', '--random', '4', '--k', '16385'], /--k must be a whole number from 1 to 16384/],
      [['matmul', '--random', '4', '--m', '2.5'], /--m must be a whole number/],
      [['matmul', '--random', '4', '--seed', '4294967296'], /--seed must be a whole number/],
      [['matmul', ...matmulFiles, '--n', '0'], /--n must be a whole number from 1/],
      [
        ['matmul', '--a', file('missing.f64'), '--b', file('B.f64'), '--n', '3', '--k', '2'],
        /--a .*missing\.f64: no such file/,
      ],
      [
        ['matmul', '--a', dir, '--b', file('B.f64'), '--n', '3', '--k', '2', '--m', '4'],
        /--a .* is not a file/,
      ],
      // A is 3 × 2, so n = 3 with the default k = n = 3 does not fit it.
      [
        ['matmul', ...matmulFiles, '--n', '3'],
        /--a .*A\.f64 is 48 bytes, but A is n × k = 3 × 3 f64 values: 72 bytes \(n·k·8\)/,
      ],
      [
        ['matmul', ...matmulFiles, '--n', '3', '--k', '2', '--m', '5'],
        /--b .*B\.f64 is 64 bytes, but B is k × m = 2 × 5 f64 values: 80 bytes \(k·m·8\)/,
      ],
      [['pbkdf2', '--iterations', '10'], /--input <file> is required/],
      [['pbkdf2', '--input', file('pairs.csv')], /--iterations is required/],
      [['pbkdf2', '--input', file('pairs.csv'), '--iterations', '0'], /--iterations must be/],
      [
        ['pbkdf2', '--input', file('pairs.csv'), '--iterations', '9', '--key-length', '1025'],
        /--key-length must be a whole number from 1 to 1024/,
      ],
      [
        ['pbkdf2', '--input', file('pairs.csv'), '--iterations', '9', '--format', 'xml'],
        /--format must be csv or jsonl/,
      ],
      [['pbkdf2', '--input', file('none.csv'), '--iterations', '9'], /none\.csv: no such file/],
      [
        ['pbkdf2', '--input', file('wide.csv'), '--iterations', '9'],
        /wide\.csv \(CSV\): line 4: Invalid Record Length: expect 2, got 3$/m,
      ],
      [
        ['pbkdf2', '--input', file('number.jsonl'), '--iterations', '9'],
        /number\.jsonl \(JSONL\): line 2: expected string "password" and "salt"/,
      ],
      [
        ['pbkdf2', '--input', file('json.jsonl'), '--iterations', '9'],
        /json\.jsonl \(JSONL\): line 2: not valid JSON/,
      ],
      [
        ['pbkdf2', '--input', file('header.csv'), '--iterations', '9'],
        /line 1: header must name the columns password and salt, got "pass,salt"/,
      ],
      [['pbkdf2', '--input', file('latin1.csv'), '--iterations', '9'], /line 3 is not valid UTF-8/],
      // --format wins over the extension: CSV text read as JSONL fails on its first line.
      [
        ['pbkdf2', '--input', file('pairs.csv'), '--iterations', '9', '--format', 'jsonl'],
        /pairs\.csv \(JSONL\): line 1: not valid JSON/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const argv = ['run', ...args, ...local];
      const io = capture();
      assert.equal(await runCli(argv, io), 2, argv.join(' '));
      assert.match(io.err_, pattern, argv.join(' '));
      assert.doesNotMatch(io.err_, /schema/, argv.join(' '));
      assert.match(io.err_, /--help' for usage/);
    }
  });

  it('reads matmul files into the parameters and the raw bytes', async () => {
    const args = parseRunArgs(
      ['matmul', '--a', file('A.f64'), '--b', file('B.f64')].concat(
        ['--n', '3', '--k', '2', '--m', '4'],
        local,
      ),
    );
    assert.ok(typeof args !== 'string');
    const input = await readJobInput(args);
    assert.deepEqual(input.params, { n: 3, k: 2, m: 4 });
    const data = input.data as { a: Uint8Array; b: Uint8Array };
    assert.deepEqual([data.a.byteLength, data.b.byteLength], [48, 64]);
  });

  it('generates seeded matrices for --random: square unless --k/--m say, seed 1 by default', async () => {
    const square = parseRunArgs(['matmul', '--random', '5', '--seed', '42', ...local]);
    assert.ok(typeof square !== 'string');
    const input = await readJobInput(square);
    assert.deepEqual(input.params, { n: 5, k: 5, m: 5 });
    assert.deepEqual(input.data, randomMatrices({ n: 5, k: 5, m: 5 }, 42));
    const shaped = parseRunArgs(['matmul', '--random', '5', '--k', '3', '--m', '7', ...local]);
    assert.ok(typeof shaped !== 'string');
    const other = await readJobInput(shaped);
    assert.deepEqual(other.params, { n: 5, k: 3, m: 7 });
    assert.deepEqual(other.settings, { n: 5, k: 3, m: 7, seed: 1 });
    assert.deepEqual(other.data, randomMatrices({ n: 5, k: 3, m: 7 }, 1));
  });

  it('reads pbkdf2 pairs, detecting the format by extension or content', async () => {
    const read = async (name: string, extra: string[] = []) => {
      const args = parseRunArgs(
        ['pbkdf2', '--input', file(name), '--iterations', '7'].concat(extra, local),
      );
      assert.ok(typeof args !== 'string');
      return readJobInput(args);
    };
    const csv = await read('pairs.csv', ['--key-length', '40']);
    assert.deepEqual(csv.data, {
      pairs: [
        { password: 'hunter2', salt: 'NaCl' },
        { password: 'a,"b"', salt: 'c' },
      ],
    });
    assert.deepEqual(csv.params, { iterations: 7, keyLength: 40, count: 2, blobPairs: [2] });
    assert.equal((csv.settings as { format: string }).format, 'csv');
    const jsonl = await read('pairs.txt'); // no telling extension: detected by its first '{'
    assert.equal((jsonl.settings as { format: string }).format, 'jsonl');
    assert.deepEqual(jsonl.params, { iterations: 7, keyLength: 32, count: 1, blobPairs: [1] });
  });
});
