/**
 * The installable app's update path in a real browser: a service worker installed on the first
 * visit, a new version deployed (sw.js changed on disk), the "Update available" prompt, and
 * Reload handing the page to the new worker.
 */
import assert from 'node:assert/strict';
import { cp, appendFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestBrowser } from './support/browser.ts';
import { ServerProcess } from './support/server-process.ts';

describe('app updates', () => {
  let server: ServerProcess;
  let browser: TestBrowser;
  let distDir: string;

  before(async () => {
    // A copy of the build, so the test can "deploy" a new version without touching dist/.
    distDir = await mkdtemp(join(tmpdir(), 'pd-dist-'));
    await cp(new URL('../../dist', import.meta.url).pathname, distDir, { recursive: true });
    server = await ServerProcess.start({ distDir });
    browser = await TestBrowser.launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('offers "Update available — Reload" for a new version and reloads into it', async () => {
    const page = await browser.newPage('update');
    await page.goto(server.url);
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    const prompt = page.getByRole('alert').filter({ hasText: 'Update available' });
    assert.equal(await prompt.count(), 0, 'no update prompt for the version just installed');

    await appendFile(join(distDir, 'sw.js'), '\n// a new version\n');
    await page.reload();
    await prompt.waitFor({ timeout: 15_000 });

    await Promise.all([
      page.waitForEvent('load'),
      prompt.getByRole('button', { name: 'Reload' }).click(),
    ]);
    await page.getByRole('button', { name: 'Create a room' }).waitFor();
    const state = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return {
        waiting: registration.waiting !== null,
        controlled: navigator.serviceWorker.controller !== null,
      };
    });
    assert.deepEqual(
      state,
      { waiting: false, controlled: true },
      'the new worker should control the page',
    );
  });
});
