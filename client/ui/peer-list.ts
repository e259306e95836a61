/**
 * <pd-peer-list .peers=${views}>: the room's members with their device facts, connection
 * state (a member reached through the server, not a data channel, reads "relayed", and its
 * row carries data-relayed) and round-trip time, the host marked. Each row carries
 * data-peer-id and data-state for scripts. With `removable` (shown to the host) each other member present gets a Remove
 * button, which fires `remove-member` (detail: its peer id).
 */
import { LitElement, css, html } from 'lit';
import type { PeerView } from '../mesh/room-session.ts';
import { sharedStyles } from './styles.ts';

const STATE_LABEL: Record<PeerView['connection'], string> = {
  self: 'this device',
  connecting: 'connecting…',
  connected: 'connected',
  gone: 'gone',
};

function describeDevice(peer: PeerView): string {
  const parts = [`${peer.device.cores} cores`];
  if (peer.device.memoryGiB !== undefined) parts.push(`${peer.device.memoryGiB} GiB`);
  parts.push(peer.donatedCores > 0 ? `donates ${peer.donatedCores}` : 'not computing');
  return parts.join(' · ');
}

export class PeerList extends LitElement {
  static override properties = {
    peers: { attribute: false },
    selfIsHost: { type: Boolean },
    removable: { type: Boolean },
  };
  static override styles = [
    sharedStyles,
    css`
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        display: grid;
        grid-template-columns: auto 1fr auto auto;
        gap: 0.2rem 0.8rem;
        align-items: center;
        padding: 0.6rem 0;
        border-bottom: 1px solid var(--pd-border);
      }
      li:last-child {
        border-bottom: none;
      }
      .dot {
        width: 0.7rem;
        height: 0.7rem;
        border-radius: 50%;
        background: var(--pd-muted);
        grid-row: span 2;
      }
      [data-state='connected'] .dot,
      [data-state='self'] .dot {
        background: var(--pd-ok);
      }
      [data-state='connecting'] .dot {
        background: var(--pd-warn);
      }
      [data-state='gone'] {
        opacity: 0.55;
      }
      .name {
        font-weight: 600;
      }
      .rtt {
        font-variant-numeric: tabular-nums;
        text-align: right;
      }
      .remove {
        grid-row: span 2;
      }
      .host {
        font-size: 0.8em;
        font-weight: normal;
        margin-left: 0.4em;
      }
    `,
  ];

  declare peers: PeerView[];
  /** This device is the room's host (its own row has no host flag from the server). */
  declare selfIsHost: boolean;
  /** Show a Remove button for every other member present. */
  declare removable: boolean;

  constructor() {
    super();
    this.peers = [];
    this.selfIsHost = false;
    this.removable = false;
  }

  private isHost(peer: PeerView): boolean {
    // Rows of other members carry the server's Member fields, `host` among them.
    return peer.connection === 'self'
      ? this.selfIsHost
      : (peer as { host?: boolean }).host === true;
  }

  private askToRemove(peer: PeerView): void {
    this.dispatchEvent(
      new CustomEvent('remove-member', { detail: peer.peerId, bubbles: true, composed: true }),
    );
  }

  override render() {
    return html`<ul aria-label="Members">
      ${this.peers.map(
        (peer) =>
          html`<li
            data-peer-id=${peer.peerId}
            data-state=${peer.connection}
            ?data-relayed=${peer.relayed === true}
          >
            <span class="dot" aria-hidden="true"></span>
            <span class="name"
              >${peer.name}${
                this.isHost(peer) ? html`<span class="host muted" data-host>host</span>` : ''
              }</span
            >
            <span class="state">${peer.relayed ? 'relayed' : STATE_LABEL[peer.connection]}</span>
            ${
              this.removable && peer.connection !== 'self' && peer.connection !== 'gone'
                ? html`<button
                    class="remove"
                    aria-label=${`Remove ${peer.name}`}
                    @click=${() => this.askToRemove(peer)}
                  >
                    Remove
                  </button>`
                : html`<span class="remove"></span>`
            }
            <span class="muted">${describeDevice(peer)}</span>
            <span class="rtt muted"
              >${peer.rttMs === undefined ? '' : `${peer.rttMs.toFixed(1)} ms`}</span
            >
          </li>`,
      )}
    </ul>`;
  }
}

customElements.define('pd-peer-list', PeerList);

declare global {
  interface HTMLElementTagNameMap {
    'pd-peer-list': PeerList;
  }
}
