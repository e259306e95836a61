/**
 * The `processdistro` command as a child process: output captured line by line, with waits
 * for a line and for the exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../../client/node/local-mesh.ts';
import type { RunReport } from '../../../client/node/run-command.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export class CliProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<number | string>;
  private readonly waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];

  /** `launcher`: a command prefix that execs Node (e.g. nsenter into another namespace). */
  constructor(
    readonly label: string,
    args: string[],
    launcher: string[] = [],
  ) {
    const argv = [
      ...launcher,
      process.execPath,
      ...NODE_FLAGS,
      join(ROOT, 'bin/processdistro.js'),
      ...args,
    ];
    this.child = spawn(argv[0]!, argv.slice(1), {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
    );
  }

  /** Starts `processdistro worker` in a room. */
  static worker(
    name: string,
    link: string,
    dataDir: string,
    extra: string[] = [],
    launcher: string[] = [],
  ): CliProcess {
    return new CliProcess(
      name,
      ['worker', '--room', link, '--cores', '1', '--name', name, '--data-dir', dataDir, ...extra],
      launcher,
    );
  }

  /** Resolves with the first line (already printed or to come) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.label}: no line matching ${pattern} in ${timeoutMs} ms:\n${this.output()}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  /** Waits for the exit; rejects after `timeoutMs` (and kills the process). */
  async exit(timeoutMs: number): Promise<number | string> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`${this.label} did not exit in ${timeoutMs} ms:\n${this.output()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the process (SIGTERM) if it still runs and waits for it. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exit(15_000).catch(() => {});
  }

  output(): string {
    return this.lines.map((line) => `  [${this.label}] ${line}`).join('\n');
  }

  private onLine(line: string): void {
    this.lines.push(line);
    for (const waiter of [...this.waiters]) {
      if (!waiter.pattern.test(line)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  }
}

/** Reads a `run` output directory: report.json and the raw counts. */
export async function readRunOutput(dir: string) {
  const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as RunReport;
  const bytes = await readFile(join(dir, 'mandelbrot.u32'));
  const counts = new Uint32Array(new Uint8Array(bytes).buffer); // little-endian host
  return { report, counts, png: await readFile(join(dir, 'mandelbrot.png')) };
}
