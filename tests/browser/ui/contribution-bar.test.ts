/// <reference types="mocha" />
// <pd-contribution-bar> in Chromium over fake jobs and a fake wake lock API: the bar shows only
// while chunks run here (or while paused), Pause and Resume reach the jobs, Leave is fired, and
// the wake lock is held only while chunks run, not paused, with the setting on.
import { expect } from '@esm-bundle/chai';
import type { RoomJobsEvents } from '../../../client/jobs/room-jobs.ts';
import { Emitter } from '../../../client/mesh/emitter.ts';
import type { PeerJobSnapshot } from '../../../client/scheduler/peer-types.ts';
import '../../../client/ui/contribution-bar.ts';
import type { ContributionBar } from '../../../client/ui/contribution-bar.ts';
import { ScreenWakeLock, saveKeepScreenOn } from '../../../client/ui/screen-wake-lock.ts';

class FakeJobs extends Emitter<RoomJobsEvents> {
  paused = false;
  pause(): void {
    this.paused = true;
    this.emit('paused', true);
  }
  resume(): void {
    this.paused = false;
    this.emit('paused', false);
  }
  /** Reports `running` chunks of one job on this device. */
  running(running: number): void {
    const snapshot = { jobId: 'j', running, queued: 0 } as PeerJobSnapshot;
    this.emit('work', [snapshot]);
  }
}

/** A wake lock over a fake API that counts what is held. */
function fakeLock() {
  const held = { now: 0, requests: 0 };
  const api = {
    async request() {
      held.requests += 1;
      held.now += 1;
      const sentinel = new EventTarget() as EventTarget & { release(): Promise<void> };
      sentinel.release = async () => {
        held.now -= 1;
        sentinel.dispatchEvent(new Event('release'));
      };
      return sentinel as unknown as WakeLockSentinel;
    },
  };
  return { lock: new ScreenWakeLock(api), held };
}

async function mount(keepScreenOn = false) {
  saveKeepScreenOn(keepScreenOn);
  const jobs = new FakeJobs();
  const { lock, held } = fakeLock();
  const bar = document.createElement('pd-contribution-bar');
  bar.wakeLock = lock;
  bar.jobs = jobs;
  document.body.append(bar);
  await bar.updateComplete;
  return { bar, jobs, held };
}

const settle = async (bar: ContributionBar) => {
  await bar.updateComplete;
  await new Promise((resolve) => setTimeout(resolve, 0));
  await bar.updateComplete;
};
const state = (bar: ContributionBar) =>
  bar.shadowRoot!.querySelector('[data-state]')!.getAttribute('data-state');
const button = (bar: ContributionBar, name: string) =>
  [...bar.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent?.trim() === name)!;

describe('ui/contribution-bar', () => {
  afterEach(() => {
    document.querySelectorAll('pd-contribution-bar').forEach((e) => e.remove());
    localStorage.clear();
  });

  it('shows the fixed bar only while chunks run here', async () => {
    const { bar, jobs } = await mount();
    expect(state(bar)).to.equal('idle');
    jobs.running(3);
    await settle(bar);
    expect(state(bar)).to.equal('contributing');
    const shown = bar.shadowRoot!.querySelector('.bar') as HTMLElement;
    expect(getComputedStyle(shown).position).to.equal('fixed');
    expect(shown.textContent).to.match(/Contributing: 3\s+chunks running/);
    jobs.running(0);
    await settle(bar);
    expect(state(bar)).to.equal('idle');
  });

  it('Pause and Resume reach the jobs; paused shows until resumed', async () => {
    const { bar, jobs } = await mount();
    jobs.running(2);
    await settle(bar);
    button(bar, 'Pause').click();
    await settle(bar);
    expect(jobs.paused).to.equal(true);
    expect(state(bar)).to.equal('paused');
    expect(bar.shadowRoot!.querySelector('.bar')!.textContent).to.contain('2 finishing');
    jobs.running(0);
    await settle(bar);
    expect(state(bar)).to.equal('paused');
    button(bar, 'Resume').click();
    await settle(bar);
    expect(jobs.paused).to.equal(false);
    expect(state(bar)).to.equal('idle');
  });

  it('fires leave', async () => {
    const { bar, jobs } = await mount();
    jobs.running(1);
    await settle(bar);
    let left = false;
    bar.addEventListener('leave', () => (left = true));
    button(bar, 'Leave room').click();
    expect(left).to.equal(true);
  });

  it('holds no wake lock unless the person allowed it', async () => {
    const { bar, jobs, held } = await mount(false);
    jobs.running(2);
    await settle(bar);
    expect(held.requests).to.equal(0);
  });

  it('holds the wake lock only while chunks run and not paused, with the setting on', async () => {
    const { bar, jobs, held } = await mount(true);
    await settle(bar);
    expect(held.now).to.equal(0, 'idle');
    jobs.running(2);
    await settle(bar);
    expect(held.now).to.equal(1, 'computing');
    jobs.pause();
    await settle(bar);
    expect(held.now).to.equal(0, 'paused');
    jobs.resume();
    jobs.running(1);
    await settle(bar);
    expect(held.now).to.equal(1, 'resumed');
    jobs.running(0);
    await settle(bar);
    expect(held.now).to.equal(0, 'idle again');
  });

  it('the setting is a checkbox, persisted', async () => {
    const { bar, jobs, held } = await mount(false);
    jobs.running(1);
    await settle(bar);
    const box = bar.shadowRoot!.querySelector('input[type="checkbox"]') as HTMLInputElement;
    box.click();
    await settle(bar);
    expect(localStorage.getItem('pd-keep-screen-on')).to.equal('1');
    expect(held.now).to.equal(1);
  });
});
