/**
 * The composition root of the signaling server and the only file that touches HTTP and
 * WebSocket objects: it wires the hub, the HTTP API, static files, metrics and STUN to
 * real sockets, and takes them all down again in `close()`.
 */
import * as nodeHttp from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Registry } from 'prom-client';
import { loadCredentials } from './certificates.ts';
import { packageVersion, resolveServerOptions, type ServerOptions } from './config.ts';
import { CloseCode, type Connection } from './connection.ts';
import {
  clientBaseUrl,
  createRoomReply,
  jsonReply,
  textReply,
  type HttpReply,
} from './http-api.ts';
import { hostTokensFromCookies } from './host-cookie.ts';
import { SignalingHub } from './hub.ts';
import { countError, createMetrics } from './metrics.ts';
import * as network from './network.ts';
import { isAllowedOrigin } from './origin.ts';
import { MAX_SIGNAL_MESSAGE_BYTES, SIGNALING_PATH, type ServerInfo } from './protocol.ts';
import { RoomRecordsFile, loadRoomRecords } from './room-records-file.ts';
import { loadOrCreateSecret } from './server-secret.ts';
import { createStaticHandler } from './static-files.ts';
import { startStunService, type StunService } from './stun-service.ts';

/** A started server. */
export interface RunningServer {
  /** HTTP URL on loopback, for this machine's own use (tests, the CLI). */
  readonly httpUrl: string;
  /** HTTPS URL on loopback; undefined when HTTPS is off. */
  readonly httpsUrl?: string;
  /** UDP port of the STUN service; null when it is off. */
  readonly stunPort: number | null;
  /** What `GET /api/info` answers. */
  readonly info: ServerInfo;
  /** The server's own Prometheus registry. */
  readonly registry: Registry;
  /** `/metrics` as text. */
  metrics(): Promise<string>;
  /** Rooms and members right now. */
  stats(): { rooms: number; members: number };
  /** Closes every socket (WebSockets with 1001) and stops listening. Idempotent. */
  close(): Promise<void>;
}

// Frames up to this size reach the hub, which answers `too-large` for anything over the
// protocol limit; ws closes with 1009 only past this, so most clients get a readable error.
const WS_MAX_PAYLOAD = MAX_SIGNAL_MESSAGE_BYTES + 16 * 1024;
// A client that does not read its messages is dropped before it can pile up server memory.
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const MAX_API_BODY_BYTES = 4 * 1024;
// How long close() waits for clients to answer the close handshake before cutting them off.
const CLOSE_GRACE_MS = 1000;

interface Client {
  conn: Connection;
  alive: boolean;
  timedOut: boolean;
  joinTimer: NodeJS.Timeout;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

// Stops accepting at once; the promise settles when the last connection has ended.
function stopListening(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(size <= limit ? Buffer.concat(chunks).toString('utf8') : undefined),
    );
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: HttpReply, head = false): void {
  res.writeHead(reply.status, reply.headers);
  res.end(head ? undefined : reply.body);
}

// Only the path matters for routing (sirv parses the URL again for files).
function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split(/[?#]/, 1)[0]!;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** Starts HTTP, HTTPS, STUN and the signaling hub; resolves once everything listens. */
export async function startServer(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const opts = resolveServerOptions(options);
  const log = opts.quiet ? () => {} : (line: string) => console.log(line);
  const secret = await loadOrCreateSecret(opts.dataDir);
  const records = await loadRoomRecords(opts.dataDir);
  const recordsFile = new RoomRecordsFile(opts.dataDir, records, (err) =>
    log(`could not save the room records: ${err.message}`),
  );
  const lanAddresses = network.isWildcardHost(opts.host) ? network.lanIPv4Addresses() : [];
  const credentials =
    opts.httpsPort === null
      ? undefined
      : await loadCredentials({
          dataDir: opts.dataDir,
          certFile: opts.certFile,
          keyFile: opts.keyFile,
          lanAddresses,
          onCreated: (path) => log(`Created a self-signed certificate: ${path}`),
        });

  const servers: Server[] = [];
  const clients = new Map<WebSocket, Client>();
  let stun: StunService | undefined;
  let info: ServerInfo | undefined;
  const metrics = createMetrics({ rooms: () => hub.roomCount(), members: () => hub.memberCount() });
  const hub = new SignalingHub({
    secret,
    maxMembersPerRoom: opts.maxMembersPerRoom,
    maxConnectionsPerAddress: opts.maxConnectionsPerAddress,
    connectionMessageRate: opts.connectionMessageRate,
    messageRate: opts.messageRate,
    joinRate: opts.joinRate,
    ...(opts.relayRate ? { relayRate: opts.relayRate } : {}),
    records,
    onRecordsChanged: () => recordsFile.save(),
    metrics,
    iceServersFor: (conn) =>
      stun
        ? [{ urls: `stun:${conn.hostname ?? lanAddresses[0] ?? '127.0.0.1'}:${stun.port}` }]
        : [],
  });
  const serveStatic = createStaticHandler(opts.distDir);

  async function route(req: IncomingMessage, res: ServerResponse, secure: boolean): Promise<void> {
    if (!info) return send(res, textReply(503, 'starting\n'));
    const path = pathOf(req);
    const method = req.method ?? 'GET';
    const isRead = method === 'GET' || method === 'HEAD';
    const head = method === 'HEAD';
    if (path === '/healthz' && isRead) return send(res, textReply(200, 'ok\n'), head);
    if (path === '/metrics' && isRead) {
      const reply = textReply(200, await metrics.render());
      reply.headers['Content-Type'] = metrics.registry.contentType;
      return send(res, reply, head);
    }
    if (path === '/api/info' && isRead) return send(res, jsonReply(200, info), head);
    if (path === '/api/rooms' && method === 'POST') {
      const body = await readBody(req, MAX_API_BODY_BYTES);
      if (body === undefined) return send(res, jsonReply(413, { error: 'body-too-large' }));
      const base = clientBaseUrl(req.headers.host, secure);
      return send(res, createRoomReply({ secret, info, now: Date.now }, body, base));
    }
    if (path.startsWith('/api/') || path === '/healthz' || path === '/metrics') {
      const known = ['/api/info', '/api/rooms', '/healthz', '/metrics'].includes(path);
      return send(res, jsonReply(known ? 405 : 404, { error: known ? 'method' : 'not-found' }));
    }
    if (path === SIGNALING_PATH) return send(res, textReply(426, 'WebSocket upgrade required\n'));
    if (!isRead) return send(res, textReply(405, 'method not allowed\n'));
    serveStatic(req, res);
  }

  function handleRequest(req: IncomingMessage, res: ServerResponse, secure: boolean): void {
    route(req, res, secure).catch((err: unknown) => {
      log(`request ${req.method} ${req.url} failed: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) send(res, textReply(500, 'internal error\n'));
      else res.destroy();
    });
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });

  function acceptSocket(ws: WebSocket, req: IncomingMessage): void {
    const conn: Connection = {
      address: req.socket.remoteAddress ?? 'unknown',
      hostname: network.parseHostHeader(req.headers.host)?.hostname,
      hostTokens: hostTokensFromCookies(req.headers.cookie),
      send(message) {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return ws.terminate();
        ws.send(JSON.stringify(message));
      },
      sendBinary(frame) {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return ws.terminate();
        ws.send(frame);
      },
      close(code, reason) {
        if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
      },
    };
    if (!hub.connect(conn)) {
      // Refused (too many sockets from this address): the hub sent why and closed it.
      ws.on('error', () => {});
      return;
    }
    const client: Client = {
      conn,
      alive: true,
      timedOut: false,
      joinTimer: setTimeout(() => {
        if (ws.readyState === WebSocket.OPEN) hub.expireUnjoined(conn);
      }, opts.joinTimeoutMs),
    };
    clients.set(ws, client);
    ws.on('pong', () => (client.alive = true));
    ws.on('message', (data, isBinary) => {
      try {
        hub.receive(conn, toBuffer(data), isBinary);
      } catch (err) {
        // The hub is written not to throw; if it ever does, lose this socket, not the server.
        log(`dropping a socket after an internal error: ${(err as Error).stack ?? String(err)}`);
        ws.terminate();
      }
    });
    // ws reports frames past maxPayload here, then closes with 1009 by itself.
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') countError(metrics, 'too-large');
    });
    ws.on('close', () => {
      clearTimeout(client.joinTimer);
      clients.delete(ws);
      hub.disconnect(conn, client.timedOut ? 'timeout' : 'socket-closed');
    });
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (pathOf(req) !== SIGNALING_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (!isAllowedOrigin(req.headers.origin, req.headers.host, opts.allowedOrigins)) {
      countError(metrics, 'bad-origin');
      const body = 'this origin may not use the signaling WebSocket\n';
      socket.end(
        'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => acceptSocket(ws, req));
  }

  // A socket that has not answered the previous ping by the next one is dead (a sleeping
  // phone, a pulled cable): cut it so that its room hears about it.
  function sweep(): void {
    for (const [ws, client] of clients) {
      if (!client.alive) {
        client.timedOut = true;
        ws.terminate();
        continue;
      }
      client.alive = false;
      ws.ping();
    }
    hub.prune();
  }

  // Shutdown order matters: stop accepting, say goodbye on every WebSocket while the TCP
  // connections still stand, and only then cut what is left.
  async function shutdown(pinger?: NodeJS.Timeout): Promise<void> {
    clearInterval(pinger);
    const stopped = Promise.all(servers.map(stopListening));
    for (const ws of clients.keys()) ws.close(CloseCode.goingAway, 'server shutting down');
    const deadline = Date.now() + CLOSE_GRACE_MS;
    while (clients.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const ws of clients.keys()) ws.terminate();
    for (const server of servers) server.closeAllConnections();
    await stopped;
    wss.close();
    await stun?.close();
    await recordsFile.flush();
  }

  try {
    if (opts.stunPort !== null) {
      stun = await startStunService({
        port: opts.stunPort,
        host: opts.host,
        onError: (err) => {
          if (err.name !== 'StunMessageError') log(`STUN: ${err.message}`);
        },
      });
    }
    const http = nodeHttp.createServer((req, res) => handleRequest(req, res, false));
    http.on('upgrade', handleUpgrade);
    const httpPort = await listen(http, opts.port, opts.host);
    servers.push(http);
    let httpsPort: number | undefined;
    if (credentials && opts.httpsPort !== null) {
      const https = createHttpsServer(credentials, (req, res) => handleRequest(req, res, true));
      https.on('upgrade', handleUpgrade);
      httpsPort = await listen(https, opts.httpsPort, opts.host);
      servers.push(https);
    }
    const addresses = { host: opts.host, httpPort, httpsPort, lanAddresses };
    info = {
      version: packageVersion(),
      urls: network.listenUrls(addresses),
      preferredUrl: network.preferredUrl(addresses, credentials?.trusted ?? false),
      trustedCertificate: credentials?.trusted ?? false,
    };
    const loopback = loopbackHost(opts.host);
    const pinger = setInterval(sweep, opts.pingIntervalMs);
    let closing: Promise<void> | undefined;
    return {
      httpUrl: `http://${loopback}:${httpPort}/`,
      httpsUrl: httpsPort === undefined ? undefined : `https://${loopback}:${httpsPort}/`,
      stunPort: stun?.port ?? null,
      info,
      registry: metrics.registry,
      metrics: () => metrics.render(),
      stats: () => ({ rooms: hub.roomCount(), members: hub.memberCount() }),
      close: () => (closing ??= shutdown(pinger)),
    };
  } catch (err) {
    await shutdown();
    throw err;
  }
}

/** The loopback address to reach a server bound to `host` from this machine. */
function loopbackHost(host: string): string {
  if (host === '::') return '[::1]';
  return network.isWildcardHost(host) ? '127.0.0.1' : network.hostForUrl(host);
}
