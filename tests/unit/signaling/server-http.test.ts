/**
 * The real server's HTTP side on 127.0.0.1: health, info, room creation, static files and
 * their caching, HTTPS with the self-signed certificate, and the STUN service.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import stun from 'stun';
import { SELF_SIGNED_CERT_FILE } from '../../../signaling/certificates.ts';
import type { CreateRoomResponse, ServerInfo } from '../../../signaling/protocol.ts';
import { createRoom, startTestServer, tempDir, type TestServer } from './support/test-server.ts';

/** A request with a chosen Host header (fetch does not let one set it). */
function requestWithHost(
  url: string,
  host: string,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP API', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('answers /healthz with 200 ok', async () => {
    const res = await fetch(`${server.httpUrl}healthz`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok\n');
  });

  it('describes itself at /api/info', async () => {
    const info = (await (await fetch(`${server.httpUrl}api/info`)).json()) as ServerInfo;
    assert.deepEqual(info, server.info);
    assert.deepEqual(info.urls, [server.httpUrl]);
    assert.equal(info.preferredUrl, server.httpUrl);
    assert.equal(info.trustedCertificate, false);
  });

  it('creates rooms with a 24 h token by default and links on the preferred URL', async () => {
    const before = Date.now();
    const room = (await createRoom(server.httpUrl)) as CreateRoomResponse;
    assert.match(room.roomId, /^[A-Za-z0-9_-]{10}$/);
    const day = 24 * 3600_000;
    assert.ok(room.expiresAt > before + day - 2000 && room.expiresAt <= Date.now() + day);
    const fragment = `#room=${room.roomId}&t=${encodeURIComponent(room.token)}`;
    assert.equal(room.link, `${server.info.preferredUrl}${fragment}`);
    assert.deepEqual(room.links, [`${server.httpUrl}${fragment}`]);
    const another = await createRoom(server.httpUrl);
    assert.notEqual(another.roomId, room.roomId);
  });

  it('builds the link on the host a LAN client used, but not on a loopback one', async () => {
    const lan = await requestWithHost(`${server.httpUrl}api/rooms`, '192.168.7.7:30000', 'POST');
    assert.equal(lan.status, 201);
    const link = (JSON.parse(lan.body) as CreateRoomResponse).link;
    assert.match(link, /^http:\/\/192\.168\.7\.7:30000\/#room=/);
    const local = await requestWithHost(`${server.httpUrl}api/rooms`, 'localhost:1234', 'POST');
    assert.ok((JSON.parse(local.body) as CreateRoomResponse).link.startsWith(server.httpUrl));
    const junk = await requestWithHost(`${server.httpUrl}api/rooms`, 'evil"host', 'POST');
    const junkLink = (JSON.parse(junk.body) as CreateRoomResponse).link;
    assert.ok(junkLink.startsWith(server.info.preferredUrl), 'a malformed Host is not echoed');
  });

  it('honours ttlSeconds up to 7 days and refuses more or a bad body', async () => {
    const short = await createRoom(server.httpUrl, { ttlSeconds: 60 });
    assert.ok(Math.abs(short.expiresAt - (Date.now() + 60_000)) < 2000);
    for (const body of ['{"ttlSeconds": 604801}', '{"ttlSeconds": "soon"}', '{nope']) {
      const res = await fetch(`${server.httpUrl}api/rooms`, { method: 'POST', body });
      assert.equal(res.status, 400, body);
    }
    const tooBig = await fetch(`${server.httpUrl}api/rooms`, {
      method: 'POST',
      body: 'x'.repeat(10_000),
    });
    assert.equal(tooBig.status, 413);
  });

  it('answers unknown API paths with 404 and wrong methods with 405', async () => {
    assert.equal((await fetch(`${server.httpUrl}api/nothing`)).status, 404);
    assert.equal((await fetch(`${server.httpUrl}api/rooms`)).status, 405);
    assert.equal((await fetch(`${server.httpUrl}healthz`, { method: 'POST' })).status, 405);
    assert.equal((await fetch(`${server.httpUrl}ws`)).status, 426);
  });

  it('serves Prometheus text at /metrics', async () => {
    const res = await fetch(`${server.httpUrl}metrics`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of ['pd_rooms', 'pd_members', 'pd_joins_total']) {
      assert.match(text, new RegExp(`^${name} \\d+$`, 'm'));
    }
    assert.match(text, /^pd_errors_total\{code="bad-json"\} 0$/m);
  });

  it('explains a missing build with a 503 page', async () => {
    const res = await fetch(server.httpUrl);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /npm run build/);
  });
});

describe('static files', () => {
  let server: TestServer;
  let distDir: string;
  before(async () => {
    distDir = await tempDir('pd-dist-');
    await mkdir(join(distDir, 'assets'));
    await Promise.all([
      writeFile(join(distDir, 'index.html'), '<!doctype html><title>ProcessDistro</title>'),
      writeFile(join(distDir, 'sw.js'), 'self.addEventListener("fetch", () => {});'),
      writeFile(join(distDir, 'registerSW.js'), '// registers sw.js'),
      writeFile(join(distDir, 'manifest.webmanifest'), '{"name":"ProcessDistro"}'),
      writeFile(join(distDir, 'assets', 'x-abc123.js'), 'export const x = 1;'),
    ]);
    server = await startTestServer({ distDir });
  });
  after(async () => {
    await server.close();
    await rm(distDir, { recursive: true, force: true });
  });

  it('revalidates the files whose names never change', async () => {
    for (const path of ['', 'index.html', 'sw.js', 'registerSW.js', 'manifest.webmanifest']) {
      const res = await fetch(`${server.httpUrl}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('cache-control'), 'no-cache', path);
      assert.ok(res.headers.get('etag'), `${path} has an ETag to revalidate with`);
      await res.arrayBuffer();
    }
    const manifest = await fetch(`${server.httpUrl}manifest.webmanifest`);
    assert.equal(manifest.headers.get('content-type'), 'application/manifest+json');
    assert.equal(await manifest.text(), '{"name":"ProcessDistro"}');
  });

  it('caches hashed assets for a year, immutable', async () => {
    const res = await fetch(`${server.httpUrl}assets/x-abc123.js`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(res.headers.get('content-type') ?? '', /javascript/);
    assert.equal(await res.text(), 'export const x = 1;');
  });

  it('answers 404 for missing files and stays inside the dist folder', async () => {
    assert.equal((await fetch(`${server.httpUrl}assets/missing.js`)).status, 404);
    const escape = await requestWithHost(`${server.httpUrl}..%2f..%2fetc/passwd`, 'localhost');
    assert.equal(escape.status, 404);
  });
});

describe('HTTPS and STUN', () => {
  it('serves HTTPS with a self-signed certificate that names 127.0.0.1', async (t) => {
    const server = await startTestServer({ httpsPort: 0 });
    t.after(() => server.close());
    assert.ok(server.httpsUrl);
    assert.ok(server.info.urls.includes(server.httpsUrl));
    const ca = await readFile(join(server.dataDir, SELF_SIGNED_CERT_FILE), 'utf8');
    // Trusting the certificate as a CA checks that it is valid for the host name used.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(`${server.httpsUrl}healthz`, { ca }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
  });

  it('answers a STUN binding request with the XOR-mapped address of the sender', async (t) => {
    const server = await startTestServer({ stunPort: 0 });
    t.after(() => server.close());
    assert.ok(server.stunPort);
    const socket = createSocket('udp4');
    t.after(() => socket.close());
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const response = await stun.request(`127.0.0.1:${server.stunPort}`, {
      socket,
      timeout: 200,
      retries: 3,
    });
    assert.deepEqual(response.getXorAddress(), {
      family: 'IPv4',
      address: '127.0.0.1',
      port: socket.address().port,
    });
  });

  it('ignores UDP noise on the STUN port', async (t) => {
    const server = await startTestServer({ stunPort: 0 });
    t.after(() => server.close());
    const socket = createSocket('udp4');
    t.after(() => socket.close());
    await new Promise<void>((resolve) =>
      socket.send(Buffer.from('not stun at all'), server.stunPort!, '127.0.0.1', () => resolve()),
    );
    const res = await fetch(`${server.httpUrl}healthz`);
    assert.equal(res.status, 200);
  });
});
