/**
 * The `Origin` check on WebSocket upgrades. Browsers let any page open a WebSocket to any
 * server and send the page's origin along; without this check a page on another site that a
 * member visits could join rooms through that member's browser, on the member's network.
 * Non-browser clients (the Node peers, curl) send no Origin and are let through: they are
 * not a confused deputy, and the join token is what they must hold.
 */

/** Normalises an origin (`https://Example.org:443` → `https://example.org`); undefined if bad. */
export function normalizeOrigin(text: string): string | undefined {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/** The host (`name[:port]`) of a Host header, with either scheme's default port dropped. */
function hostsOf(hostHeader: string): string[] {
  const hosts: string[] = [];
  for (const scheme of ['http', 'https']) {
    try {
      hosts.push(new URL(`${scheme}://${hostHeader}`).host);
    } catch {
      // not a host; nothing matches it
    }
  }
  return hosts;
}

/**
 * True when a WebSocket upgrade may proceed: no Origin (not a browser), the origin of the
 * server itself (the host the client reached it at, over http or https), or an origin on
 * `allowed` (`*` allows every origin).
 */
export function isAllowedOrigin(
  origin: string | undefined,
  hostHeader: string | undefined,
  allowed: readonly string[],
): boolean {
  if (origin === undefined) return true;
  if (allowed.includes('*')) return true;
  const normalized = normalizeOrigin(origin);
  if (normalized === undefined) return false;
  if (allowed.some((entry) => normalizeOrigin(entry) === normalized)) return true;
  if (hostHeader === undefined) return false;
  return hostsOf(hostHeader).includes(new URL(normalized).host);
}
