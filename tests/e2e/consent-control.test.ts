/**
 * Consent and control on a contributing device, end to end with real Chromium tabs in one
 * room: a tab that has not consented computes nothing; the bar shows while chunks run here;
 * Pause hands queued chunks back (the job still completes, bit for bit), Resume takes chunks
 * again, and Leave gives everything back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { TestBrowser } from './support/browser.ts';
import {
  chunksComputed,
  downloadCounts,
  startRender,
  waitForDone,
  withSlowdown,
} from './support/render-page.ts';
import { createRoom, joinRoom, selfPeerId, waitForConnectedPeers } from './support/room-page.ts';
import { ServerProcess } from './support/server-process.ts';
import { referenceCount } from '../support/mandelbrot-reference.ts';

/** The full-set preset at 1280×720 (size 0) with a higher iteration cap, so a render lasts. */
const MAX_ITER = 2000;
const VIEW = { width: 1280, height: 720, cx: -0.5, cy: 0, scale: 1.6875 / 720, maxIter: MAX_ITER };

let reference: Uint32Array | undefined;
/** The whole image by the reference definition (computed once). */
function referenceImage(): Uint32Array {
  if (reference) return reference;
  reference = new Uint32Array(VIEW.width * VIEW.height);
  for (let py = 0; py < VIEW.height; py++) {
    for (let px = 0; px < VIEW.width; px++) {
      reference[py * VIEW.width + px] = referenceCount(VIEW, px, py);
    }
  }
  return reference;
}

function assertReferenceImage(counts: Uint32Array): void {
  const expected = referenceImage();
  assert.equal(counts.length, expected.length);
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] !== expected[i]) {
      assert.fail(`pixel (${i % VIEW.width}, ${Math.floor(i / VIEW.width)}) differs`);
    }
  }
}

/** The contribution bar's state (`contributing`, `paused`, `idle`) and chunks running. */
async function barState(page: Page): Promise<{ state: string; running: number }> {
  return page.locator('pd-contribution-bar [data-state]').evaluate((el) => ({
    state: el.getAttribute('data-state') ?? '',
    running: Number(el.getAttribute('data-running') ?? 0),
  }));
}

async function waitForBar(page: Page, state: string, timeoutMs: number): Promise<void> {
  await page.locator(`pd-contribution-bar [data-state="${state}"]`).waitFor({ timeout: timeoutMs });
}

/** Chunks this member holds (queued and running), as the room view shows. */
async function inHand(page: Page): Promise<number> {
  const line = page.locator('pd-room-view [data-in-hand]');
  if ((await line.count()) === 0) return 0;
  return Number(await line.getAttribute('data-in-hand'));
}

const barButton = (page: Page, name: string) =>
  page.locator('pd-contribution-bar').getByRole('button', { name, exact: true });

describe('consent and control on contributing devices', () => {
  let server: ServerProcess;
  let browser: TestBrowser;

  before(async () => {
    server = await ServerProcess.start();
    browser = await TestBrowser.launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A creates a room (and computes too); B joins with its workers `slowdown` times slower. */
  async function roomOfTwo(slowdown: number): Promise<{ a: Page; b: Page }> {
    const [a, b] = await Promise.all([browser.newPage('A'), browser.newPage('B')]);
    const link = await createRoom(a, server.url);
    await joinRoom(b, withSlowdown(link, slowdown));
    await Promise.all([a, b].map((page) => waitForConnectedPeers(page, 1, 10_000)));
    return { a, b };
  }

  it('a tab that has not consented (or donates no cores) computes nothing', async () => {
    const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((label) => browser.newPage(label)));
    const link = await createRoom(a, server.url);
    // B opens the link and leaves the consent dialog unanswered; C joins donating 0 cores.
    await b.goto(link);
    await b.locator('pd-consent-dialog').waitFor();
    await joinRoom(c, link, 0);
    await waitForConnectedPeers(a, 1, 10_000);
    await startRender(a, { size: 0, maxIter: MAX_ITER });
    await waitForDone(a, 60_000);
    assertReferenceImage(await downloadCounts(a));

    const rows = await a
      .locator('pd-job-progress tr[data-peer-id]')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-peer-id')));
    assert.deepEqual(rows, [await selfPeerId(a)], 'only A computed');
    assert.equal(await b.locator('pd-room-view').count(), 0, 'B never joined');
    assert.equal(await b.locator('pd-consent-dialog').count(), 1);
    assert.equal(await chunksComputed(c), 0, 'C computed nothing');
    assert.equal((await barState(c)).state, 'idle');
    await Promise.all([a, b, c].map((page) => page.context().close()));
  });

  it('shows the bar while computing; Pause hands queued chunks back, Resume takes more', async () => {
    const { a, b } = await roomOfTwo(6);
    assert.equal((await barState(b)).state, 'idle');
    await startRender(a, { size: 0, maxIter: MAX_ITER });
    await waitForBar(b, 'contributing', 30_000);
    assert.match(
      await b.locator('pd-contribution-bar .bar').innerText(),
      /Contributing: \d+ chunks? running/,
    );

    await barButton(b, 'Pause').click();
    await waitForBar(b, 'paused', 2000);
    const computedAtPause = await chunksComputed(b);
    const runningAtPause = (await barState(b)).running;
    // The queued chunks are gone from B at once: it holds only those still running.
    const deadline = Date.now() + 1000;
    while ((await inHand(b)) > (await barState(b)).running) {
      assert.ok(Date.now() < deadline, 'B still holds queued chunks 1 s after Pause');
      await b.waitForTimeout(50);
    }

    await waitForDone(a, 90_000);
    assertReferenceImage(await downloadCounts(a));
    // Nothing started on B after the pause; what ran there finished and was delivered.
    const computedAfter = await chunksComputed(b);
    assert.ok(
      computedAfter <= computedAtPause + runningAtPause,
      `B computed ${computedAfter} > ${computedAtPause} + ${runningAtPause} running at pause`,
    );
    await b.waitForFunction(
      () =>
        document
          .querySelector('pd-app')
          ?.shadowRoot?.querySelector('pd-contribution-bar')
          ?.shadowRoot?.querySelector('[data-state="paused"][data-running="0"]') != null,
      undefined,
      { timeout: 30_000 },
    );

    await barButton(b, 'Resume').click();
    await waitForBar(b, 'idle', 2000);
    // A bigger render, so that B (slowed) surely gets chunks of it.
    await startRender(a, { size: 1, maxIter: MAX_ITER });
    await waitForDone(a, 90_000);
    assert.ok((await chunksComputed(b)) > computedAfter, 'B computed again after Resume');
    await Promise.all([a, b].map((page) => page.context().close()));
  });

  it('Leave in the bar gives every chunk back and the job completes', async () => {
    const { a, b } = await roomOfTwo(6);
    await startRender(a, { size: 0, maxIter: MAX_ITER });
    await waitForBar(b, 'contributing', 30_000);
    await barButton(b, 'Leave room').click();
    await b.locator('pd-landing-view').waitFor({ timeout: 5000 });
    await waitForConnectedPeers(a, 0, 10_000);
    await waitForDone(a, 90_000);
    assertReferenceImage(await downloadCounts(a));
    await Promise.all([a, b].map((page) => page.context().close()));
  });
});
