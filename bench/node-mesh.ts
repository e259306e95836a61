/**
 * Benchmarks of a Node mesh on this machine: a headless controller (computing nothing) and
 * `processdistro worker` child processes, over real WebRTC (node-datachannel) through a local
 * signaling server — the same path as `processdistro run --local-peers K`.
 * - per-chunk overhead: no-op chunks per second through a two-peer mesh;
 * - the Mandelbrot render's wall time with one and with two single-core peers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ControllerSnapshot } from '../client/scheduler/controller-types.ts';
import { loadKernelBytes } from '../client/node/kernel-files.ts';
import { startLocalMesh, type LocalMesh } from '../client/node/local-mesh.ts';
import { startNodePeer, type NodePeer } from '../client/node/node-peer.ts';

export const RENDER_VIEW = {
  width: 1920,
  height: 1080,
  cx: -0.5,
  cy: 0,
  scale: 3 / 1920,
  maxIter: 1000,
};

interface Mesh {
  local: LocalMesh;
  controller: NodePeer;
  close(): Promise<void>;
}

/** A local server, `peers` single-core workers, and a controller connected to all of them. */
async function startMesh(peers: number): Promise<Mesh> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pd-bench-'));
  const local = await startLocalMesh({ peers, dataDir });
  const controller = startNodePeer({ link: local.link, cores: 0, name: 'bench', dataDir });
  await controller.joined;
  const until = Date.now() + 30_000;
  while (controller.session.view().filter((v) => v.connection === 'connected').length < peers) {
    if (Date.now() > until) throw new Error(`the ${peers} bench workers did not connect`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    local,
    controller,
    async close() {
      controller.close();
      await local.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs one job to its end on the mesh; resolves with its wall time (submit to last result). */
async function runJob(
  mesh: Mesh,
  kernel: { name: string; bytes: Uint8Array },
  params: unknown,
): Promise<{ ms: number; snapshot: ControllerSnapshot }> {
  const job = await mesh.controller.jobs.submit(kernel, params, { localCores: 0 });
  const snapshot = await new Promise<ControllerSnapshot>((resolve) => job.on('ended', resolve));
  if (snapshot.status !== 'done') throw new Error(`bench job ${snapshot.status}: ${job.failure}`);
  return { ms: job.endedAt! - job.startedAt, snapshot };
}

export interface NoopBench {
  chunks: number;
  ms: number;
  chunksPerSecond: number;
}

/** No-op chunks per second through a controller and one single-core worker (best of `rounds`). */
export async function benchNoopChunks(chunks = 20_000, rounds = 3): Promise<NoopBench> {
  const bytes = await loadKernelBytes('noop');
  const mesh = await startMesh(1);
  try {
    await runJob(mesh, { name: 'noop', bytes }, { chunks: 1000 }); // kernel fetch, warm-up
    let best = Infinity;
    for (let i = 0; i < rounds; i++) {
      best = Math.min(best, (await runJob(mesh, { name: 'noop', bytes }, { chunks })).ms);
    }
    return { chunks, ms: best, chunksPerSecond: (chunks / best) * 1000 };
  } finally {
    await mesh.close();
  }
}

export interface RenderBench {
  peers: number;
  bestMs: number;
  allMs: number[];
}

/** Wall time of the 1920×1080×1000 render with `peers` single-core workers (after a warm-up). */
export async function benchNodeRender(peers: number, renders = 3): Promise<RenderBench> {
  const bytes = await loadKernelBytes('mandelbrot');
  const mesh = await startMesh(peers);
  try {
    await runJob(
      mesh,
      { name: 'mandelbrot', bytes },
      { ...RENDER_VIEW, width: 480, height: 270, scale: 3 / 480 },
    );
    const allMs: number[] = [];
    for (let i = 0; i < renders; i++) {
      allMs.push((await runJob(mesh, { name: 'mandelbrot', bytes }, RENDER_VIEW)).ms);
    }
    return { peers, bestMs: Math.min(...allMs), allMs };
  } finally {
    await mesh.close();
  }
}

// Alone: node --import tsx bench/node-mesh.ts
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const noop = await benchNoopChunks();
  console.log(
    `no-op chunks: ${noop.chunksPerSecond.toFixed(0)}/s (${noop.chunks} in ${noop.ms.toFixed(0)} ms)`,
  );
  const one = await benchNodeRender(1);
  const two = await benchNodeRender(2);
  console.log(
    `render: 1 peer ${one.bestMs.toFixed(0)} ms, 2 peers ${two.bestMs.toFixed(0)} ms, speedup ${(one.bestMs / two.bestMs).toFixed(2)}×`,
  );
}
