/**
 * Debian's Chromium driven by playwright-core, with the flags this machine's tests need:
 * no network beyond the test namespace, and real host ICE candidates instead of mDNS names.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../../scripts/chromium.js';

/** Launches Chromium with a fresh profile (playwright gives each launch a temporary one). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
  });
}

/** Forwards a page's console errors to the test output, which helps when a test fails. */
export function logPageErrors(page: Page, label: string): void {
  page.on('pageerror', (err) => console.error(`[${label}] page error:`, err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') console.error(`[${label}] console:`, msg.text());
  });
}

/** One Chromium for a test file, with a fresh context (its own storage) per page. */
export class TestBrowser {
  private readonly contexts: BrowserContext[] = [];

  private constructor(readonly browser: Browser) {}

  static async launch(): Promise<TestBrowser> {
    return new TestBrowser(await launchChromium());
  }

  /** A page in a new context; its errors are forwarded to the test output under `label`. */
  async newPage(label: string): Promise<Page> {
    const context = await this.browser.newContext({ acceptDownloads: true });
    this.contexts.push(context);
    const page = await context.newPage();
    logPageErrors(page, label);
    return page;
  }

  async close(): Promise<void> {
    for (const context of this.contexts) await context.close().catch(() => {});
    await this.browser.close();
  }
}
