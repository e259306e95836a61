/**
 * Room security end to end: the host (the tab that created the room) rotates the room link
 * and removes a member, in real Chromium against the real server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { TestBrowser } from './support/browser.ts';
import {
  connectedPeerIds,
  createRoom,
  joinRoom,
  peerRows,
  selfPeerId,
  waitForConnectedPeers,
} from './support/room-page.ts';
import { ServerProcess } from './support/server-process.ts';

const linkInput = (page: Page) => page.locator('pd-room-view input[aria-label="Room link"]');

async function qrText(page: Page): Promise<string | undefined> {
  const png = PNG.sync.read(await page.locator('pd-qr-code canvas').screenshot());
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

describe('room security in the app', () => {
  let server: ServerProcess;
  let browser: TestBrowser;
  let host: Page;
  let member: Page;
  let oldLink: string;
  let newLink: string;

  before(async () => {
    server = await ServerProcess.start();
    browser = await TestBrowser.launch();
  });

  after(async () => {
    await browser?.close();
    const code = await server?.stop();
    assert.equal(code, 0, `server should exit cleanly on SIGTERM:\n${server?.output}`);
  });

  it('the creator is the host: it has the host controls, a member has none', async () => {
    [host, member] = await Promise.all([browser.newPage('host'), browser.newPage('member')]);
    oldLink = await createRoom(host, server.url);
    await joinRoom(member, oldLink);
    await Promise.all([host, member].map((page) => waitForConnectedPeers(page, 1, 10_000)));
    await host.getByRole('button', { name: 'New link (revoke old)' }).waitFor();
    const memberId = await selfPeerId(member);
    await host.locator(`pd-peer-list li[data-peer-id="${memberId}"] button`).waitFor();
    assert.equal(await peerRows(host, 'self').locator('[data-host]').count(), 1);
    assert.equal(await peerRows(member, 'connected').locator('[data-host]').count(), 1);
    assert.equal(await member.getByRole('button', { name: 'New link (revoke old)' }).count(), 0);
    assert.equal(await member.locator('pd-peer-list button').count(), 0);
  });

  it('the host rotates the link: the new link and QR show, the member stays', async () => {
    await host.getByRole('button', { name: 'New link (revoke old)' }).click();
    await host.waitForFunction(
      (old) =>
        document
          .querySelector('pd-app')
          ?.shadowRoot?.querySelector('pd-room-view')
          ?.shadowRoot?.querySelector<HTMLInputElement>('input[aria-label="Room link"]')?.value !==
        old,
      oldLink,
      { timeout: 5000 },
    );
    newLink = await linkInput(host).inputValue();
    assert.match(newLink, /#room=/);
    assert.notEqual(newLink, oldLink);
    await host.locator('pd-room-view [data-rotated]').waitFor();
    assert.equal(await qrText(host), newLink);
    // The member keeps its seat and its channel, and is handed the new link too.
    await member.waitForFunction(
      (link) =>
        document
          .querySelector('pd-app')
          ?.shadowRoot?.querySelector('pd-room-view')
          ?.shadowRoot?.querySelector<HTMLInputElement>('input[aria-label="Room link"]')?.value ===
        link,
      newLink,
      { timeout: 5000 },
    );
    await member.locator('pd-room-view [data-signaling="joined"]').waitFor();
    assert.deepEqual(await connectedPeerIds(host), [await selfPeerId(member)]);
  });

  it('the old link is refused with a visible error; the new link joins', async () => {
    const late = await browser.newPage('old-link');
    await joinRoom(late, oldLink);
    const alert = late.locator('pd-app [data-error-code="token-revoked"]');
    await alert.waitFor({ timeout: 5000 });
    assert.match(await alert.innerText(), /new link/);

    const welcome = await browser.newPage('new-link');
    await joinRoom(welcome, newLink);
    await waitForConnectedPeers(host, 2, 10_000);
    await waitForConnectedPeers(welcome, 2, 10_000);
    await welcome.close();
    await waitForConnectedPeers(host, 1, 10_000);
  });

  it('a reload of the host tab rejoins with the new link, still as host', async () => {
    await host.reload();
    await host.locator('pd-room-view [data-signaling="joined"]').waitFor({ timeout: 10_000 });
    await host.getByRole('button', { name: 'New link (revoke old)' }).waitFor();
    assert.equal(await linkInput(host).inputValue(), newLink);
    await waitForConnectedPeers(host, 1, 10_000);
  });

  it('the host removes a member: the others see it gone, it cannot rejoin with its link', async () => {
    const third = await browser.newPage('third');
    await joinRoom(third, newLink);
    await Promise.all([host, member, third].map((page) => waitForConnectedPeers(page, 2, 10_000)));
    const memberId = await selfPeerId(member);
    await host.locator(`pd-peer-list li[data-peer-id="${memberId}"] button`).click();

    const told = member.locator('pd-app [data-error-code="removed"]');
    await told.waitFor({ timeout: 5000 });
    assert.match(await told.innerText(), /removed/);
    await Promise.all([host, third].map((page) => waitForConnectedPeers(page, 1, 5000)));
    for (const page of [host, third]) {
      assert.ok(!(await connectedPeerIds(page)).includes(memberId));
    }
    assert.deepEqual(await connectedPeerIds(host), [await selfPeerId(third)]);

    // The same tab (same peer id) tries again with the link it joined with.
    await member.goto(server.url);
    await joinRoom(member, newLink);
    const refused = member.locator('pd-app [data-error-code="removed"]');
    await refused.waitFor({ timeout: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(await connectedPeerIds(host), [await selfPeerId(third)]);
  });
});
