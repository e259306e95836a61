import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import {
  isLoopbackHostname,
  lanIPv4Addresses,
  listenUrls,
  parseHostHeader,
  preferredUrl,
} from '../../../signaling/network.ts';

function nic(address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo {
  const base = { address, netmask: '', mac: '', internal, cidr: null };
  return family === 'IPv4' ? { ...base, family } : { ...base, family, scopeid: 0 };
}

describe('network', () => {
  it('lists non-internal IPv4 addresses once each', () => {
    const addresses = lanIPv4Addresses({
      lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)],
      eth0: [nic('192.168.1.5', 'IPv4'), nic('fe80::1', 'IPv6')],
      wlan0: [nic('10.0.0.7', 'IPv4'), nic('192.168.1.5', 'IPv4')],
    });
    assert.deepEqual(addresses, ['192.168.1.5', '10.0.0.7']);
  });

  it('reads Host headers and refuses anything odd', () => {
    assert.deepEqual(parseHostHeader('192.168.1.5:30000'), {
      hostname: '192.168.1.5',
      port: 30000,
    });
    assert.deepEqual(parseHostHeader('my-laptop.local'), { hostname: 'my-laptop.local' });
    assert.deepEqual(parseHostHeader('[fd00::2]:443'), { hostname: '[fd00::2]', port: 443 });
    for (const bad of [undefined, '', 'a b', 'host:99999', 'x"y', 'host:1:2', 'user@host']) {
      assert.equal(parseHostHeader(bad), undefined, String(bad));
    }
  });

  it('knows loopback names', () => {
    for (const name of ['localhost', 'app.localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1']) {
      assert.equal(isLoopbackHostname(name), true, name);
    }
    for (const name of ['192.168.1.5', 'example.com', '[fd00::2]', 'localhost.example.com']) {
      assert.equal(isLoopbackHostname(name), false, name);
    }
  });

  it('lists URLs for every interface and prefers the LAN', () => {
    const addresses = {
      host: '0.0.0.0',
      httpPort: 30000,
      httpsPort: 30001,
      lanAddresses: ['192.168.1.5'],
    };
    assert.deepEqual(listenUrls(addresses), [
      'http://localhost:30000/',
      'http://192.168.1.5:30000/',
      'https://localhost:30001/',
      'https://192.168.1.5:30001/',
    ]);
    assert.equal(preferredUrl(addresses, false), 'http://192.168.1.5:30000/');
    assert.equal(preferredUrl(addresses, true), 'https://192.168.1.5:30001/');
    assert.equal(
      preferredUrl({ ...addresses, lanAddresses: [] }, false),
      'http://localhost:30000/',
    );
    const bound = { host: '::1', httpPort: 1, lanAddresses: [] };
    assert.deepEqual(listenUrls(bound), ['http://[::1]:1/']);
    assert.equal(preferredUrl(bound, true), 'http://[::1]:1/', 'no HTTPS, so HTTP');
  });
});
