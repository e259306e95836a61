import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isAllowedOrigin, normalizeOrigin } from '../../../signaling/origin.ts';

describe('the Origin check', () => {
  it('lets clients without an Origin through (Node peers, curl)', () => {
    assert.equal(isAllowedOrigin(undefined, '192.168.1.20:30000', []), true);
  });

  it('accepts the origin of the host the client reached, over http or https', () => {
    assert.equal(isAllowedOrigin('http://192.168.1.20:30000', '192.168.1.20:30000', []), true);
    assert.equal(isAllowedOrigin('https://192.168.1.20:30001', '192.168.1.20:30001', []), true);
    assert.equal(isAllowedOrigin('http://MyHost.local:30000', 'myhost.local:30000', []), true);
    assert.equal(isAllowedOrigin('http://example.org', 'example.org', []), true);
    assert.equal(isAllowedOrigin('https://example.org', 'example.org:443', []), true);
    assert.equal(isAllowedOrigin('http://[::1]:30000', '[::1]:30000', []), true);
  });

  it('refuses other origins, opaque ones and a missing Host', () => {
    assert.equal(isAllowedOrigin('http://evil.example', '192.168.1.20:30000', []), false);
    assert.equal(isAllowedOrigin('http://192.168.1.20:30002', '192.168.1.20:30000', []), false);
    assert.equal(isAllowedOrigin('http://192.168.1.20', '192.168.1.20:30000', []), false);
    assert.equal(isAllowedOrigin('null', '192.168.1.20:30000', []), false);
    assert.equal(isAllowedOrigin('file://', 'localhost', []), false);
    assert.equal(isAllowedOrigin('http://localhost:30000', undefined, []), false);
  });

  it('accepts origins on the allow-list, and any with *', () => {
    const allowed = ['http://localhost:5173/'];
    assert.equal(isAllowedOrigin('http://localhost:5173', '127.0.0.1:30000', allowed), true);
    assert.equal(isAllowedOrigin('http://localhost:5174', '127.0.0.1:30000', allowed), false);
    assert.equal(isAllowedOrigin('http://evil.example', '127.0.0.1:30000', ['*']), true);
  });

  it('normalises origins and rejects what is not an http(s) origin', () => {
    assert.equal(normalizeOrigin('HTTPS://Example.org:443'), 'https://example.org');
    assert.equal(normalizeOrigin('ftp://example.org'), undefined);
    assert.equal(normalizeOrigin('example.org'), undefined);
  });
});
