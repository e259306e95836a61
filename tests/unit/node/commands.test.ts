import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRunArgs } from '../../../client/node/run-command.ts';
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
