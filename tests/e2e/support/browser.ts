/**
 * Debian's Chromium driven by playwright-core, with the flags this machine's tests need:
 * no network beyond the test namespace, and real host ICE candidates instead of mDNS names.
 */
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/** Launches Chromium with a fresh profile (playwright gives each launch a temporary one). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
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
