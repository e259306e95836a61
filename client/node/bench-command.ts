/**
 * `processdistro bench`: builds what it needs, moves into a private network namespace
 * (scripts/netns.sh) when it is not in one, and runs the benchmark suite (bench/suite.ts).
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { CliIo } from '../../signaling/cli-io.ts';
import { runBuild, staleBuildReason } from '../../signaling/build-if-needed.ts';
import { DEFAULT_OPTIONS, PACKAGE_ROOT } from '../../signaling/config.ts';
import { readArgs, UsageError, withUsage } from './args.ts';
import { loadKernelBytes } from './kernel-files.ts';
import { NODE_FLAGS } from './local-mesh.ts';
import { SECTIONS, type Section } from '../../bench/sections.ts';

export const BENCH_HELP = `Usage: processdistro bench [options]

Measure this machine's mesh and print a table (each figure against its target, if it has
one); the figures also go to a JSON file. About 2 minutes on 2 cores. Runs a local server,
Node workers and headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium) inside a
private network namespace, so nothing leaves this machine (needs root or user namespaces).

Sections:
  kernel        Mandelbrot 1920×1080×1000 on one thread: WASM SIMD vs scalar JS, Node and Chromium
  matmul        n × n · n × n (n = 1024, 2048): GFLOP/s of the WASM kernel on one thread
                (≥ 4) and over a two-peer Node mesh, with the bytes each peer moved
  pbkdf2        PBKDF2 iterations/s on one thread: WASM SIMD vs Node's crypto.pbkdf2Sync (≥ 0.4×)
  chunks        no-op chunks per second through a two-peer mesh           (target ≥ 5000/s)
  datachannel   bulk bodies between two peers, Node↔Node and Chromium↔Chromium (≥ 25 MB/s)
  render        the Mandelbrot render with one vs two peers, Node and Chromium  (≥ 1.8×)

Options:
      --only <list>   comma-separated sections to run              [default: all]
      --out <file>    where the JSON goes                  [default bench/results.json]
  -h, --help          show this help

Exit code 0 when every figure meets its target, 1 when one does not.

Example:
  processdistro bench --only chunks,render
`;

const FLAGS = {
  only: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseBenchArgs(argv: string[]) {
  const { values } = readArgs(argv, FLAGS);
  const names = (values.only ?? SECTIONS.join(',')).split(',').filter(Boolean);
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new UsageError(`unknown section '${name}'; sections: ${SECTIONS.join(', ')}`);
    }
  }
  if (names.length === 0) throw new UsageError('--only needs at least one section');
  return {
    help: values.help === true,
    sections: new Set(names as Section[]),
    out: resolve(values.out ?? join(PACKAGE_ROOT, 'bench/results.json')),
  };
}

export async function benchCommand(argv: string[], io: CliIo): Promise<number> {
  return withUsage('bench', io, async () => {
    const args = parseBenchArgs(argv);
    if (args.help) {
      io.out(BENCH_HELP);
      return 0;
    }
    if (process.env.PD_NETNS !== '1') return inNamespace(argv, io);
    const reason = staleBuildReason(PACKAGE_ROOT, DEFAULT_OPTIONS.distDir);
    if (reason) {
      io.out(`Building the app (${reason})...`);
      await runBuild(PACKAGE_ROOT);
    }
    for (const kernel of ['mandelbrot', 'noop', 'matmul', 'pbkdf2']) {
      await loadKernelBytes(kernel, (line) => io.out(line));
    }
    const { runBench } = await import('../../bench/suite.ts');
    io.out(`processdistro bench: ${[...args.sections].join(', ')}\n`);
    const started = performance.now();
    const results = await runBench({ sections: args.sections, log: io.out, out: args.out });
    io.out(
      `\n${results.figures.length} figures in ${((performance.now() - started) / 1000).toFixed(0)} s, written to ${args.out}`,
    );
    if (results.misses.length) {
      io.out(`Below target:\n${results.misses.map((miss) => `  ${miss}`).join('\n')}`);
      return 1;
    }
    io.out('Every figure meets its target.');
    return 0;
  });
}

/** Runs this same command again inside scripts/netns.sh; resolves with its exit code. */
function inNamespace(argv: string[], io: CliIo): Promise<number> {
  return new Promise((resolvePromise) => {
    const child = spawn(
      join(PACKAGE_ROOT, 'scripts/netns.sh'),
      [
        process.execPath,
        ...NODE_FLAGS,
        join(PACKAGE_ROOT, 'bin/processdistro.js'),
        'bench',
        ...argv,
      ],
      { cwd: PACKAGE_ROOT, stdio: 'inherit' },
    );
    child.on('error', (err) => {
      io.error(`processdistro bench: cannot enter a network namespace: ${err.message}`);
      resolvePromise(1);
    });
    child.on('exit', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)));
  });
}
