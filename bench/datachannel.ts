/**
 * Bulk throughput between two peers through our own stack — RoomSession → PeerLink →
 * FramedChannel, priority bulk, a `blob-bytes` body as job data travels — for two headless
 * Node members (node-datachannel) and for two Chromium pages of the built app, over a real
 * signaling server started in this process. See datachannel-transfer.ts for how one transfer
 * is timed.
 *
 * Alone: `npm run build && scripts/netns.sh node --import tsx bench/datachannel.ts [MiB] [rounds]`
 * prints the figures. It opens peer connections, so it refuses to run outside the test network
 * namespace (scripts/netns.sh).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, JSHandle, Page } from 'playwright-core';
import WebSocket from 'ws';
import { RoomSession } from '../client/mesh/room-session.ts';
import { nodeWrtc } from '../client/node/node-webrtc.ts';
import { DEFAULT_OPTIONS } from '../signaling/config.ts';
import type { CreateRoomResponse } from '../signaling/protocol.ts';
import { startServer, type RunningServer } from '../signaling/server.ts';
import { launchChromium, logPageErrors } from '../tests/e2e/support/browser.ts';
import { createRoom, joinRoom, waitForConnectedPeers } from '../tests/e2e/support/room-page.ts';
import {
  answerBenchTransfers,
  randomBody,
  timedSend,
  transferMarker,
  type BenchMember,
} from './datachannel-transfer.ts';

export interface DataChannelBenchOptions {
  /** Body size of one transfer; default 32 MiB (a long transfer: a fresh link's start matters less). */
  bytes?: number;
  /** Transfers per direction; default 3. */
  rounds?: number;
  /** A running Chromium to open the two pages in (default: one launched and closed here). */
  browser?: Browser;
}

/** One transfer: `bytes` from send to the receiver's answer in `ms`; `mbps` in MB/s (10⁶ B/s). */
export interface TransferFigures {
  mbps: number;
  bytes: number;
  ms: number;
}

/** One direction of a pair: its best round, and every round in order. */
export interface DirectionFigures extends TransferFigures {
  /** MB/s of each round; the first is the first bulk transfer on a fresh link. */
  roundsMbps: number[];
}

/**
 * One pair of peers. The top-level figures are the slower direction's best round: a link is
 * only as fast as its slower way. `aToB` is from the member that joined first.
 */
export interface PairFigures extends TransferFigures {
  aToB: DirectionFigures;
  bToA: DirectionFigures;
}

export interface DataChannelBench {
  nodeToNode: PairFigures;
  chromiumToChromium: PairFigures;
}

const MiB = 1024 * 1024;
const CONNECT_TIMEOUT_MS = 15_000;

/** Measures Node ↔ Node, then Chromium ↔ Chromium (one after the other: they share the CPU). */
export async function benchDataChannel(
  options: DataChannelBenchOptions = {},
): Promise<DataChannelBench> {
  const bytes = options.bytes ?? 32 * MiB;
  const rounds = options.rounds ?? 3;
  if (!(Number.isInteger(bytes) && bytes > 0 && Number.isInteger(rounds) && rounds > 0)) {
    throw new RangeError('bytes and rounds must be positive integers');
  }
  if (process.env.PD_NETNS !== '1') {
    throw new Error('the data channel bench opens peer connections: run it in scripts/netns.sh');
  }
  const distDir = DEFAULT_OPTIONS.distDir;
  if (!existsSync(join(distDir, 'index.html'))) {
    throw new Error('no built app in dist/: run `npm run build` first');
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'pd-bench-dc-'));
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    httpsPort: null,
    stunPort: null, // host candidates are enough inside one machine
    dataDir,
    distDir,
    quiet: true,
  });
  try {
    const nodeToNode = await benchNodePair(server, bytes, rounds);
    const browser = options.browser ?? (await launchChromium());
    try {
      const chromiumToChromium = await benchChromiumPair(browser, server, bytes, rounds);
      return { nodeToNode, chromiumToChromium };
    } finally {
      if (!options.browser) await browser.close();
    }
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Sends `rounds` bodies each way, alternating directions so that both see the same noise. */
async function runRounds(
  rounds: number,
  bytes: number,
  send: (direction: 'aToB' | 'bToA', marker: string) => Promise<number>,
): Promise<PairFigures> {
  const ms: Record<'aToB' | 'bToA', number[]> = { aToB: [], bToA: [] };
  let index = 0;
  for (let round = 0; round < rounds; round++) {
    for (const direction of ['aToB', 'bToA'] as const) {
      ms[direction].push(await send(direction, transferMarker(index++)));
    }
  }
  const aToB = directionFigures(bytes, ms.aToB);
  const bToA = directionFigures(bytes, ms.bToA);
  const slower = aToB.mbps <= bToA.mbps ? aToB : bToA;
  return { mbps: slower.mbps, bytes, ms: slower.ms, aToB, bToA };
}

function directionFigures(bytes: number, ms: number[]): DirectionFigures {
  const best = Math.min(...ms);
  const mbps = (time: number) => bytes / 1e6 / (time / 1000);
  return { mbps: mbps(best), bytes, ms: best, roundsMbps: ms.map(mbps) };
}

/** Two RoomSessions in this process, as `processdistro worker` runs one. */
async function benchNodePair(
  server: RunningServer,
  bytes: number,
  rounds: number,
): Promise<PairFigures> {
  const response = await fetch(new URL('/api/rooms', server.httpUrl), { method: 'POST' });
  if (!response.ok) throw new Error(`could not create a room: HTTP ${response.status}`);
  const room = (await response.json()) as CreateRoomResponse;
  const member = (name: string) =>
    new RoomSession({
      serverUrl: server.httpUrl,
      roomId: room.roomId,
      token: room.token,
      self: {
        peerId: `bench-${name}-${Math.random().toString(36).slice(2, 8)}`,
        name: `bench ${name}`,
        device: { cores: 1, userAgent: `processdistro-bench/${process.versions.node}` },
        donatedCores: 0,
      },
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      wrtc: nodeWrtc,
    });
  const a = member('a');
  const b = member('b');
  try {
    a.start();
    b.start();
    await Promise.all([connected(a, b.selfId), connected(b, a.selfId)]);
    answerBenchTransfers(a);
    answerBenchTransfers(b);
    const body = randomBody(bytes);
    const timeoutMs = transferTimeoutMs(bytes);
    return await runRounds(rounds, bytes, (direction, marker) =>
      direction === 'aToB'
        ? timedSend([a, b.selfId, body, marker, timeoutMs])
        : timedSend([b, a.selfId, body, marker, timeoutMs]),
    );
  } finally {
    a.close();
    b.close();
  }
}

/** Resolves once `session` has an open link to `peerId`. */
function connected(session: RoomSession, peerId: string): Promise<void> {
  if (session.peers().includes(peerId)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no link to ${peerId} within ${CONNECT_TIMEOUT_MS} ms`));
    }, CONNECT_TIMEOUT_MS);
    const stop = session.onPeerChange((change) => {
      if (change.peerId !== peerId || !change.open) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

/** Long enough for 2 MB/s, the rate of a link that stalls: a slower one is a failure. */
function transferTimeoutMs(bytes: number): number {
  return 5000 + bytes / 2000;
}

/** Two pages of the built app, each in its own browser context, as two people would be. */
async function benchChromiumPair(
  browser: Browser,
  server: RunningServer,
  bytes: number,
  rounds: number,
): Promise<PairFigures> {
  const contexts = await Promise.all([browser.newContext(), browser.newContext()]);
  try {
    const [a, b] = await Promise.all(contexts.map((context) => context.newPage()));
    logPageErrors(a!, 'bench A');
    logPageErrors(b!, 'bench B');
    const link = await createRoom(a!, server.httpUrl);
    await joinRoom(b!, link);
    await Promise.all([
      waitForConnectedPeers(a!, 1, CONNECT_TIMEOUT_MS),
      waitForConnectedPeers(b!, 1, CONNECT_TIMEOUT_MS),
    ]);
    const [sessionA, sessionB] = await Promise.all([pageSession(a!), pageSession(b!)]);
    const [idA, idB] = await Promise.all([
      a!.evaluate((session) => session.selfId, sessionA),
      b!.evaluate((session) => session.selfId, sessionB),
    ]);
    for (const [page, session] of [
      [a!, sessionA],
      [b!, sessionB],
    ] as const) {
      await page.evaluate(answerBenchTransfers, session);
    }
    const [bodyA, bodyB] = await Promise.all([
      a!.evaluateHandle(randomBody, bytes),
      b!.evaluateHandle(randomBody, bytes),
    ]);
    const timeoutMs = transferTimeoutMs(bytes);
    return await runRounds(rounds, bytes, (direction, marker) =>
      direction === 'aToB'
        ? a!.evaluate(timedSend, [sessionA, idB, bodyA, marker, timeoutMs] as const)
        : b!.evaluate(timedSend, [sessionB, idA, bodyB, marker, timeoutMs] as const),
    );
  } finally {
    await Promise.all(contexts.map((context) => context.close()));
  }
}

/** The page's RoomSession, as the room view holds it. */
async function pageSession(
  page: Page,
): Promise<JSHandle<BenchMember & Pick<RoomSession, 'selfId'>>> {
  return page.evaluateHandle(() => {
    const view = document.querySelector('pd-app')?.shadowRoot?.querySelector('pd-room-view');
    const session = (view as { session?: RoomSession } | null | undefined)?.session;
    if (!session) throw new Error('the page shows no room');
    return session;
  });
}

/** One line per pair: the headline figure, then each direction's rounds. */
export function formatDataChannelBench(bench: DataChannelBench): string[] {
  const mib = (bench.nodeToNode.bytes / MiB).toFixed(0);
  const rounds = bench.nodeToNode.aToB.roundsMbps.length;
  const direction = (name: string, figures: DirectionFigures) =>
    `${name} ${figures.mbps.toFixed(1)} (${figures.roundsMbps.map((r) => r.toFixed(1)).join(' / ')})`;
  const pair = (name: string, figures: PairFigures) =>
    `  ${name.padEnd(21)} ${figures.mbps.toFixed(1).padStart(5)} MB/s   ` +
    `${direction('a→b', figures.aToB)}   ${direction('b→a', figures.bToA)}`;
  return [
    `Bulk bodies through RoomSession/PeerLink/FramedChannel: ${mib} MiB, best of ${rounds} rounds`,
    `  (MB/s = 10⁶ B/s; headline = the slower direction; rounds in order, the first on a fresh link)`,
    pair('Node ↔ Node', bench.nodeToNode),
    pair('Chromium ↔ Chromium', bench.chromiumToChromium),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [mib, rounds] = process.argv.slice(2).map(Number);
  const started = performance.now();
  const bench = await benchDataChannel({
    ...(mib ? { bytes: Math.round(mib * MiB) } : {}),
    ...(rounds ? { rounds } : {}),
  });
  for (const line of formatDataChannelBench(bench)) console.log(line);
  console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  // node-datachannel's native threads can outlive the closed connections for a while.
  process.exit(0);
}
