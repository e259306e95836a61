/// <reference types="mocha" />
// <pd-job-tabs> in Chromium: one panel shown at a time, the choice kept in sessionStorage, and
// a dot on the tab of a panel that offers to resume a job.
import { expect } from '@esm-bundle/chai';
import '../../../client/ui/job-tabs.ts';
import type { JobTabs } from '../../../client/ui/job-tabs.ts';

async function mount(): Promise<{ tabs: JobTabs; panels: HTMLElement[] }> {
  const tabs = document.createElement('pd-job-tabs');
  const panels = ['First', 'Second', 'Third'].map((label, i) => {
    const panel = document.createElement(`test-panel-${i}`);
    panel.dataset.tab = label;
    return panel;
  });
  tabs.append(...panels);
  document.body.append(tabs);
  await tabs.updateComplete;
  // The slot reports its children asynchronously, and the tab bar renders them after.
  await new Promise((resolve) => setTimeout(resolve));
  await tabs.updateComplete;
  return { tabs, panels };
}

const tabButtons = (tabs: JobTabs) => [
  ...tabs.shadowRoot!.querySelectorAll<HTMLButtonElement>('[role="tab"]'),
];

describe('ui/job-tabs', () => {
  beforeEach(() => sessionStorage.clear());
  afterEach(() => document.querySelectorAll('pd-job-tabs').forEach((e) => e.remove()));

  it('shows the first panel by default and one panel per click', async () => {
    const { tabs, panels } = await mount();
    const buttons = tabButtons(tabs);
    expect(buttons.map((b) => b.textContent?.trim())).to.deep.equal(['First', 'Second', 'Third']);
    expect(panels.map((p) => p.hidden)).to.deep.equal([false, true, true]);
    expect(buttons.map((b) => b.getAttribute('aria-selected'))).to.deep.equal([
      'true',
      'false',
      'false',
    ]);
    buttons[2]!.click();
    await tabs.updateComplete;
    expect(panels.map((p) => p.hidden)).to.deep.equal([true, true, false]);
    expect(panels[2]!.getAttribute('role')).to.equal('tabpanel');
    expect(panels[2]!.getAttribute('aria-label')).to.equal('Third');
  });

  it('keeps the choice across a new instance (a reload) through sessionStorage', async () => {
    const first = await mount();
    tabButtons(first.tabs)[1]!.click();
    await first.tabs.updateComplete;
    first.tabs.remove();
    const { panels } = await mount();
    expect(panels.map((p) => p.hidden)).to.deep.equal([true, false, true]);
  });

  it('marks the tab of a panel that offers to resume a job, and unmarks it', async () => {
    const { tabs, panels } = await mount();
    const dots = () => tabButtons(tabs).map((b) => b.querySelector('.dot') !== null);
    panels[1]!.dispatchEvent(new CustomEvent('resumable-change', { detail: true, bubbles: true }));
    await tabs.updateComplete;
    expect(dots()).to.deep.equal([false, true, false]);
    panels[1]!.dispatchEvent(new CustomEvent('resumable-change', { detail: false, bubbles: true }));
    await tabs.updateComplete;
    expect(dots()).to.deep.equal([false, false, false]);
  });
});
