/**
 * What a person does in the app, as page actions: create a room, join from a link, read
 * the member list. Playwright's CSS locators pierce the elements' open shadow roots.
 */
import type { Page } from 'playwright-core';

/** Opens the app, creates a room, consents, and returns the room link the page shows. */
export async function createRoom(page: Page, appUrl: string): Promise<string> {
  await page.goto(appUrl);
  await page.getByRole('button', { name: 'Create a room' }).click();
  await page.getByRole('button', { name: 'Join and contribute' }).click();
  const linkInput = page.locator('pd-room-view input[aria-label="Room link"]');
  await linkInput.waitFor();
  const link = await linkInput.inputValue();
  if (!link.includes('#room=')) throw new Error(`unexpected room link ${link}`);
  return link;
}

/** Opens a room link and consents to join, donating `cores` (default: what the page proposes). */
export async function joinRoom(page: Page, link: string, cores?: number): Promise<void> {
  await page.goto(link);
  if (cores !== undefined) {
    await page
      .locator('pd-consent-dialog input#cores')
      .evaluate((input: HTMLInputElement, value) => {
        input.value = String(value);
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }, cores);
  }
  await page.getByRole('button', { name: 'Join and contribute' }).click();
}

/** Rows of the member list in a given connection state. */
export function peerRows(page: Page, state: 'connected' | 'connecting' | 'gone' | 'self') {
  return page.locator(`pd-peer-list li[data-state="${state}"]`);
}

/** Waits until the page lists exactly `count` other members as connected. */
export async function waitForConnectedPeers(
  page: Page,
  count: number,
  timeoutMs: number,
): Promise<void> {
  await page.waitForFunction(
    (expected) => {
      const list = document
        .querySelector('pd-app')
        ?.shadowRoot?.querySelector('pd-room-view')
        ?.shadowRoot?.querySelector('pd-peer-list');
      return list?.shadowRoot?.querySelectorAll('li[data-state="connected"]').length === expected;
    },
    count,
    { timeout: timeoutMs, polling: 50 },
  );
}

/** The peer ids a page lists as connected. */
export async function connectedPeerIds(page: Page): Promise<string[]> {
  return peerRows(page, 'connected').evaluateAll((rows) =>
    rows.map((r) => r.getAttribute('data-peer-id') ?? ''),
  );
}

/** This page's own peer id. */
export async function selfPeerId(page: Page): Promise<string> {
  return (await peerRows(page, 'self').getAttribute('data-peer-id')) ?? '';
}

/** Runs the link test (5 MiB to each connected peer) and returns its results. */
export async function runLinkTest(page: Page, expectedPeers: number) {
  await page.getByRole('button', { name: /Test links/ }).click();
  const results = page.locator('pd-room-view ul[aria-label="Link test results"] li');
  await page.waitForFunction(
    (n) => {
      const view = document
        .querySelector('pd-app')
        ?.shadowRoot?.querySelector('pd-room-view')?.shadowRoot;
      return view?.querySelectorAll('ul[aria-label="Link test results"] li').length === n;
    },
    expectedPeers,
    { timeout: 60_000 },
  );
  return results.evaluateAll((items) =>
    items.map((li) => ({
      peerId: li.getAttribute('data-peer-id'),
      ok: li.getAttribute('data-ok') === 'true',
      bytes: Number(li.getAttribute('data-bytes')),
      text: (li.textContent ?? '').replace(/\s+/g, ' ').trim(),
    })),
  );
}
