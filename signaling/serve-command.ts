/**
 * `processdistro serve`: starts the server, prints where to reach it, and shuts it down
 * cleanly on SIGINT/SIGTERM.
 */
import { formatBanner } from './banner.ts';
import { runBuild, staleBuildReason } from './build-if-needed.ts';
import type { CliIo } from './cli-io.ts';
import {
  DEFAULT_OPTIONS,
  PACKAGE_ROOT,
  SERVE_HELP,
  UsageError,
  parseServeArgs,
  type ServeArgs,
} from './config.ts';
import { startServer, type RunningServer } from './server.ts';

// A shutdown that hangs (a stuck socket) must not keep the terminal hostage.
const SHUTDOWN_TIMEOUT_MS = 10_000;

function explainStartError(err: NodeJS.ErrnoException & { port?: number }): string {
  if (err.code === 'EADDRINUSE') {
    return `port ${err.port ?? ''} is already in use (another server running?); choose another with --port, --https-port or --stun-port`;
  }
  if (err.code === 'EACCES') return `not allowed to listen on port ${err.port ?? ''}`;
  return err.message;
}

/** Waits for SIGINT or SIGTERM, closes the server, and resolves with the exit code. */
function closeOnSignal(server: RunningServer, io: CliIo): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        io.error(`${signal} again: exiting without waiting.`);
        process.exit(1);
      }
      stopping = true;
      io.out(`\n${signal}: shutting down...`);
      const timer = setTimeout(() => {
        io.error('shutdown timed out');
        resolve(1);
      }, SHUTDOWN_TIMEOUT_MS).unref();
      server.close().then(
        () => {
          clearTimeout(timer);
          process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
          resolve(0);
        },
        (err: unknown) => {
          io.error(`shutdown failed: ${(err as Error).message}`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  });
}

/** Runs `serve` with its arguments; resolves with the process exit code once it stops. */
export async function serveCommand(argv: string[], io: CliIo): Promise<number> {
  let args: ServeArgs;
  try {
    args = parseServeArgs(argv, process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.error(`processdistro serve: ${err.message}\nRun 'processdistro serve --help' for usage.`);
    return 2;
  }
  if (args.help) {
    io.out(SERVE_HELP);
    return 0;
  }
  if (args.buildIfNeeded) {
    const reason = staleBuildReason(PACKAGE_ROOT, args.options.distDir ?? DEFAULT_OPTIONS.distDir);
    if (reason) {
      io.out(`Building the app (${reason})...`);
      try {
        await runBuild(PACKAGE_ROOT);
      } catch (err) {
        io.error(`processdistro serve: ${(err as Error).message}`);
        return 1;
      }
    }
  }
  let server: RunningServer;
  try {
    server = await startServer(args.options);
  } catch (err) {
    io.error(`processdistro serve: ${explainStartError(err as NodeJS.ErrnoException)}`);
    return 1;
  }
  io.out(await formatBanner(server));
  return closeOnSignal(server, io);
}
