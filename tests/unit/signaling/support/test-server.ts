/**
 * Starts a real signaling server for a test: loopback only, random ports, no HTTPS or STUN
 * unless asked, and a fresh data directory that is removed again on close.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerOptions } from '../../../../signaling/config.ts';
import { startServer, type RunningServer } from '../../../../signaling/server.ts';

/** A running server plus its data directory. */
export interface TestServer extends RunningServer {
  dataDir: string;
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'pd-signaling-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Starts a server; `close()` also deletes the data directory unless one was given. */
export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await tempDir());
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    httpsPort: null,
    stunPort: null,
    distDir: join(dataDir, 'no-dist'),
    quiet: true,
    ...options,
    dataDir,
  });
  return {
    ...server,
    dataDir,
    async close() {
      await server.close();
      if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** `POST /api/rooms`; resolves with the room id and token. */
export async function createRoom(
  httpUrl: string,
  body?: unknown,
): Promise<{ roomId: string; token: string; link: string; expiresAt: number }> {
  const res = await fetch(`${httpUrl}api/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST /api/rooms: ${res.status} ${await res.text()}`);
  return (await res.json()) as { roomId: string; token: string; link: string; expiresAt: number };
}
