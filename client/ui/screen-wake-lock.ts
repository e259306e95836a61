/**
 * The screen wake lock while this device contributes: held only while it is wanted (the
 * person allowed it and chunks run here) and the page is visible, re-acquired when the page
 * becomes visible again (the browser releases it whenever the page is hidden), released as soon
 * as it is no longer wanted. Also the persisted "Keep the screen on while contributing" setting.
 *
 * The API exists only in secure contexts (HTTPS or localhost) of browsers that have it:
 * https://w3c.github.io/screen-wake-lock/#the-wakelock-interface. A request may still be
 * refused (battery saver, a page without user activation in some browsers, headless Chromium).
 */
import { Emitter } from '../mesh/emitter.ts';

/** The part of `navigator.wakeLock` used here (a test passes a fake). */
export interface WakeLockApi {
  request(type: 'screen'): Promise<WakeLockSentinel>;
}

/** What the lock is doing, for the UI. */
export type WakeLockState = 'unsupported' | 'off' | 'held' | 'refused';

const SETTING_KEY = 'pd-keep-screen-on';

/** The person's setting; off unless they turned it on. */
export function keepScreenOnSetting(storage: Storage = localStorage): boolean {
  return storage.getItem(SETTING_KEY) === '1';
}

export function saveKeepScreenOn(on: boolean, storage: Storage = localStorage): void {
  if (on) storage.setItem(SETTING_KEY, '1');
  else storage.removeItem(SETTING_KEY);
}

/** The browser's wake lock API, or null where it has none (or not in this context). */
export function browserWakeLock(): WakeLockApi | null {
  return 'wakeLock' in navigator && navigator.wakeLock ? navigator.wakeLock : null;
}

export class ScreenWakeLock extends Emitter<{ change: WakeLockState }> {
  /** Why the last request failed, when `state` is `refused`. */
  error = '';
  private wanted = false;
  private sentinel: WakeLockSentinel | undefined;
  private requesting = false;
  private refused = false;
  private disposed = false;
  private readonly onVisibility = () => {
    // A request refused while hidden (or before) may succeed now that the page shows again.
    if (this.doc.visibilityState === 'visible') this.refused = false;
    this.sync();
  };

  constructor(
    /** null: the browser has none (an explicit null, since undefined means the default). */
    private readonly api: WakeLockApi | null = browserWakeLock(),
    private readonly doc: Document = document,
  ) {
    super();
    doc.addEventListener('visibilitychange', this.onVisibility);
  }

  get supported(): boolean {
    return this.api !== null;
  }

  get state(): WakeLockState {
    if (!this.api) return 'unsupported';
    if (this.sentinel) return 'held';
    return this.refused ? 'refused' : 'off';
  }

  /** Whether the lock should be held; it is, while wanted and the page is visible. */
  setWanted(wanted: boolean): void {
    if (wanted === this.wanted) return;
    this.wanted = wanted;
    if (!wanted) this.refused = false;
    this.sync();
  }

  /** Releases the lock for good (the room was left). */
  dispose(): void {
    this.disposed = true;
    this.wanted = false;
    this.doc.removeEventListener('visibilitychange', this.onVisibility);
    this.sync();
  }

  private sync(): void {
    if (!this.api) return;
    const want = this.wanted && !this.disposed && this.doc.visibilityState === 'visible';
    if (want && !this.sentinel && !this.requesting && !this.refused) void this.acquire(this.api);
    if (!want && this.sentinel) {
      const sentinel = this.sentinel;
      this.sentinel = undefined;
      void sentinel.release().catch(() => {});
      this.emit('change', this.state);
    }
  }

  private async acquire(api: WakeLockApi): Promise<void> {
    this.requesting = true;
    try {
      const sentinel = await api.request('screen');
      this.sentinel = sentinel;
      this.error = '';
      // The browser releases it by itself when the page is hidden; visibilitychange re-acquires.
      sentinel.addEventListener('release', () => {
        if (this.sentinel !== sentinel) return;
        this.sentinel = undefined;
        this.emit('change', this.state);
      });
    } catch (err) {
      this.refused = true;
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.requesting = false;
    }
    this.emit('change', this.state);
    // Wanted no more (or hidden) while the request was on its way: let it go now.
    this.sync();
  }
}
