/**
 * Benchmarks of a Node mesh on this machine: a headless controller (computing nothing) and
 * `processdistro worker` child processes, over real WebRTC (node-datachannel) through a local
 * signaling server — the same path as `processdistro run --local-peers K`.
 * - per-chunk overhead: no-op chunks per second through a two-peer mesh;
 * - the Mandelbrot render's wall time with one and with two single-core peers;
 * - matrix products (n × n · n × n) over two single-core peers: GFLOP/s and bytes moved.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ControllerSnapshot } from '../client/scheduler/controller-types.ts';
import { loadKernelBytes } from '../client/node/kernel-files.ts';
import { startLocalMesh, type LocalMesh } from '../client/node/local-mesh.ts';
import { startNodePeer, type NodePeer } from '../client/node/node-peer.ts';
import type { MatmulOutput } from '../kernels/matmul/meta.ts';
import { randomMatrices } from '../kernels/matmul/random.ts';
import { cpuBetween, cpuSnapshot } from './cpu-time.ts';

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
  data?: unknown,
): Promise<{ ms: number; snapshot: ControllerSnapshot; output: unknown }> {
  const job = await mesh.controller.jobs.submit(kernel, params, {
    localCores: 0,
    ...(data !== undefined ? { data } : {}),
  });
  const snapshot = await new Promise<ControllerSnapshot>((resolve) => job.on('ended', resolve));
  if (snapshot.status !== 'done') throw new Error(`bench job ${snapshot.status}: ${job.failure}`);
  return { ms: job.endedAt! - job.startedAt, snapshot, output: job.output };
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
  /** CPU ms of the best render: the controller, the worker processes, their kernels alone. */
  cpu: { controllerMs: number; workersMs: number; kernelMs: number };
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
    const runs: Array<{ ms: number; cpu: RenderBench['cpu'] }> = [];
    for (let i = 0; i < renders; i++) {
      const before = cpuSnapshot();
      const { ms, snapshot } = await runJob(mesh, { name: 'mandelbrot', bytes }, RENDER_VIEW);
      const use = cpuBetween(before, cpuSnapshot());
      const kernelMs = snapshot.peers.reduce((sum, peer) => sum + peer.computeMs, 0);
      runs.push({
        ms,
        cpu: { controllerMs: use.self, workersMs: use.byKind['node'] ?? 0, kernelMs },
      });
    }
    const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
    return { peers, bestMs: best.ms, allMs: runs.map((run) => run.ms), cpu: best.cpu };
  } finally {
    await mesh.close();
  }
}

/** "CPU: controller 50 ms, workers 460 ms (kernels 400 ms) of 2 cores × wall 510 ms". */
export function describeCpu(cpu: RenderBench['cpu'], wallMs: number, cores: number): string {
  const { controllerMs, workersMs, kernelMs } = cpu;
  return (
    `CPU: controller ${controllerMs.toFixed(0)} ms, workers ${workersMs.toFixed(0)} ms ` +
    `(kernels ${kernelMs.toFixed(0)} ms) of ${cores} cores × wall ${(cores * wallMs).toFixed(0)} ms`
  );
}

export interface MatmulMeshBench {
  n: number;
  /** Wall time of the job (first chunk handed out to last result), as `run` reports it. */
  ms: number;
  /** 2·n³ / ms. */
  gflops: number;
  /** Cutting A and B into panels and hashing them, before the job starts. */
  publishMs: number;
  /** Per worker: chunks, input bytes it fetched, result bytes it sent. */
  peers: Array<{ name: string; chunks: number; inputBytes: number; resultBytes: number }>;
  /** Sum of the peers' input and result bytes. */
  bytesMoved: number;
}

/**
 * n × n · n × n products of seeded random matrices on two single-core workers, one job per
 * size after a small warm-up (kernel fetch, tier-up); every product is spot-checked.
 */
export async function benchMatmulMesh(sizes: readonly number[]): Promise<MatmulMeshBench[]> {
  const bytes = await loadKernelBytes('matmul');
  const mesh = await startMesh(2);
  const names = new Map<string, string>();
  try {
    const warmUp = { n: 256, k: 256, m: 256 };
    await runJob(mesh, { name: 'matmul', bytes }, warmUp, randomMatrices(warmUp, 1));
    for (const view of mesh.controller.session.view()) names.set(view.peerId, view.name);
    const results: MatmulMeshBench[] = [];
    for (const n of sizes) {
      const shape = { n, k: n, m: n };
      const data = randomMatrices(shape, n);
      const submitted = performance.now();
      const { ms, snapshot, output } = await runJob(mesh, { name: 'matmul', bytes }, shape, data);
      spotCheck(data, (output as MatmulOutput).c, n);
      const peers = snapshot.peers.map((stats) => ({
        name: names.get(stats.peerId) ?? stats.peerId,
        chunks: stats.chunksComputed,
        inputBytes: stats.inputBytes,
        resultBytes: stats.resultBytes,
      }));
      results.push({
        n,
        ms,
        gflops: (2 * n ** 3) / (ms * 1e6),
        publishMs: performance.now() - submitted - ms,
        peers,
        bytesMoved: peers.reduce((sum, peer) => sum + peer.inputBytes + peer.resultBytes, 0),
      });
    }
    return results;
  } finally {
    await mesh.close();
  }
}

/** 100 elements of C against dot products of A's rows and B's columns. */
function spotCheck(data: { a: Float64Array; b: Float64Array }, c: Float64Array, n: number): void {
  for (let sample = 0; sample < 100; sample++) {
    const i = (sample * 7919) % n;
    const j = (sample * 104_729) % n;
    let expected = 0;
    for (let p = 0; p < n; p++) expected += data.a[i * n + p] * data.b[p * n + j];
    const error = Math.abs(c[i * n + j] - expected) / Math.max(1, Math.abs(expected));
    if (!(error <= 1e-9)) throw new Error(`matmul over the mesh: C[${i}][${j}] is wrong`);
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
