/**
 * `npm run soak` (not part of CI): renders again and again for --minutes in a room of three
 * Chromium tabs (the controller and two workers, one core each) and samples each tab's
 * JavaScript heap after a forced garbage collection, to show whether anything accumulates
 * across jobs. Prints a line per sample and a summary (each tab's first and last heap, and
 * its trend in MB per 10 minutes from a least-squares line over the second half), and writes
 * bench/soak.json. Runs inside the test network namespace, like every WebRTC test here.
 *
 *   npm run soak -- --minutes 30 --sample-s 30 --pause-s 2
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CDPSession, Page } from 'playwright-core';
import { PACKAGE_ROOT } from '../signaling/config.ts';
import { launchChromium, logPageErrors } from '../tests/e2e/support/browser.ts';
import { startRender, waitForDone } from '../tests/e2e/support/render-page.ts';
import { createRoom, joinRoom, waitForConnectedPeers } from '../tests/e2e/support/room-page.ts';
import { ServerProcess } from '../tests/e2e/support/server-process.ts';

const USAGE = `Usage: npm run soak -- [--minutes M] [--sample-s S] [--pause-s P] [--size I]

Renders the Mandelbrot set again and again in a room of three Chromium tabs and samples each
tab's JavaScript heap (after a forced GC) every S seconds.
  --minutes M    how long to run (default 30)
  --sample-s S   seconds between heap samples (default 30)
  --pause-s P    idle seconds between renders (default 2)
  --size I       render size: 0 = 1280×720, 1 = 1920×1080 (default 1)`;

interface Tab {
  name: string;
  page: Page;
  cdp: CDPSession;
}

interface Sample {
  atS: number;
  renders: number;
  heapMB: Record<string, number>;
}

function options() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '30' },
      'sample-s': { type: 'string', default: '30' },
      'pause-s': { type: 'string', default: '2' },
      size: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (name: string, text: string, min: number, max: number): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || value > max) {
      console.error(`--${name} must be a number in [${min}, ${max}], not "${text}"\n\n${USAGE}`);
      process.exit(2);
    }
    return value;
  };
  return {
    minutes: number('minutes', values.minutes, 0.1, 24 * 60),
    sampleS: number('sample-s', values['sample-s'], 1, 3600),
    pauseS: number('pause-s', values['pause-s'], 0, 600),
    size: number('size', values.size, 0, 1),
  };
}

/** The tab's used JS heap in MB after a full garbage collection. */
async function heapMB(tab: Tab): Promise<number> {
  await tab.cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await tab.cdp.send('Runtime.getHeapUsage');
  return usedSize / 2 ** 20;
}

/** Slope of the least-squares line through (x, y), in y per unit of x. */
export function slope(points: ReadonlyArray<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function main(): Promise<void> {
  const opts = options();
  const browser = await launchChromium();
  const server = await ServerProcess.start();
  const tabs: Tab[] = [];
  try {
    for (const name of ['controller', 'worker-1', 'worker-2']) {
      const page = await (await browser.newContext()).newPage();
      logPageErrors(page, name);
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('HeapProfiler.enable');
      tabs.push({ name, page, cdp });
    }
    const [controller, ...workers] = tabs as [Tab, Tab, Tab];
    const link = await createRoom(controller.page, server.url);
    for (const worker of workers) await joinRoom(worker.page, link, 1);
    await waitForConnectedPeers(controller.page, 2, 15_000);

    const samples: Sample[] = [];
    const started = Date.now();
    const endAt = started + opts.minutes * 60_000;
    let renders = 0;
    let nextSample = started;
    console.log(`soak: ${opts.minutes} min, a heap sample every ${opts.sampleS} s`);
    while (Date.now() < endAt) {
      if (Date.now() >= nextSample) {
        const heap: Record<string, number> = {};
        for (const tab of tabs) heap[tab.name] = await heapMB(tab);
        const atS = (Date.now() - started) / 1000;
        samples.push({ atS, renders, heapMB: heap });
        const figures = tabs.map((tab) => `${tab.name} ${heap[tab.name]!.toFixed(1)} MB`);
        console.log(
          `${atS.toFixed(0).padStart(6)} s  ${String(renders).padStart(5)} renders  ${figures.join('  ')}`,
        );
        nextSample += opts.sampleS * 1000;
      }
      await startRender(controller.page, { size: opts.size, maxIter: 1000 });
      await waitForDone(controller.page, 120_000);
      renders += 1;
      await new Promise((resolve) => setTimeout(resolve, opts.pauseS * 1000));
    }

    const summary = tabs.map((tab) => {
      const series = samples.map((s): [number, number] => [s.atS, s.heapMB[tab.name]!]);
      const secondHalf = series.slice(Math.floor(series.length / 2));
      return {
        tab: tab.name,
        firstMB: series[0]?.[1] ?? 0,
        lastMB: series.at(-1)?.[1] ?? 0,
        maxMB: Math.max(...series.map(([, y]) => y)),
        trendMBPer10Min: slope(secondHalf) * 600,
      };
    });
    console.log(`\n${renders} renders in ${((Date.now() - started) / 60_000).toFixed(1)} min`);
    for (const s of summary) {
      console.log(
        `${s.tab.padEnd(11)} heap ${s.firstMB.toFixed(1)} → ${s.lastMB.toFixed(1)} MB (max ${s.maxMB.toFixed(1)}), trend over the second half ${s.trendMBPer10Min >= 0 ? '+' : ''}${s.trendMBPer10Min.toFixed(2)} MB / 10 min`,
      );
    }
    const out = join(PACKAGE_ROOT, 'bench/soak.json');
    const result = { date: new Date().toISOString(), options: opts, renders, samples, summary };
    await writeFile(out, JSON.stringify(result, null, 2) + '\n');
    console.log(`written to ${out}`);
  } finally {
    await browser.close();
    await server.stop();
  }
}

await main();
