/**
 * The matrix multiplication and PBKDF2 panels end to end: real server, three Chromium tabs in
 * one room, real WebRTC in the test network namespace, the real kernels in Web Workers. Each
 * output is checked against a reference computed here, independently of the app: a plain
 * triple loop over `randomMatrices` for C, Node's crypto.pbkdf2Sync for the keys.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { randomMatrices } from '../../kernels/matmul/random.ts';
import { TestBrowser } from './support/browser.ts';
import {
  assertKeys,
  assertProduct,
  csvOf,
  jsonlOf,
  readResults,
  referenceKeys,
  referenceProduct,
  testPairs,
} from './support/job-references.ts';
import {
  chooseTab,
  download,
  fillMatmul,
  fillPbkdf2,
  panelFigures,
  panelPeerRows,
  reloadAndResume,
  startJob,
  waitForEnd,
  waitForPanelChunks,
  type JobPanel,
} from './support/job-page.ts';
import { chunksComputed, withSlowdown } from './support/render-page.ts';
import { createRoom, joinRoom, selfPeerId, waitForConnectedPeers } from './support/room-page.ts';
import { ServerProcess } from './support/server-process.ts';

/**
 * Non-square, with edge tiles on both sides: k = 1024 gives 176-wide tiles, so C is 6 × 6
 * tiles, the last row of tiles 20 high and the last column 120 wide.
 */
const MATMUL = { n: 900, k: 1024, m: 1000, seed: 20240611 };
const MATMUL_CHUNKS = 36;

/** Two PBKDF2 blocks per key (40 bytes); four pairs a chunk. */
const PBKDF2 = { iterations: 20_000, keyLength: 40 };
/** The job of the tests that break something: 60 chunks of four pairs. */
const PBKDF2_SLOW = { pairs: 240, iterations: 20_000, keyLength: 32 };

/** Slowed workers (see client/ui/app.ts): long enough to act mid-job, short enough to wait. */
const SLOWDOWN = 12;

describe('matrix multiplication and PBKDF2 from the UI', () => {
  let server: ServerProcess;
  let browser: TestBrowser;
  let product: Float64Array | undefined;
  const productOnce = () => (product ??= referenceProduct(MATMUL));
  let slowKeys: string[] | undefined;
  const slowKeysOnce = () =>
    (slowKeys ??= referenceKeys(
      testPairs(PBKDF2_SLOW.pairs),
      PBKDF2_SLOW.iterations,
      PBKDF2_SLOW.keyLength,
    ));

  /**
   * Reloads the controller (pages[0]) mid-job, checks the resume offer, resumes, waits for the
   * job to finish, and returns how many chunks were computed more than once: at most those in
   * flight at the reload (assigned, or accepted and not yet checkpointed). `before`: what the
   * other pages had computed before the job started.
   */
  async function recomputedAfterResume(
    pages: Page[],
    panel: JobPanel,
    total: number,
    before: number[],
  ) {
    const [a, ...workers] = pages as [Page, ...Page[]];
    const { inFlight } = await panelFigures(a, panel);
    const computedBeforeReload = await chunksComputed(a);
    const offer = await reloadAndResume(a, panel);
    assert.match(offer, new RegExp(`/ ${total} chunks`), 'the offer shows the job size');
    assert.equal(await waitForEnd(a, panel, 90_000), 'done');
    const after = await Promise.all(workers.map(chunksComputed));
    const computed =
      computedBeforeReload +
      (await chunksComputed(a)) +
      after.reduce((sum, n, i) => sum + n - before[i]!, 0);
    assert.ok(
      computed - total <= inFlight,
      `${computed - total} recomputed > ${inFlight} in flight`,
    );
    return { chunks: computed - total, inFlight };
  }

  /** A room of three: A creates it (and controls the jobs), B and C join. */
  async function roomOfThree(slowdown = 1): Promise<Page[]> {
    const pages = await Promise.all(['A', 'B', 'C'].map((label) => browser.newPage(label)));
    const [a, b, c] = pages as [Page, Page, Page];
    const link = await createRoom(a, withSlowdown(server.url, slowdown));
    await Promise.all([
      joinRoom(b, withSlowdown(link, slowdown)),
      joinRoom(c, withSlowdown(link, slowdown)),
    ]);
    await Promise.all(pages.map((page) => waitForConnectedPeers(page, 2, 15_000)));
    return pages;
  }

  const closeAll = (pages: Page[]) =>
    Promise.all(
      pages.map((page) =>
        page
          .context()
          .close()
          .catch(() => {}),
      ),
    );

  before(async () => {
    server = await ServerProcess.start();
    browser = await TestBrowser.launch();
  });

  after(async () => {
    await closeAll(shared ?? []);
    await browser?.close();
    await server?.stop();
  });

  /** One room for the tests that break nothing (created by the first that needs it). */
  let shared: Page[] | undefined;
  const sharedRoom = async () => (shared ??= await roomOfThree());

  it('multiplies random matrices (non-square, edge tiles) and matches the triple loop', async () => {
    const [a, b, c] = (await sharedRoom()) as [Page, Page, Page];
    await chooseTab(a, 'pd-matmul-panel');
    await fillMatmul(a, MATMUL);
    const started = performance.now();
    await startJob(a, 'pd-matmul-panel');
    assert.equal(await waitForEnd(a, 'pd-matmul-panel', 60_000), 'done');
    console.log(`# matmul: ${(performance.now() - started).toFixed(0)} ms`);
    assertProduct(await download(a, 'pd-matmul-panel', 'Download C (.f64)'), productOnce());
    // The panel's own check ran and passed; every chunk was counted once.
    const check = a.locator('pd-matmul-panel .check');
    assert.equal(await check.getAttribute('data-ok'), 'true');
    assert.equal(await check.getAttribute('data-samples'), '64');
    const { done, total } = await panelFigures(a, 'pd-matmul-panel');
    assert.deepEqual([done, total], [MATMUL_CHUNKS, MATMUL_CHUNKS]);
    // Workers fetched panels of A and B and sent tiles back: the table shows their bytes.
    const rows = await panelPeerRows(a, 'pd-matmul-panel');
    assert.equal(
      rows.reduce((sum, r) => sum + r.chunks, 0),
      MATMUL_CHUNKS,
      'the chunks per peer add up',
    );
    const workers = await Promise.all([b, c].map(selfPeerId));
    const working = rows.filter((r) => workers.includes(r.peerId) && r.chunks > 0);
    assert.ok(working.length > 0, 'the other tabs computed some of the job');
    for (const row of working) {
      assert.ok(row.bytesMoved > 0 && row.units > 0, `bytes and rate of ${JSON.stringify(row)}`);
    }
  });

  it('multiplies uploaded .f64 files, after refusing files of the wrong size', async () => {
    const [a] = (await sharedRoom()) as [Page];
    await chooseTab(a, 'pd-matmul-panel');
    await fillMatmul(a, MATMUL);
    const form = a.locator('pd-matmul-form');
    await form.getByRole('radio', { name: /Upload/ }).check();
    const { a: left, b: right } = randomMatrices(MATMUL, MATMUL.seed);
    const file = (name: string, values: Float64Array) => ({
      name,
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(values.buffer, values.byteOffset, values.byteLength),
    });
    // B given as A: its size is k × m, not n × k.
    await form.getByLabel('Matrix A', { exact: true }).setInputFiles(file('b.f64', right));
    await form.getByLabel('Matrix B', { exact: true }).setInputFiles(file('b.f64', right));
    await a.getByRole('button', { name: 'Multiply', exact: true }).click();
    const problem = form.getByRole('alert');
    assert.match(await problem.innerText(), /A must be 900 × 1024 .*7,372,800 bytes.*8,192,000/);
    await form.getByLabel('Matrix A', { exact: true }).setInputFiles(file('a.f64', left));
    await startJob(a, 'pd-matmul-panel');
    assert.equal(await waitForEnd(a, 'pd-matmul-panel', 60_000), 'done');
    assertProduct(await download(a, 'pd-matmul-panel', 'Download C (.f64)'), productOnce());
  });

  it('derives PBKDF2 keys of a pasted CSV list, equal to crypto.pbkdf2Sync in input order', async () => {
    const [a] = (await sharedRoom()) as [Page];
    await chooseTab(a, 'pd-pbkdf2-panel');
    // A bad list is refused with the line of the problem.
    await fillPbkdf2(a, { text: '{"password":"a","salt":"b"}\n{"password":1}\n', ...PBKDF2 });
    await a.getByRole('button', { name: 'Derive keys', exact: true }).click();
    assert.match(await a.locator('pd-pbkdf2-form').getByRole('alert').innerText(), /^Line 2: /);
    const pairs = testPairs(120);
    await fillPbkdf2(a, { text: csvOf(pairs), ...PBKDF2 });
    const started = performance.now();
    await startJob(a, 'pd-pbkdf2-panel');
    assert.equal(await waitForEnd(a, 'pd-pbkdf2-panel', 60_000), 'done');
    console.log(`# pbkdf2: ${(performance.now() - started).toFixed(0)} ms`);
    const keys = referenceKeys(pairs, PBKDF2.iterations, PBKDF2.keyLength);
    const results = readResults(await download(a, 'pd-pbkdf2-panel', 'Download CSV'), 'csv');
    assertKeys(results, pairs, keys);
    const firstRow = a.locator('pd-pbkdf2-panel table tr[data-index="0"] td.hash');
    assert.equal(await firstRow.innerText(), keys[0], 'the page shows the first rows');
    await closeAll(shared ?? []);
    shared = undefined;
  });

  it('matmul: closing a worker tab mid-job still yields the correct C', async () => {
    const pages = await roomOfThree(SLOWDOWN);
    const [a, , c] = pages as [Page, Page, Page];
    await chooseTab(a, 'pd-matmul-panel');
    await fillMatmul(a, MATMUL);
    await startJob(a, 'pd-matmul-panel');
    await waitForPanelChunks(a, 'pd-matmul-panel', Math.floor(MATMUL_CHUNKS / 4), 60_000);
    await c.close();
    assert.equal(await waitForEnd(a, 'pd-matmul-panel', 90_000), 'done');
    assertProduct(await download(a, 'pd-matmul-panel', 'Download C (.f64)'), productOnce());
    await closeAll(pages);
  });

  it('matmul: reloading the controller mid-job resumes and yields the correct C', async () => {
    const pages = await roomOfThree(SLOWDOWN);
    const [a] = pages as [Page];
    await chooseTab(a, 'pd-matmul-panel');
    await fillMatmul(a, MATMUL);
    const before = await Promise.all(pages.slice(1).map(chunksComputed));
    await startJob(a, 'pd-matmul-panel');
    await waitForPanelChunks(a, 'pd-matmul-panel', Math.floor(MATMUL_CHUNKS / 3), 60_000);
    const recomputed = await recomputedAfterResume(pages, 'pd-matmul-panel', MATMUL_CHUNKS, before);
    assertProduct(await download(a, 'pd-matmul-panel', 'Download C (.f64)'), productOnce());
    assert.equal(await a.locator('pd-matmul-panel .check').getAttribute('data-ok'), 'true');
    console.log(
      `# matmul reload: ${recomputed.chunks} recomputed, ${recomputed.inFlight} were in flight`,
    );
    await closeAll(pages);
  });

  it('pbkdf2: closing a worker tab mid-job still yields every key', async () => {
    const pages = await roomOfThree(SLOWDOWN);
    const [a, , c] = pages as [Page, Page, Page];
    const pairs = testPairs(PBKDF2_SLOW.pairs);
    await chooseTab(a, 'pd-pbkdf2-panel');
    await fillPbkdf2(a, { text: jsonlOf(pairs), ...PBKDF2_SLOW });
    await startJob(a, 'pd-pbkdf2-panel');
    const { total } = await panelFigures(a, 'pd-pbkdf2-panel');
    await waitForPanelChunks(a, 'pd-pbkdf2-panel', Math.floor(total / 4), 60_000);
    await c.close();
    assert.equal(await waitForEnd(a, 'pd-pbkdf2-panel', 90_000), 'done');
    const results = readResults(await download(a, 'pd-pbkdf2-panel', 'Download JSONL'), 'jsonl');
    assertKeys(results, pairs, slowKeysOnce());
    await closeAll(pages);
  });

  it('pbkdf2: reloading the controller mid-job resumes and yields every key', async () => {
    const pages = await roomOfThree(SLOWDOWN);
    const [a] = pages as [Page];
    const pairs = testPairs(PBKDF2_SLOW.pairs);
    await chooseTab(a, 'pd-pbkdf2-panel');
    await fillPbkdf2(a, { text: jsonlOf(pairs), ...PBKDF2_SLOW });
    const before = await Promise.all(pages.slice(1).map(chunksComputed));
    await startJob(a, 'pd-pbkdf2-panel');
    const { total } = await panelFigures(a, 'pd-pbkdf2-panel');
    await waitForPanelChunks(a, 'pd-pbkdf2-panel', Math.floor(total / 3), 60_000);
    const recomputed = await recomputedAfterResume(pages, 'pd-pbkdf2-panel', total, before);
    const results = readResults(await download(a, 'pd-pbkdf2-panel', 'Download JSONL'), 'jsonl');
    assertKeys(results, pairs, slowKeysOnce());
    console.log(
      `# pbkdf2 reload: ${recomputed.chunks} recomputed, ${recomputed.inFlight} were in flight`,
    );
    await closeAll(pages);
  });
});
