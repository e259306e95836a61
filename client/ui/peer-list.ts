/**
 * <pd-peer-list .peers=${views}>: the room's members with their device facts, connection
 * state and round-trip time. Each row carries data-peer-id and data-state for scripts.
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
  static override properties = { peers: { attribute: false } };
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
        grid-template-columns: auto 1fr auto;
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
    `,
  ];

  declare peers: PeerView[];

  constructor() {
    super();
    this.peers = [];
  }

  override render() {
    return html`<ul aria-label="Members">
      ${this.peers.map(
        (peer) =>
          html`<li data-peer-id=${peer.peerId} data-state=${peer.connection}>
            <span class="dot" aria-hidden="true"></span>
            <span class="name">${peer.name}</span>
            <span class="state">${STATE_LABEL[peer.connection]}</span>
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
