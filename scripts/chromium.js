// @ts-check
// How every test and benchmark starts Chromium: Debian's build (no tool downloads its own) with
// the flags this machine's tests need.

/** Debian's Chromium, or CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Without these, Chromium keeps trying to reach Google's services from a closed network.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // With this feature on, host candidates carry an mDNS name instead of the address, and
  // nothing in the test namespace answers mDNS (nor may Chromium send it on a real network).
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];
