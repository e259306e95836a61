/**
 * The distributed Mandelbrot end to end: real server, real Chromium tabs in one room, real
 * WebRTC in the test network namespace, the real WASM kernel in Web Workers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { TestBrowser } from './support/browser.ts';
import {
  chunksComputed,
  downloadCounts,
  jobFigures,
  peerRow,
  startRender,
  waitForChunks,
  waitForDone,
  withSlowdown,
} from './support/render-page.ts';
import { referenceCount } from '../support/mandelbrot-reference.ts';
import { createRoom, joinRoom, selfPeerId, waitForConnectedPeers } from './support/room-page.ts';
import { ServerProcess } from './support/server-process.ts';

/** The full-set preset at 1920×1080 with 1000 iterations (scale 1.6875 / 1080 = 3 / 1920). */
const VIEW = { width: 1920, height: 1080, cx: -0.5, cy: 0, scale: 1.6875 / 1080, maxIter: 1000 };

describe('distributed Mandelbrot', () => {
  let server: ServerProcess;
  let browser: TestBrowser;
  let single: Uint32Array;

  const newPage = (label: string): Promise<Page> => browser.newPage(label);

  /** A room of three: A creates it (and will control jobs), B and C join. */
  async function roomOfThree(slowdown: [number, number, number] = [1, 1, 1]) {
    const [a, b, c] = await Promise.all([newPage('A'), newPage('B'), newPage('C')]);
    const link = await createRoom(a, withSlowdown(server.url, slowdown[0]));
    await Promise.all([
      joinRoom(b, withSlowdown(link, slowdown[1])),
      joinRoom(c, withSlowdown(link, slowdown[2])),
    ]);
    await Promise.all([a, b, c].map((page) => waitForConnectedPeers(page, 2, 10_000)));
    return { a, b, c };
  }

  before(async () => {
    server = await ServerProcess.start();
    browser = await TestBrowser.launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('a tab alone renders 1920×1080×1000 and matches the reference definition', async () => {
    const page = await newPage('solo');
    await createRoom(page, server.url);
    const started = performance.now();
    await startRender(page);
    await waitForDone(page, 60_000);
    console.log(`# single tab: ${(performance.now() - started).toFixed(0)} ms`);
    single = await downloadCounts(page);
    assert.equal(single.length, VIEW.width * VIEW.height);
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 2000; i++) {
      const px = Math.floor(random() * VIEW.width);
      const py = Math.floor(random() * VIEW.height);
      assert.equal(
        single[py * VIEW.width + px],
        referenceCount(VIEW, px, py),
        `pixel (${px}, ${py})`,
      );
    }
    // A finished job is never resumed: its checkpoint leaves IndexedDB (the image stays).
    await expectStoredJobs(page, 0);
    await page.context().close();
  });

  it('three tabs render the same counts bit for bit', async () => {
    const { a } = await roomOfThree();
    const started = performance.now();
    await startRender(a);
    await waitForDone(a, 60_000);
    console.log(`# room of three: ${(performance.now() - started).toFixed(0)} ms`);
    assert.deepEqual(await downloadCounts(a), single);
  });

  it('with every chunk verified, the same counts, and the progress shows the checks', async () => {
    const { a } = await roomOfThree();
    await a.locator('pd-mandelbrot-panel select[aria-label="Verify results"]').selectOption('1');
    await startRender(a);
    await waitForDone(a, 90_000);
    assert.deepEqual(await downloadCounts(a), single);
    const figure = a.locator('pd-job-progress [data-verification-overhead]');
    const checked = Number(await figure.getAttribute('data-checked-chunks'));
    const overhead = Number(await figure.getAttribute('data-verification-overhead'));
    console.log(`# verified room of three: ${checked} chunks checked, overhead ${overhead}`);
    // The controller's own results are trusted; B's and C's are all checked.
    assert.ok(checked > 0 && overhead > 0, `${checked} checked, overhead ${overhead}`);
    assert.equal(await figure.getAttribute('data-peers-caught'), '0');
  });

  it('closing a worker tab mid-render still yields the identical image', async () => {
    const { a, c } = await roomOfThree([8, 8, 8]);
    await startRender(a);
    const { total } = await jobFigures(a);
    await waitForChunks(a, Math.floor(total / 4), 60_000);
    await c.close();
    await waitForDone(a, 90_000);
    assert.deepEqual(await downloadCounts(a), single);
  });

  it('reloading the controller mid-render resumes and recomputes no more than was in flight', async () => {
    const { a, b, c } = await roomOfThree([8, 8, 8]);
    const before = { b: await chunksComputed(b), c: await chunksComputed(c) };
    await startRender(a);
    const { total } = await jobFigures(a);
    await waitForChunks(a, Math.floor(total / 3), 60_000);
    const { inFlight } = await jobFigures(a);
    const computedBeforeReload = await chunksComputed(a);
    await a.reload();
    const resume = a.getByRole('button', { name: /Resume unfinished render/ });
    await resume.waitFor({ timeout: 15_000 });
    assert.match(
      await resume.innerText(),
      new RegExp(`/ ${total} chunks`),
      'the offer shows the job size',
    );
    await resume.click();
    await waitForDone(a, 90_000);
    assert.deepEqual(await downloadCounts(a), single);
    const computed =
      computedBeforeReload +
      (await chunksComputed(a)) +
      (await chunksComputed(b)) -
      before.b +
      (await chunksComputed(c)) -
      before.c;
    console.log(`# reload: ${computed - total} chunks recomputed, ${inFlight} were in flight`);
    assert.ok(
      computed - total <= inFlight,
      `${computed - total} recomputed > ${inFlight} in flight`,
    );
  });

  it('a slow peer has work stolen from it', async () => {
    const { a, c } = await roomOfThree([1, 1, 6]);
    await startRender(a, { size: 2 });
    await waitForDone(a, 120_000);
    const slow = await peerRow(a, await selfPeerId(c));
    console.log(`# slow peer: ${JSON.stringify(slow)}`);
    assert.ok(slow.stealsGiven > 0, 'no chunk was stolen from the slow peer');
  });
});

/** Waits until the page's IndexedDB holds `count` job records (checkpoints are written async). */
async function expectStoredJobs(page: Page, count: number): Promise<void> {
  const storedJobs = () =>
    page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open('processdistro');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      try {
        return await new Promise<number>((resolve, reject) => {
          const request = db.transaction('jobs').objectStore('jobs').count();
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      } finally {
        db.close();
      }
    });
  const deadline = Date.now() + 5000;
  let stored = await storedJobs();
  while (stored !== count && Date.now() < deadline) {
    await page.waitForTimeout(100);
    stored = await storedJobs();
  }
  assert.equal(stored, count, 'job records in IndexedDB');
}
