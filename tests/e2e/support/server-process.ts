/**
 * The real signaling server as a child process (`processdistro serve`), so that a test can
 * kill it with SIGKILL and start it again on the same ports and data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../../', import.meta.url).pathname;

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ServerProcessOptions {
  port: number;
  dataDir: string;
  /** The built app to serve (default: the repository's dist/). */
  distDir?: string;
}

export class ServerProcess {
  private child: ChildProcess | undefined;
  output = '';

  private constructor(readonly options: ServerProcessOptions) {}

  /** Starts a server on fresh ports with a fresh data directory. */
  static async start(options: { distDir?: string } = {}): Promise<ServerProcess> {
    const server = new ServerProcess({
      ...options,
      port: await freePort(),
      dataDir: mkdtempSync(join(tmpdir(), 'pd-e2e-')),
    });
    await server.launch();
    return server;
  }

  get url(): string {
    return `http://localhost:${this.options.port}/`;
  }

  /** Starts (or restarts) the process and waits until /healthz answers. */
  async launch(): Promise<void> {
    const { port, dataDir, distDir } = this.options;
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin/processdistro.js'),
        'serve',
        '--port',
        String(port),
        '--no-https',
        // Any free UDP port: peers learn it from the server's welcome, also after a restart.
        '--stun-port',
        '0',
        '--data-dir',
        dataDir,
        ...(distDir ? ['--dist-dir', distDir] : []),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`server exited early:\n${this.output}`);
      try {
        if ((await fetch(`${this.url}healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server did not become healthy:\n${this.output}`);
  }

  /** SIGKILL: no goodbye to anyone, as when the machine dies. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM: the graceful path. Resolves with the exit code. */
  async stop(): Promise<number | null> {
    return this.signal('SIGTERM');
  }

  private async signal(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null)
      return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill(signal);
    return exited;
  }
}
