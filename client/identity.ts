/**
 * Who this tab is in a room: a peer id that survives a reload of the tab (sessionStorage,
 * so the server lets the reloaded tab take its place) but not a second tab, a name the person
 * may change (localStorage), and the device facts reported to the room.
 */
import type { DeviceInfo } from '../signaling/protocol.ts';

const PEER_ID_KEY = 'pd-peer-id';
const NAME_KEY = 'pd-name';

function randomId(length: number): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * This tab's peer id: 16 characters, kept across reloads of the same tab. A duplicated tab
 * inherits sessionStorage and so the id; it finds out by asking the other tabs of this origin
 * (a reloaded tab has no older self left to answer) and takes a new id.
 */
export function claimTabPeerId(waitMs = 150): Promise<string> {
  claim ??= (async () => {
    let id = sessionStorage.getItem(PEER_ID_KEY) ?? '';
    if (typeof BroadcastChannel === 'function') {
      const channel = new BroadcastChannel('pd-peer-ids');
      let taken = false;
      channel.onmessage = (event: MessageEvent<{ kind: string; id: string }>) => {
        const { kind, id: asked } = event.data ?? {};
        if (kind === 'who-has' && asked === id) channel.postMessage({ kind: 'taken', id });
        if (kind === 'taken' && asked === id) taken = true;
      };
      if (id) {
        channel.postMessage({ kind: 'who-has', id });
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
      if (taken) id = '';
      // The channel stays open for the life of the tab, to answer later duplicates.
    }
    if (!id) {
      id = randomId(16);
      sessionStorage.setItem(PEER_ID_KEY, id);
    }
    return id;
  })();
  return claim;
}

let claim: Promise<string> | undefined;

/** Facts about this device that help the room schedule work; nothing identifying. */
export function deviceInfo(): DeviceInfo {
  const memory = (navigator as Navigator & { deviceMemory?: number }).deviceMemory;
  return {
    cores: navigator.hardwareConcurrency || 1,
    ...(typeof memory === 'number' ? { memoryGiB: memory } : {}),
    userAgent: navigator.userAgent.slice(0, 512),
  };
}

/** A readable default name such as "Android phone" or "Linux computer". */
export function defaultName(): string {
  const ua = navigator.userAgent;
  const kind = /iPhone|Android.+Mobile/.test(ua)
    ? 'phone'
    : /iPad|Android|Tablet/.test(ua)
      ? 'tablet'
      : 'computer';
  const platform = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad|Mac OS/.test(ua)
      ? 'Apple'
      : /Windows/.test(ua)
        ? 'Windows'
        : /CrOS/.test(ua)
          ? 'ChromeOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : 'Unknown';
  return `${platform} ${kind}`;
}

/** The name this device goes by (what the person typed last, else a default). */
export function savedName(): string {
  return localStorage.getItem(NAME_KEY) || defaultName();
}

export function saveName(name: string): void {
  localStorage.setItem(NAME_KEY, name.trim().slice(0, 64));
}

/** Cores to donate by default: all but one on the host (it also drives the UI), all elsewhere. */
export function defaultDonatedCores(isHost: boolean): number {
  const cores = navigator.hardwareConcurrency || 1;
  return isHost ? Math.max(1, cores - 1) : cores;
}
