import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  SELF_SIGNED_CERT_FILE,
  SELF_SIGNED_KEY_FILE,
  certificateCovers,
  certificateNames,
  loadCredentials,
} from '../../../signaling/certificates.ts';
import { tempDir } from './support/test-server.ts';

describe('certificates', () => {
  it('creates a self-signed certificate once, naming localhost and the LAN addresses', async (t) => {
    const dataDir = await tempDir();
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    let created = 0;
    const options = { dataDir, lanAddresses: ['192.168.1.5'], onCreated: () => created++ };
    const first = await loadCredentials(options);
    assert.equal(first.trusted, false);
    const sans = new X509Certificate(first.cert).subjectAltName ?? '';
    for (const name of ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:192.168.1.5']) {
      assert.ok(sans.includes(name), `${name} in ${sans}`);
    }
    assert.equal((await stat(join(dataDir, SELF_SIGNED_KEY_FILE))).mode & 0o777, 0o600);
    const second = await loadCredentials(options);
    assert.equal(second.cert, first.cert, 'kept, not made again');
    assert.equal(created, 1);
    const moved = await loadCredentials({ ...options, lanAddresses: ['10.1.1.1'] });
    assert.notEqual(moved.cert, first.cert, 'made again for a new LAN address');
    assert.equal(await readFile(join(dataDir, SELF_SIGNED_CERT_FILE), 'utf8'), moved.cert);
  });

  it('renews a certificate that is about to expire', async (t) => {
    const dataDir = await tempDir();
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const { cert } = await loadCredentials({ dataDir, lanAddresses: [] });
    const names = certificateNames([]);
    assert.equal(certificateCovers(cert, names, Date.now()), true);
    assert.equal(certificateCovers(cert, names, Date.now() + 360 * 24 * 3600_000), false);
    assert.equal(certificateCovers('not a certificate', names, Date.now()), false);
  });

  it('uses --cert/--key as given and calls them trusted', async (t) => {
    const dataDir = await tempDir();
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    await loadCredentials({ dataDir, lanAddresses: [] });
    const certFile = join(dataDir, SELF_SIGNED_CERT_FILE);
    const keyFile = join(dataDir, SELF_SIGNED_KEY_FILE);
    const given = await loadCredentials({ dataDir, certFile, keyFile, lanAddresses: [] });
    assert.equal(given.trusted, true);
    assert.equal(given.key, await readFile(keyFile, 'utf8'));
    await assert.rejects(loadCredentials({ dataDir, certFile, lanAddresses: [] }), /together/);
  });
});
