/**
 * The `processdistro` command: a dispatcher over subcommands. Each subcommand is loaded
 * only when used, so `serve` does not pay for what `worker` or `bench` will import.
 */
import { consoleIo, type CliIo } from './cli-io.ts';
import { packageVersion } from './config.ts';

/** A subcommand: runs with the arguments after its name and resolves with an exit code. */
export interface Subcommand {
  summary: string;
  load(): Promise<(argv: string[], io: CliIo) => Promise<number>>;
}

/** Every subcommand, by name. */
export const SUBCOMMANDS: Record<string, Subcommand> = {
  serve: {
    summary: 'serve the app, signaling and STUN on this machine (prints URLs and a QR code)',
    load: async () => (await import('./serve-command.ts')).serveCommand,
  },
  worker: {
    summary: 'join a room as a headless compute peer (worker threads, WebAssembly)',
    load: async () => (await import('../client/node/worker-command.ts')).workerCommand,
  },
  run: {
    summary: 'run a job (mandelbrot, matmul, pbkdf2) as its controller, on a room or local peers',
    load: async () => (await import('../client/node/run-command.ts')).runCommand,
  },
  bench: {
    summary: 'measure kernels, per-chunk overhead, data channels and speedup on this machine',
    load: async () => (await import('../client/node/bench-command.ts')).benchCommand,
  },
};

/** Top-level help. */
export function usage(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((name) => name.length));
  const list = Object.entries(SUBCOMMANDS)
    .map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`)
    .join('\n');
  return `Usage: processdistro <command> [options]

Commands:
${list}

Run 'processdistro <command> --help' for the options of a command.
  -h, --help     show this help
  -v, --version  print the version
`;
}

/** Runs the command line `argv` (without node and the script); resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo = consoleIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '-v' || name === '--version') {
    io.out(packageVersion());
    return 0;
  }
  const command = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (!command) {
    io.error(`processdistro: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return (await command.load())(rest, io);
}
