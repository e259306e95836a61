/**
 * Page actions around a Mandelbrot job: choose a view, render, wait, download the raw counts,
 * and read the progress and work figures the page shows.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';

export interface RenderChoice {
  /** Index in the size list: 0 = 1280×720, 1 = 1920×1080, 2 = 3840×2160. */
  size?: number;
  maxIter?: number;
}

/** Clicks "Render Mandelbrot" (full-set view) after setting size and iterations. */
export async function startRender(page: Page, choice: RenderChoice = {}): Promise<void> {
  await page
    .locator('pd-mandelbrot-form select[aria-label="Size"]')
    .selectOption(String(choice.size ?? 1));
  if (choice.maxIter !== undefined) {
    await page
      .locator('pd-mandelbrot-form input[aria-label="Max iterations"]')
      .fill(String(choice.maxIter));
  }
  const figures = page.locator('pd-job-progress .figures');
  const previous = (await figures.count()) > 0 ? await figures.getAttribute('data-job-id') : null;
  await page.getByRole('button', { name: 'Render Mandelbrot' }).click();
  // Wait for the new job's panel, not the finished one of a previous render.
  await page
    .locator(`pd-job-progress .figures:not([data-job-id="${previous ?? ''}"])`)
    .waitFor({ timeout: 10_000 });
}

/** The job's progress figures as the page shows them. */
export async function jobFigures(page: Page) {
  return page.locator('pd-job-progress .figures').evaluate((figures) => {
    const chunks = figures.querySelector('[data-chunks-done]');
    return {
      state: figures.getAttribute('data-state') ?? '',
      done: Number(chunks?.getAttribute('data-chunks-done')),
      total: Number(chunks?.getAttribute('data-chunks-total')),
      inFlight: Number(figures.getAttribute('data-in-flight')),
    };
  });
}

/** Waits until the job shows at least `chunks` chunks done. */
export async function waitForChunks(page: Page, chunks: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await jobFigures(page)).done < chunks) {
    if (Date.now() > deadline)
      throw new Error(`fewer than ${chunks} chunks done after ${timeoutMs} ms`);
    await page.waitForTimeout(50);
  }
}

/**
 * Waits for the job to finish. Polls four times a second rather than every frame: the page's
 * main thread is the job's controller, and a benchmark must not load it.
 */
export async function waitForDone(page: Page, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    () => {
      const panel = document
        .querySelector('pd-app')
        ?.shadowRoot?.querySelector('pd-room-view')?.shadowRoot;
      const progress = panel
        ?.querySelector('pd-mandelbrot-panel')
        ?.shadowRoot?.querySelector('pd-job-progress');
      return progress?.shadowRoot?.querySelector('.figures[data-state="done"]') != null;
    },
    undefined,
    { timeout: timeoutMs, polling: 250 },
  );
}

/** Downloads the raw counts (.u32) the page offers. */
export async function downloadCounts(page: Page): Promise<Uint32Array> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download counts (.u32)' }).click(),
  ]);
  const bytes = await readFile(await download.path());
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** Chunks this page's member computed since it joined (for any job). */
export async function chunksComputed(page: Page): Promise<number> {
  const line = page.locator('pd-room-view [data-computed]');
  if ((await line.count()) === 0) return 0;
  return Number(await line.getAttribute('data-computed'));
}

/** The per-peer row of the controller's job table. */
export async function peerRow(page: Page, peerId: string) {
  return page.locator(`pd-job-progress tr[data-peer-id="${peerId}"]`).evaluate((row) => ({
    chunks: Number(row.getAttribute('data-chunks')),
    stealsGiven: Number(row.getAttribute('data-steals-given')),
    stealsTaken: Number(row.getAttribute('data-steals-taken')),
  }));
}

/** A room link that opens with the test-only worker slowdown (see client/ui/app.ts). */
export function withSlowdown(link: string, factor: number): string {
  const url = new URL(link);
  url.searchParams.set('pd-slowdown', String(factor));
  return url.href;
}
