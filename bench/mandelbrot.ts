/**
 * `npm run bench:mandelbrot`: the Mandelbrot figures of this machine, in headless Chromium.
 * 1. Kernel time in one Web Worker: WASM SIMD vs the scalar JS loop (same image, same counts).
 * 2. Wall time of the same render in the app: one peer with one worker vs two peers with one
 *    worker each (real server, real WebRTC inside the test network namespace).
 * View: 1920×1080, 1000 iterations, centred on (−0.5, 0), scale 3/1920.
 * Prints a table and writes bench/results-mandelbrot.json.
 */
import { build } from 'esbuild';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../tests/e2e/support/browser.ts';
import { cpuBetween, cpuSnapshot, type CpuUse } from './cpu-time.ts';
import { startRender, waitForDone } from '../tests/e2e/support/render-page.ts';
import { createRoom, joinRoom, waitForConnectedPeers } from '../tests/e2e/support/room-page.ts';
import { ServerProcess } from '../tests/e2e/support/server-process.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const PARAMS = { width: 1920, height: 1080, cx: -0.5, cy: 0, scale: 3 / 1920, maxIter: 1000 };
export const RENDERS = 3;

/** Serves the bundled benchmark worker on loopback and runs it in a page. */
export async function kernelTimes(browser: Browser) {
  const dir = await mkdtemp(join(tmpdir(), 'pd-bench-'));
  await build({
    entryPoints: [join(ROOT, 'bench/kernel-worker.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    outfile: join(dir, 'worker.js'),
    logLevel: 'error',
  });
  await copyFile(
    join(ROOT, 'kernels/mandelbrot/build/mandelbrot.wasm'),
    join(dir, 'mandelbrot.wasm'),
  );
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>bench</title>');
  const types: Record<string, string> = {
    html: 'text/html',
    js: 'text/javascript',
    wasm: 'application/wasm',
  };
  const server = createServer(async (request, response) => {
    const name = (request.url ?? '/').split('?')[0]!.replace(/^\/$/, '/index.html').slice(1);
    try {
      const body = await readFile(join(dir, name.replace(/[^\w.-]/g, '')));
      response.writeHead(200, {
        'content-type': types[name.split('.').pop()!] ?? 'application/octet-stream',
      });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const page = await (await browser.newContext()).newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  const result = await page.evaluate(async (params) => {
    const wasm = await (await fetch('/mandelbrot.wasm')).arrayBuffer();
    const worker = new Worker('/worker.js', { type: 'module' });
    return new Promise<{ simdMs: number; scalarMs: number; identical: boolean; tiles: number }>(
      (resolve) => {
        worker.onmessage = (event) => resolve(event.data);
        worker.postMessage({ wasm, params, simdRuns: 5, scalarRuns: 2 });
      },
    );
  }, PARAMS);
  await page.context().close();
  server.close();
  return result;
}

/** Wall times of RENDERS renders (click to last tile) in a room of `peers`, with CPU use. */
export async function renderTimes(
  browser: Browser,
  server: ServerProcess,
  peers: 1 | 2,
): Promise<{ times: number[]; cpu: CpuUse[] }> {
  const a = await (await browser.newContext({ acceptDownloads: true })).newPage();
  const link = await createRoom(a, server.url); // the host donates all cores but one: 1 of 2 here
  if (peers === 2) {
    const b = await (await browser.newContext()).newPage();
    await joinRoom(b, link, 1);
    await waitForConnectedPeers(a, 1, 10_000);
  }
  const times: number[] = [];
  const cpu: CpuUse[] = [];
  for (let i = 0; i < RENDERS; i++) {
    const before = cpuSnapshot();
    await startRender(a, { size: 1, maxIter: PARAMS.maxIter });
    await waitForDone(a, 120_000);
    cpu.push(cpuBetween(before, cpuSnapshot()));
    times.push(Number(await a.locator('pd-job-progress .figures').getAttribute('data-elapsed-ms')));
  }
  await a.context().close();
  return { times, cpu };
}

/** "CPU of Chromium's processes: renderer 540 ms, browser 50 ms, …" (click to done seen). */
export function describeChromiumCpu(use: CpuUse): string {
  const parts = Object.entries(use.byKind)
    .filter(([kind, ms]) => kind !== 'node' && ms > 0)
    .sort((x, y) => y[1] - x[1])
    .map(([kind, ms]) => `${kind} ${ms.toFixed(0)} ms`);
  return `CPU (click to done seen): ${parts.join(', ')}`;
}

/** Runs both parts in a fresh Chromium and server; prints the figures and writes the JSON. */
async function main(): Promise<void> {
  const browser = await launchChromium();
  const server = await ServerProcess.start();
  try {
    const kernel = await kernelTimes(browser);
    const one = (await renderTimes(browser, server, 1)).times;
    const two = (await renderTimes(browser, server, 2)).times;
    const results = {
      date: new Date().toISOString(),
      view: PARAMS,
      kernel: { ...kernel, speedup: kernel.scalarMs / kernel.simdMs },
      render: {
        onePeerMs: one,
        twoPeersMs: two,
        bestOnePeerMs: Math.min(...one),
        bestTwoPeersMs: Math.min(...two),
        speedup: Math.min(...one) / Math.min(...two),
      },
      targets: { kernelSpeedup: 3, twoPeerSpeedup: 1.8 },
    };
    const pass = (ok: boolean) => (ok ? 'meets target' : 'BELOW TARGET');
    console.log(`Mandelbrot 1920×1080×1000, headless Chromium on ${process.arch}`);
    console.log(
      `  kernel, one worker   WASM SIMD ${kernel.simdMs.toFixed(0)} ms   scalar JS ${kernel.scalarMs.toFixed(0)} ms   ${results.kernel.speedup.toFixed(2)}×  (target ≥ 3×: ${pass(results.kernel.speedup >= 3)}; counts identical: ${kernel.identical})`,
    );
    console.log(
      `  render, wall time    one peer ${one.join(' / ')} ms   two peers ${two.join(' / ')} ms`,
    );
    console.log(
      `  render speedup       ${results.render.speedup.toFixed(2)}× best to best  (target ≥ 1.8×: ${pass(results.render.speedup >= 1.8)})`,
    );
    await writeFile(
      join(ROOT, 'bench/results-mandelbrot.json'),
      JSON.stringify(results, null, 2) + '\n',
    );
    console.log('written to bench/results-mandelbrot.json');
  } finally {
    await browser.close();
    await server.stop();
  }
}

// Alone (npm run bench:mandelbrot); `processdistro bench` imports the parts instead.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
