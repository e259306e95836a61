/**
 * <pd-app>: the app's screens and the flow between them — landing, consent, room, refused —
 * driven by the URL fragment so that a room link opens the right screen and a reload of
 * the tab rejoins the room it was in.
 */
import { LitElement, css, html } from 'lit';
import type { CreateRoomResponse, ErrorMessage, ServerInfo } from '../../signaling/protocol.ts';
import {
  defaultDonatedCores,
  deviceInfo,
  saveName,
  savedName,
  claimTabPeerId,
} from '../identity.ts';
import { RoomJobs, RUNS_PER_WORKER } from '../jobs/room-jobs.ts';
import { RoomSession } from '../mesh/room-session.ts';
import { KernelCache } from '../runtime/kernel-cache.ts';
import { WorkerPool } from '../runtime/worker-pool.ts';
import { parseRoomLink, shareableRoomLink } from '../room-link.ts';
import './consent-dialog.ts';
import type { Consent } from './consent-dialog.ts';
import './contribution-bar.ts';
import './landing-view.ts';
import './room-view.ts';
import { keepScreenOnSetting, saveKeepScreenOn } from './screen-wake-lock.ts';
import { sharedStyles } from './styles.ts';
import './update-prompt.ts';

type Screen =
  | { kind: 'landing' }
  | { kind: 'consent'; roomId: string; token: string; isHost: boolean }
  | {
      kind: 'room';
      roomId: string;
      token: string;
      session: RoomSession;
      jobs: RoomJobs;
      donatedCores: number;
    }
  | { kind: 'refused'; roomId: string; error: ErrorMessage };

const REFUSAL_TEXT: Partial<Record<string, string>> = {
  'bad-token':
    'This room link is not valid. It may be mistyped or forged; ask the host for the link again.',
  'token-expired': 'This room link has expired. Ask the host for a new one.',
  'room-full': 'This room is full.',
  'bad-version': 'This app is older or newer than the server. Reload the page.',
  'id-taken': 'This room is open in another tab of this browser as the same member. Use that tab.',
};

/**
 * A testing aid: `?pd-slowdown=N` in the page URL makes this tab's workers N times slower
 * (they idle for N − 1 times each chunk's compute time), to show work stealing from a slow peer.
 */
function testSlowdown(): number {
  const factor = Number(new URLSearchParams(location.search).get('pd-slowdown') ?? 1);
  return Number.isFinite(factor) && factor >= 1 ? Math.min(factor, 100) : 1;
}

/**
 * Ends this tab's part in a room: its jobs, its workers, its links. The chunks it holds go
 * back to their controllers first, so they requeue them at once rather than when they notice
 * the links closed.
 */
function closeRoom(screen: Extract<Screen, { kind: 'room' }>): void {
  void screen.jobs.leave().finally(() => screen.session.close());
}

const consentKey = (roomId: string) => `pd-consent:${roomId}`;
/** Set while the person paused contributing in this tab (a reload stays paused). */
const pausedKey = (roomId: string) => `pd-paused:${roomId}`;
const hostKey = (roomId: string) => `pd-host:${roomId}`;

export class ProcessDistroApp extends LitElement {
  static override properties = {
    screen: { state: true },
    busy: { state: true },
    createError: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        max-width: 1100px;
        margin: 0 auto;
        padding: 1.2rem;
      }
      h1 {
        font-size: 1.4rem;
        margin: 0 0 1.2rem;
        display: flex;
        align-items: center;
        gap: 0.6rem;
      }
      h1 img {
        width: 2rem;
        height: 2rem;
        border-radius: 6px;
      }
    `,
  ];

  declare screen: Screen;
  declare busy: boolean;
  declare createError: string;
  private serverInfo: ServerInfo | undefined;
  private readonly onHashChange = () => this.route();

  constructor() {
    super();
    this.screen = { kind: 'landing' };
    this.busy = false;
    this.createError = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHashChange);
    void this.loadServerInfo();
    this.route();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHashChange);
  }

  override render() {
    return html`<h1><img src="/icons/icon-192.png" alt="" />ProcessDistro</h1>
      ${this.renderScreen()}
      <pd-update-prompt></pd-update-prompt>`;
  }

  private renderScreen() {
    const screen = this.screen;
    switch (screen.kind) {
      case 'landing':
        return html`<pd-landing-view
          .busy=${this.busy}
          .error=${this.createError}
          @create-room=${this.createRoom}
          @join-link=${(e: CustomEvent<string>) => this.openLink(e.detail)}
        ></pd-landing-view>`;
      case 'consent':
        return html`<pd-consent-dialog
          .roomId=${screen.roomId}
          .name=${savedName()}
          .cores=${navigator.hardwareConcurrency || 1}
          .donatedCores=${defaultDonatedCores(screen.isHost)}
          .keepScreenOn=${keepScreenOnSetting()}
          @consent=${(e: CustomEvent<Consent>) => this.consent(e.detail)}
          @decline=${this.goHome}
        ></pd-consent-dialog>`;
      case 'room':
        return html`<pd-room-view
            .session=${screen.session}
            .jobs=${screen.jobs}
            .donatedCores=${screen.donatedCores}
            .roomId=${screen.roomId}
            .link=${shareableRoomLink(screen.roomId, screen.token, this.serverInfo)}
            @leave=${this.leave}
          ></pd-room-view>
          <pd-contribution-bar .jobs=${screen.jobs} @leave=${this.leave}></pd-contribution-bar>`;
      case 'refused':
        return html`<section class="card" role="alert" data-error-code=${screen.error.code}>
          <h2>Could not join room <code>${screen.roomId}</code></h2>
          <p class="error">${REFUSAL_TEXT[screen.error.code] ?? screen.error.message}</p>
          <p class="muted">Server said: ${screen.error.code} — ${screen.error.message}</p>
          <button @click=${this.goHome}>Back</button>
        </section>`;
    }
  }

  /** Shows the screen the fragment asks for. */
  private route(): void {
    const link = parseRoomLink(location.hash);
    const current = this.screen;
    if (!link) {
      if (current.kind === 'room') closeRoom(current);
      this.screen = { kind: 'landing' };
      return;
    }
    if ((current.kind === 'room' || current.kind === 'refused') && current.roomId === link.roomId)
      return;
    if (current.kind === 'room') closeRoom(current);
    const saved = sessionStorage.getItem(consentKey(link.roomId));
    if (saved) {
      void this.join(link.roomId, link.token, JSON.parse(saved) as Consent);
    } else {
      const isHost = sessionStorage.getItem(hostKey(link.roomId)) === '1';
      this.screen = { kind: 'consent', ...link, isHost };
    }
  }

  private async loadServerInfo(): Promise<void> {
    try {
      const response = await fetch('/api/info');
      if (response.ok) this.serverInfo = (await response.json()) as ServerInfo;
      this.requestUpdate();
    } catch {
      // Offline (opened from the service worker's cache): links use this page's origin.
    }
  }

  private async createRoom(): Promise<void> {
    this.busy = true;
    this.createError = '';
    try {
      const response = await fetch('/api/rooms', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
      const room = (await response.json()) as CreateRoomResponse;
      sessionStorage.setItem(hostKey(room.roomId), '1');
      location.hash = new URL(room.link).hash;
    } catch (err) {
      this.createError = `Could not create a room: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      this.busy = false;
    }
  }

  private openLink(link: string): void {
    const url = new URL(link, location.href);
    if (url.origin !== location.origin) location.href = url.href;
    else location.hash = url.hash;
  }

  private consent(consent: Consent): void {
    const screen = this.screen;
    if (screen.kind !== 'consent') return;
    saveName(consent.name);
    saveKeepScreenOn(consent.keepScreenOn);
    sessionStorage.setItem(consentKey(screen.roomId), JSON.stringify(consent));
    void this.join(screen.roomId, screen.token, consent);
  }

  private async join(roomId: string, token: string, consent: Consent): Promise<void> {
    const peerId = await claimTabPeerId();
    // The person may have navigated elsewhere (or joined already) while the id was claimed.
    const current = this.screen;
    if (parseRoomLink(location.hash)?.roomId !== roomId) return;
    if (current.kind === 'room' && current.roomId === roomId) return;
    const session = new RoomSession({
      serverUrl: location.origin,
      roomId,
      token,
      self: {
        peerId,
        name: consent.name,
        device: deviceInfo(),
        donatedCores: consent.donatedCores,
      },
    });
    const pool = new WorkerPool({
      size: Math.max(1, consent.donatedCores),
      runsPerWorker: RUNS_PER_WORKER,
      slowdownFactor: testSlowdown(),
    });
    const jobs = new RoomJobs({
      transport: session,
      runner: pool,
      kernels: new KernelCache(),
      workers: consent.donatedCores,
      coresOf: (id) => session.view().find((p) => p.peerId === id)?.donatedCores ?? 0,
      paused: sessionStorage.getItem(pausedKey(roomId)) === '1',
    });
    jobs.on('paused', (paused) => {
      if (paused) sessionStorage.setItem(pausedKey(roomId), '1');
      else sessionStorage.removeItem(pausedKey(roomId));
    });
    session.on('signaling', (state) => state === 'closed' && pool.close());
    session.on('error', (error) => {
      if (!error.fatal) return console.warn('signaling server refused a message', error);
      jobs.close();
      session.close();
      sessionStorage.removeItem(consentKey(roomId));
      this.screen = { kind: 'refused', roomId, error };
    });
    this.screen = {
      kind: 'room',
      roomId,
      token,
      session,
      jobs,
      donatedCores: consent.donatedCores,
    };
    session.start();
  }

  private leave(): void {
    const screen = this.screen;
    if (screen.kind === 'room') {
      closeRoom(screen);
      sessionStorage.removeItem(consentKey(screen.roomId));
      sessionStorage.removeItem(pausedKey(screen.roomId));
    }
    this.goHome();
  }

  private goHome(): void {
    history.pushState(null, '', location.pathname);
    this.route();
  }
}

customElements.define('pd-app', ProcessDistroApp);

declare global {
  interface HTMLElementTagNameMap {
    'pd-app': ProcessDistroApp;
  }
}
