/**
 * The host token as a cookie. `POST /api/rooms` hands the creating browser its host token
 * in an HttpOnly cookie scoped to the signaling path, and the browser sends it back on its
 * WebSocket upgrades: the token never enters a link, the page's script or its storage, and
 * the tab that creates a room needs no code to keep it. SameSite=Strict (and the Origin
 * check) keep other sites' pages from riding on it. Node clients put it in their join.
 */
import { SIGNALING_PATH } from './protocol.ts';

const PREFIX = 'pd-host-';

/** The `Set-Cookie` value that gives the creator of `roomId` its host token. */
export function hostCookie(roomId: string, hostToken: string, maxAgeSeconds: number): string {
  return (
    `${PREFIX}${roomId}=${hostToken}; Path=${SIGNALING_PATH}; ` +
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; HttpOnly; SameSite=Strict`
  );
}

/** Room id → host token, read from a request's `Cookie` header. */
export function hostTokensFromCookies(header: string | undefined): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    if (eq < 0 || !name.startsWith(PREFIX)) continue;
    tokens.set(name.slice(PREFIX.length), part.slice(eq + 1).trim());
  }
  return tokens;
}
