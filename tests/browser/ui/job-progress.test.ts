/// <reference types="mocha" />
// <pd-job-progress> in Chromium: the throughput figures and per-peer columns a view asks for.
import { expect } from '@esm-bundle/chai';
import '../../../client/ui/job-progress.ts';
import { formatBytes, formatRate, type JobView } from '../../../client/ui/job-progress.ts';

function view(overrides: Partial<JobView> = {}): JobView {
  return {
    jobId: 'job-1',
    state: 'running',
    totalChunks: 40,
    doneChunks: 30,
    restoredChunks: 20,
    elapsedMs: 2000,
    inFlight: 3,
    throughput: [
      { unit: 'FLOP/s', done: 8e9 },
      { unit: 'hashes/s', done: 50 },
    ],
    peers: [
      {
        peerId: 'p1',
        name: 'laptop',
        chunks: 30,
        computeMs: 1500,
        stealsGiven: 1,
        stealsTaken: 2,
        reassigned: 0,
        units: 6e9,
        bytesMoved: 3 * 1024 * 1024,
      },
    ],
    ...overrides,
  };
}

async function render(job: JobView) {
  const element = document.createElement('pd-job-progress');
  element.job = job;
  document.body.append(element);
  await element.updateComplete;
  return element.shadowRoot!;
}

describe('ui/job-progress', () => {
  afterEach(() => document.querySelectorAll('pd-job-progress').forEach((e) => e.remove()));

  it('formats rates with SI prefixes and bytes in binary units', () => {
    expect(formatRate(4e9, 'FLOP/s')).to.equal('4.0 GFLOP/s');
    expect(formatRate(25, 'hashes/s')).to.equal('25.0 hashes/s');
    expect(formatRate(0, 'px/s')).to.equal('— px/s');
    expect(formatBytes(512)).to.equal('512 B');
    expect(formatBytes(3 * 1024 * 1024)).to.equal('3.0 MiB');
  });

  it('shows each throughput over the elapsed time, and an ETA from this run’s chunks only', async () => {
    const root = await render(view());
    const rates = [...root.querySelectorAll('[data-rate]')].map((e) => e.textContent?.trim());
    expect(rates).to.deep.equal(['4.0 GFLOP/s', '25.0 hashes/s']);
    // 10 chunks in 2 s this run, 10 to go: 2 s, not the 0.7 s that 30 done would suggest.
    expect(root.querySelector('.figures')!.textContent).to.contain('ETA 2.0 s');
  });

  it('adds the rate and bytes columns only when the view asks', async () => {
    let root = await render(view());
    let headers = [...root.querySelectorAll('th')].map((th) => th.textContent?.trim());
    expect(headers).to.not.include('Moved');
    document.querySelector('pd-job-progress')!.remove();
    root = await render(view({ peerRate: 'FLOP/s', showBytes: true }));
    headers = [...root.querySelectorAll('th')].map((th) => th.textContent?.trim());
    expect(headers.slice(0, 5)).to.deep.equal(['Peer', 'Chunks', 'Compute', 'FLOP/s', 'Moved']);
    const cells = [...root.querySelectorAll('tbody td')].map((td) => td.textContent?.trim());
    expect(cells.slice(3, 5)).to.deep.equal(['3.0 GFLOP/s', '3.0 MiB']);
    const row = root.querySelector('tr[data-peer-id="p1"]')!;
    expect(row.getAttribute('data-bytes-moved')).to.equal(String(3 * 1024 * 1024));
  });
});
