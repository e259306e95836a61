/**
 * Page actions around the matrix multiplication and PBKDF2 panels: choose the panel's tab,
 * fill its form, start the job, follow its progress, resume it after a reload, and download
 * its output. Everything goes through what a person sees and clicks; the figures come from
 * the data attributes of <pd-job-progress> and the panels.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';

/** The job panels these helpers drive. */
export type JobPanel = 'pd-matmul-panel' | 'pd-pbkdf2-panel';

const TAB_NAME: Record<JobPanel, string> = {
  'pd-matmul-panel': 'Matrix multiplication',
  'pd-pbkdf2-panel': 'PBKDF2',
};

const START_BUTTON: Record<JobPanel, string> = {
  'pd-matmul-panel': 'Multiply',
  'pd-pbkdf2-panel': 'Derive keys',
};

/** Shows a panel by clicking its tab. */
export async function chooseTab(page: Page, panel: JobPanel): Promise<void> {
  await page.getByRole('tab', { name: TAB_NAME[panel] }).click();
  await page.locator(panel).waitFor({ state: 'visible' });
}

/** Fills the matrix form: a square size or n, k, m; random inputs from `seed`. */
export async function fillMatmul(
  page: Page,
  job: { n: number; k: number; m: number; seed: number },
): Promise<void> {
  const form = page.locator('pd-matmul-form');
  const square = job.n === job.k && job.k === job.m;
  await form.getByRole('checkbox', { name: 'Square' }).setChecked(square);
  if (square) {
    await form.getByLabel('Size n', { exact: true }).fill(String(job.n));
  } else {
    await form.getByLabel('Rows n', { exact: true }).fill(String(job.n));
    await form.getByLabel('Inner k', { exact: true }).fill(String(job.k));
    await form.getByLabel('Columns m', { exact: true }).fill(String(job.m));
  }
  await form.getByRole('radio', { name: /Random/ }).check();
  await form.getByLabel('Seed', { exact: true }).fill(String(job.seed));
}

/** Pastes a password list and sets iterations and key length. */
export async function fillPbkdf2(
  page: Page,
  job: { text: string; iterations: number; keyLength: number },
): Promise<void> {
  const form = page.locator('pd-pbkdf2-form');
  await form.getByLabel('Password list', { exact: true }).fill(job.text);
  await form.getByLabel('Iterations', { exact: true }).fill(String(job.iterations));
  await form.getByLabel('Key length', { exact: true }).fill(String(job.keyLength));
}

/** Clicks the panel's start button and waits for the new job's progress figures. */
export async function startJob(page: Page, panel: JobPanel): Promise<string> {
  const figures = page.locator(`${panel} pd-job-progress .figures`);
  const previous = (await figures.count()) > 0 ? await figures.getAttribute('data-job-id') : null;
  await page.getByRole('button', { name: START_BUTTON[panel], exact: true }).click();
  const fresh = page.locator(
    `${panel} pd-job-progress .figures:not([data-job-id="${previous ?? ''}"])`,
  );
  await fresh.waitFor({ timeout: 15_000 });
  return (await fresh.getAttribute('data-job-id')) ?? '';
}

/** The job's progress figures as the panel shows them. */
export async function panelFigures(page: Page, panel: JobPanel) {
  return page.locator(`${panel} pd-job-progress .figures`).evaluate((figures) => {
    const chunks = figures.querySelector('[data-chunks-done]');
    return {
      jobId: figures.getAttribute('data-job-id') ?? '',
      state: figures.getAttribute('data-state') ?? '',
      done: Number(chunks?.getAttribute('data-chunks-done')),
      total: Number(chunks?.getAttribute('data-chunks-total')),
      inFlight: Number(figures.getAttribute('data-in-flight')),
    };
  });
}

/** Waits until the panel's job shows at least `chunks` chunks done. */
export async function waitForPanelChunks(
  page: Page,
  panel: JobPanel,
  chunks: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { done, state } = await panelFigures(page, panel);
    if (done >= chunks) return;
    if (state !== 'running') throw new Error(`the job is ${state} with ${done} chunks done`);
    if (Date.now() > deadline) throw new Error(`fewer than ${chunks} chunks after ${timeoutMs} ms`);
    await page.waitForTimeout(50);
  }
}

/**
 * Waits for the panel's job to end and returns its state. Polls four times a second: the
 * page's main thread is the job's controller.
 */
export async function waitForEnd(page: Page, panel: JobPanel, timeoutMs: number): Promise<string> {
  const state = await page.waitForFunction(
    (tag) => {
      const view = document.querySelector('pd-app')?.shadowRoot?.querySelector('pd-room-view');
      const progress = view?.shadowRoot
        ?.querySelector(tag)
        ?.shadowRoot?.querySelector('pd-job-progress');
      const figures = progress?.shadowRoot?.querySelector('.figures');
      const value = figures?.getAttribute('data-state');
      return value && value !== 'running' ? value : false;
    },
    panel,
    { timeout: timeoutMs, polling: 250 },
  );
  return (await state.jsonValue()) as string;
}

/** Reloads a controller's tab and clicks its panel's resume offer; returns the offer's text. */
export async function reloadAndResume(page: Page, panel: JobPanel): Promise<string> {
  await page.reload();
  const resume = page.locator(panel).getByRole('button', { name: /^Resume unfinished/ });
  await resume.waitFor({ timeout: 20_000 });
  const offer = (await resume.innerText()).replace(/\s+/g, ' ');
  await resume.click();
  return offer;
}

/** Clicks a download button and returns the bytes of the file it saves. */
export async function download(page: Page, panel: JobPanel, button: string): Promise<Buffer> {
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.locator(panel).getByRole('button', { name: button, exact: true }).click(),
  ]);
  return readFile(await file.path());
}

/** The per-peer rows of a panel's job table. */
export async function panelPeerRows(page: Page, panel: JobPanel) {
  return page.locator(`${panel} pd-job-progress tr[data-peer-id]`).evaluateAll((rows) =>
    rows.map((row) => ({
      peerId: row.getAttribute('data-peer-id') ?? '',
      chunks: Number(row.getAttribute('data-chunks')),
      computeMs: Number(row.getAttribute('data-compute-ms')),
      units: Number(row.getAttribute('data-units')),
      bytesMoved: Number(row.getAttribute('data-bytes-moved')),
    })),
  );
}
