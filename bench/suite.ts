/**
 * `processdistro bench` (and `npm run bench`): the figures that say how well the mesh uses
 * this machine, each against its target where it has one. Prints a table and writes
 * bench/results.json. Everything runs here: a local server, Node workers as child processes,
 * headless Chromium — inside the test network namespace (scripts/netns.sh), since WebRTC
 * gathers no candidate on loopback alone in Chromium.
 */
import { writeFile } from 'node:fs/promises';
import { arch, availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../signaling/config.ts';
import { ServerProcess } from '../tests/e2e/support/server-process.ts';
import { launchChromium } from '../tests/e2e/support/browser.ts';
import { benchDataChannel } from './datachannel.ts';
import { matmulFigures, pbkdf2Figures } from './job-figures.ts';
import { benchNodeKernel } from './kernel-node.ts';
import { describeChromiumCpu, kernelTimes, renderTimes } from './mandelbrot.ts';
import { benchNodeRender, benchNoopChunks, describeCpu } from './node-mesh.ts';
import { SECTIONS, type Figure, type Section } from './sections.ts';

export type { Figure } from './sections.ts';

export interface BenchOptions {
  sections: ReadonlySet<Section>;
  log: (line: string) => void;
  /** Where results.json goes. */
  out: string;
}

export interface BenchResults {
  date: string;
  machine: { arch: string; cores: number; cpu: string; node: string };
  figures: Figure[];
  raw: Record<string, unknown>;
  /** Figures below their target. */
  misses: string[];
}

/** Runs the sections in order, logging each figure as it comes. */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const figures: Figure[] = [];
  const raw: Record<string, unknown> = {};
  const add = (figure: Figure) => {
    figures.push(figure);
    options.log(formatRow(figure));
  };
  const wants = (section: Section) => options.sections.has(section);
  const needsChromium = wants('kernel') || wants('datachannel') || wants('render');
  const browser = needsChromium ? await launchChromium() : undefined;
  const server = wants('render') ? await ServerProcess.start() : undefined;
  try {
    if (wants('kernel')) {
      const node = await benchNodeKernel();
      raw.kernelNode = node;
      add({ section: 'kernel', name: 'Node: WASM SIMD, 1 thread', value: node.simdMs, unit: 'ms' });
      add({
        section: 'kernel',
        name: 'Node: scalar JS, 1 thread',
        value: node.scalarMs,
        unit: 'ms',
      });
      add({
        section: 'kernel',
        name: 'Node: SIMD speedup over scalar',
        value: node.scalarMs / node.simdMs,
        unit: '×',
        target: 3,
      });
      const chromium = await kernelTimes(browser!);
      raw.kernelChromium = chromium;
      add({
        section: 'kernel',
        name: 'Chromium: WASM SIMD, 1 worker',
        value: chromium.simdMs,
        unit: 'ms',
      });
      add({
        section: 'kernel',
        name: 'Chromium: scalar JS, 1 worker',
        value: chromium.scalarMs,
        unit: 'ms',
      });
      add({
        section: 'kernel',
        name: 'Chromium: SIMD speedup over scalar',
        value: chromium.scalarMs / chromium.simdMs,
        unit: '×',
        target: 3,
        detail: chromium.identical ? 'counts identical' : 'COUNTS DIFFER',
      });
    }
    if (wants('matmul')) await matmulFigures(add, raw);
    if (wants('pbkdf2')) await pbkdf2Figures(add, raw);
    if (wants('chunks')) {
      const noop = await benchNoopChunks();
      raw.noopChunks = noop;
      add({
        section: 'chunks',
        name: 'no-op chunks through a 2-peer mesh',
        value: noop.chunksPerSecond,
        unit: 'chunks/s',
        target: 5000,
        detail: `${noop.chunks} chunks in ${noop.ms.toFixed(0)} ms`,
      });
    }
    if (wants('datachannel')) {
      const channel = await benchDataChannel({ browser: browser! });
      raw.dataChannel = channel;
      add({
        section: 'datachannel',
        name: 'bulk bodies Node ↔ Node',
        value: channel.nodeToNode.mbps,
        unit: 'MB/s',
        target: 25,
        detail: `${(channel.nodeToNode.bytes / 2 ** 20).toFixed(0)} MiB in ${channel.nodeToNode.ms.toFixed(0)} ms`,
      });
      add({
        section: 'datachannel',
        name: 'bulk bodies Chromium ↔ Chromium',
        value: channel.chromiumToChromium.mbps,
        unit: 'MB/s',
        target: 25,
        detail: `${(channel.chromiumToChromium.bytes / 2 ** 20).toFixed(0)} MiB in ${channel.chromiumToChromium.ms.toFixed(0)} ms`,
      });
    }
    if (wants('render')) {
      const one = await benchNodeRender(1);
      const two = await benchNodeRender(2);
      raw.renderNode = { one, two };
      add({
        section: 'render',
        name: 'Node: 1920×1080×1000, 1 peer',
        value: one.bestMs,
        unit: 'ms',
        detail: describeCpu(one.cpu, one.bestMs, availableParallelism()),
      });
      add({
        section: 'render',
        name: 'Node: 1920×1080×1000, 2 peers',
        value: two.bestMs,
        unit: 'ms',
        detail: describeCpu(two.cpu, two.bestMs, availableParallelism()),
      });
      add({
        section: 'render',
        name: 'Node: speedup 1 → 2 peers',
        value: one.bestMs / two.bestMs,
        unit: '×',
        target: 1.8,
      });
      const tabOne = await renderTimes(browser!, server!, 1);
      const tabTwo = await renderTimes(browser!, server!, 2);
      raw.renderChromium = { one: tabOne, two: tabTwo };
      const bestOne = Math.min(...tabOne.times);
      const bestTwo = Math.min(...tabTwo.times);
      const cpuOf = (run: typeof tabOne, best: number) =>
        describeChromiumCpu(run.cpu[run.times.indexOf(best)]!);
      add({
        section: 'render',
        name: 'Chromium: 1920×1080×1000, 1 tab',
        value: bestOne,
        unit: 'ms',
        detail: cpuOf(tabOne, bestOne),
      });
      add({
        section: 'render',
        name: 'Chromium: 1920×1080×1000, 2 tabs',
        value: bestTwo,
        unit: 'ms',
        detail: cpuOf(tabTwo, bestTwo),
      });
      add({
        section: 'render',
        name: 'Chromium: speedup 1 → 2 tabs',
        value: bestOne / bestTwo,
        unit: '×',
        target: 1.8,
      });
    }
  } finally {
    await browser?.close();
    await server?.stop();
  }
  const results: BenchResults = {
    date: new Date().toISOString(),
    machine: {
      arch: arch(),
      cores: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
    },
    figures,
    raw,
    misses: figures
      .filter((figure) => figure.target !== undefined && !(figure.value >= figure.target))
      .map(
        (figure) =>
          `${figure.name}: ${formatValue(figure)} (target ≥ ${figure.target} ${figure.unit})`,
      ),
  };
  await writeFile(options.out, JSON.stringify(results, null, 2) + '\n');
  return results;
}

function formatValue(figure: Figure): string {
  const digits = figure.unit === '×' ? 2 : figure.value >= 100 ? 0 : 1;
  return `${figure.value.toFixed(digits)} ${figure.unit}`;
}

/** A row: name, value, target and verdict, detail. */
export function formatRow(figure: Figure): string {
  const verdict =
    figure.target === undefined
      ? ''
      : `${figure.value >= figure.target ? 'ok  ' : 'MISS'} (≥ ${figure.target})`;
  return `${figure.section.padEnd(12)} ${figure.name.padEnd(38)} ${formatValue(figure).padStart(16)}  ${verdict.padEnd(13)} ${figure.detail ?? ''}`.trimEnd();
}

export const RESULTS_PATH = join(PACKAGE_ROOT, 'bench/results.json');

// Alone: scripts/netns.sh node --import tsx bench/suite.ts
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const results = await runBench({
    sections: new Set(SECTIONS),
    log: (line) => console.log(line),
    out: RESULTS_PATH,
  });
  process.exitCode = results.misses.length ? 1 : 0;
}
