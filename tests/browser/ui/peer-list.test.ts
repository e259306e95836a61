/// <reference types="mocha" />
// <pd-peer-list> in Chromium: a member reached through the server's relay reads "relayed" (and
// its row carries data-relayed), the host is marked, and the host's Remove button asks to
// remove that member.
import { expect } from '@esm-bundle/chai';
import type { PeerView } from '../../../client/mesh/room-session.ts';
import '../../../client/ui/peer-list.ts';
import type { PeerList } from '../../../client/ui/peer-list.ts';

const device = { cores: 4, userAgent: 'test' };
const member = (peerId: string, extra: Partial<PeerView> & { host?: boolean } = {}) =>
  ({
    peerId,
    name: `name ${peerId}`,
    device,
    donatedCores: 2,
    connection: 'connected',
    ...extra,
  }) as PeerView;

async function mount(peers: PeerView[], options: { host?: boolean } = {}): Promise<PeerList> {
  const list = document.createElement('pd-peer-list') as PeerList;
  list.peers = peers;
  list.selfIsHost = options.host === true;
  list.removable = options.host === true;
  document.body.append(list);
  await list.updateComplete;
  return list;
}

const row = (list: PeerList, peerId: string) =>
  list.shadowRoot!.querySelector<HTMLElement>(`li[data-peer-id="${peerId}"]`)!;

describe('<pd-peer-list>', () => {
  afterEach(() => document.querySelectorAll('pd-peer-list').forEach((el) => el.remove()));

  it('shows a relayed member as "relayed", a direct one as connected', async () => {
    const list = await mount([
      member('self-0001', { connection: 'self' }),
      member('relay-001', { relayed: true }),
      member('direct-01'),
    ]);
    expect(row(list, 'relay-001').hasAttribute('data-relayed')).to.equal(true);
    expect(row(list, 'relay-001').querySelector('.state')!.textContent).to.equal('relayed');
    expect(row(list, 'direct-01').hasAttribute('data-relayed')).to.equal(false);
    expect(row(list, 'direct-01').querySelector('.state')!.textContent).to.not.equal('relayed');
  });

  it('marks the host, and gives the host a Remove button per other member', async () => {
    const asMember = await mount([
      member('self-0001', { connection: 'self' }),
      member('host-0001', { host: true }),
    ]);
    expect(row(asMember, 'host-0001').querySelector('[data-host]')).to.not.equal(null);
    expect(asMember.shadowRoot!.querySelectorAll('button').length).to.equal(0);
    asMember.remove();

    const asHost = await mount(
      [
        member('self-0001', { connection: 'self' }),
        member('other-001'),
        member('gone-0001', { connection: 'gone' }),
      ],
      { host: true },
    );
    expect(row(asHost, 'self-0001').querySelector('[data-host]')).to.not.equal(null);
    const buttons = asHost.shadowRoot!.querySelectorAll('button');
    expect(buttons.length).to.equal(1); // not for itself, nor for a member already gone
    let asked: string | undefined;
    asHost.addEventListener('remove-member', (e) => (asked = (e as CustomEvent<string>).detail));
    buttons[0]!.click();
    expect(asked).to.equal('other-001');
  });
});
