/**
 * The small HTTP API (`POST /api/rooms`, `GET /api/info`) as pure functions from request
 * facts to a reply; the server does the reading and writing.
 */
import { hostCookie } from './host-cookie.ts';
import { isLoopbackHostname, parseHostHeader } from './network.ts';
import { roomFragment, type CreateRoomResponse, type ServerInfo } from './protocol.ts';
import type { Clock } from './rate-limit.ts';
import {
  DEFAULT_TOKEN_TTL_SECONDS,
  createHostToken,
  createRoomToken,
  generateRoomId,
} from './tokens.ts';
import { parseCreateRoomRequest } from './validate.ts';

/** A complete HTTP answer. */
export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A JSON answer that no cache keeps (tokens must not linger in caches). */
export function jsonReply(status: number, value: unknown): HttpReply {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    body: `${JSON.stringify(value)}\n`,
  };
}

/** A plain-text answer. */
export function textReply(status: number, body: string, contentType = 'text/plain'): HttpReply {
  return {
    status,
    headers: { 'Content-Type': `${contentType}; charset=utf-8`, 'Cache-Control': 'no-store' },
    body,
  };
}

/**
 * The base URL a client used (`http://192.168.1.7:30000/`), when its Host header is valid
 * and not loopback: a link built on it is known to work from that client's network. A
 * loopback Host (the host's own browser) is useless to other devices, so undefined then.
 */
export function clientBaseUrl(hostHeader: string | undefined, secure: boolean): string | undefined {
  const host = parseHostHeader(hostHeader);
  if (!host || isLoopbackHostname(host.hostname)) return undefined;
  const port = host.port === undefined ? '' : `:${host.port}`;
  return `${secure ? 'https' : 'http'}://${host.hostname}${port}/`;
}

/** What room creation needs to know. */
export interface RoomIssuer {
  secret: Buffer;
  info: ServerInfo;
  now: Clock;
}

/**
 * Answers `POST /api/rooms`: a new room id, a token for it, the host token (for the creator
 * only, also as a cookie for its browser; it is in no link), and links on the URL the client
 * used (else the preferred URL) and on every URL the server listens on.
 */
export function createRoomReply(
  issuer: RoomIssuer,
  bodyText: string,
  baseUrl: string | undefined,
): HttpReply {
  const parsed = parseCreateRoomRequest(bodyText);
  if (!parsed.ok) return jsonReply(400, { error: 'bad-request', message: parsed.detail });
  const ttlSeconds = parsed.request.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  const roomId = generateRoomId();
  const expiresAtMs = issuer.now() + ttlSeconds * 1000;
  const token = createRoomToken(issuer.secret, roomId, expiresAtMs);
  // Read the expiry back from the token, which holds it rounded down to a second.
  const expiresAt = Number(token.slice(0, token.indexOf('.'))) * 1000;
  const fragment = roomFragment(roomId, token);
  const hostToken = createHostToken(issuer.secret, roomId, expiresAtMs);
  const response: CreateRoomResponse = {
    roomId,
    token,
    hostToken,
    expiresAt,
    link: `${baseUrl ?? issuer.info.preferredUrl}${fragment}`,
    links: issuer.info.urls.map((url) => `${url}${fragment}`),
  };
  const reply = jsonReply(201, response);
  reply.headers['Set-Cookie'] = hostCookie(roomId, hostToken, ttlSeconds);
  return reply;
}
