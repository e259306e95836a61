/**
 * The foundation end to end: the real server (a child process), real Chromium contexts, real
 * WebRTC inside the test network namespace (scripts/netns.sh).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { TestBrowser, logPageErrors } from './support/browser.ts';
import {
  connectedPeerIds,
  createRoom,
  joinRoom,
  runLinkTest,
  selfPeerId,
  waitForConnectedPeers,
} from './support/room-page.ts';
import { ServerProcess } from './support/server-process.ts';

describe('rooms and the WebRTC mesh', () => {
  let server: ServerProcess;
  let browser: TestBrowser;

  const newPage = (label: string): Promise<Page> => browser.newPage(label);

  before(async () => {
    server = await ServerProcess.start();
    browser = await TestBrowser.launch();
  });

  after(async () => {
    await browser?.close();
    const code = await server?.stop();
    assert.equal(code, 0, `server should exit cleanly on SIGTERM:\n${server?.output}`);
  });

  describe('a room of three', () => {
    let a: Page;
    let b: Page;
    let c: Page;
    let link: string;

    it('three contexts join through the link and each sees the other two within 5 s', async () => {
      [a, b, c] = await Promise.all([newPage('A'), newPage('B'), newPage('C')]);
      link = await createRoom(a, server.url);
      const started = performance.now();
      await Promise.all([joinRoom(b, link), joinRoom(c, link)]);
      await Promise.all([a, b, c].map((page) => waitForConnectedPeers(page, 2, 5000)));
      console.log(
        `# mesh of 3 connected ${(performance.now() - started).toFixed(0)} ms after the joins`,
      );
      const ids = await Promise.all([a, b, c].map(selfPeerId));
      assert.equal(new Set(ids).size, 3);
      for (const [i, page] of [a, b, c].entries()) {
        const seen = (await connectedPeerIds(page)).sort();
        assert.deepEqual(seen, ids.filter((_, j) => j !== i).sort());
      }
    });

    it('measures a round-trip time to every peer', async () => {
      await a.waitForFunction(() => {
        const list = document
          .querySelector('pd-app')
          ?.shadowRoot?.querySelector('pd-room-view')
          ?.shadowRoot?.querySelector('pd-peer-list');
        const rtts = [
          ...(list?.shadowRoot?.querySelectorAll('li[data-state="connected"] .rtt') ?? []),
        ];
        return rtts.length === 2 && rtts.every((r) => /ms$/.test(r.textContent ?? ''));
      });
      const rtts = await a
        .locator('pd-peer-list li[data-state="connected"] .rtt')
        .allTextContents();
      console.log(`# RTT seen from A: ${rtts.join(', ')}`);
    });

    it('a 5 MiB random body crosses every pair intact', async () => {
      for (const page of [a, b, c]) {
        const results = await runLinkTest(page, 2);
        for (const result of results) {
          assert.ok(result.ok, `link test failed: ${result.text}`);
          assert.equal(result.bytes, 5 * 1024 * 1024);
        }
        console.log(`# link test: ${results.map((r) => r.text).join('; ')}`);
      }
    });

    it('the QR code on screen decodes to the room link', async () => {
      const png = PNG.sync.read(await a.locator('pd-qr-code canvas').screenshot());
      const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
      assert.ok(decoded, 'QR code did not decode');
      assert.equal(decoded.data, link);
    });

    it('closing a tab is seen by the others within 5 s', async () => {
      const cId = await selfPeerId(c);
      const closed = performance.now();
      await c.close();
      await Promise.all([a, b].map((page) => waitForConnectedPeers(page, 1, 5000)));
      console.log(`# closed tab seen gone after ${(performance.now() - closed).toFixed(0)} ms`);
      for (const page of [a, b]) assert.ok(!(await connectedPeerIds(page)).includes(cId));
    });

    it('a server killed and restarted leaves channels working and lets a new member join', async () => {
      await server.kill();
      for (const page of [a, b]) {
        await page
          .locator('pd-room-view [data-signaling="reconnecting"]')
          .waitFor({ timeout: 10_000 });
      }
      // With no server at all, the data channel between A and B still carries data.
      const results = await runLinkTest(a, 1);
      assert.ok(results[0]?.ok, `link test without a server failed: ${results[0]?.text}`);
      assert.deepEqual(await connectedPeerIds(a), [await selfPeerId(b)]);

      await server.launch();
      for (const page of [a, b]) {
        await page.locator('pd-room-view [data-signaling="joined"]').waitFor({ timeout: 15_000 });
      }
      const d = await newPage('D');
      await joinRoom(d, link);
      await Promise.all([a, b, d].map((page) => waitForConnectedPeers(page, 2, 10_000)));
    });
    it('a duplicated tab joins as a new member and the original stays', async () => {
      // window.open copies sessionStorage, as duplicating a tab does: same peer id, same consent.
      const [copy] = await Promise.all([
        a.context().waitForEvent('page'),
        a.evaluate(() => void window.open(location.href)),
      ]);
      logPageErrors(copy, 'A-copy');
      await Promise.all([a, copy].map((page) => waitForConnectedPeers(page, 3, 10_000)));
      assert.notEqual(await selfPeerId(copy), await selfPeerId(a));
      await copy.close();
    });
  });

  it('a forged token is refused with a visible error', async () => {
    const page = await newPage('forger');
    const room = (await (await fetch(`${server.url}api/rooms`, { method: 'POST' })).json()) as {
      link: string;
    };
    const forged = room.link.replace(/t=([^&]+)$/, (_, t: string) => `t=${t.slice(0, -4)}AAAA`);
    assert.notEqual(forged, room.link);
    await joinRoom(page, forged);
    const alert = page.locator('pd-app [data-error-code="bad-token"]');
    await alert.waitFor({ timeout: 5000 });
    assert.match(await alert.innerText(), /not valid/);
  });

  it('an expired token is refused with a visible error', async () => {
    const page = await newPage('late');
    const response = await fetch(`${server.url}api/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ttlSeconds: 1 }),
    });
    const room = (await response.json()) as { link: string; expiresAt: number };
    await new Promise((r) => setTimeout(r, Math.max(0, room.expiresAt - Date.now()) + 1100));
    await joinRoom(page, room.link);
    const alert = page.locator('pd-app [data-error-code="token-expired"]');
    await alert.waitFor({ timeout: 5000 });
    assert.match(await alert.innerText(), /expired/);
  });

  it('after one visit the app shell loads with the network off', async () => {
    const page = await newPage('offline');
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Create a room' }).waitFor();
    // `ready` resolves once the worker is active, i.e. after its precache install finished.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await page.context().setOffline(true);
    await page.reload();
    await page.getByRole('button', { name: 'Create a room' }).waitFor({ timeout: 5000 });
    const fromWorker = await page.evaluate(() => navigator.serviceWorker.controller !== null);
    assert.ok(fromWorker, 'the reloaded page should be served by the service worker');
    const cachedKernels = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) {
        for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
      }
      return urls.filter((url) => /\.wasm(\?|$)/.test(url));
    });
    assert.ok(cachedKernels.length > 0, 'the kernels should be precached for offline use');
    await page.context().setOffline(false);
  });
});
