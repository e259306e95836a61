/**
 * Where the server can be reached: LAN addresses, the URLs to print and advertise, and
 * reading the host a client used from its `Host` header. Pure apart from the default
 * argument that reads the machine's interfaces.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** Non-internal IPv4 addresses of this machine, in interface order, without duplicates. */
export function lanIPv4Addresses(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string[] {
  const found: string[] = [];
  for (const entries of Object.values(interfaces)) {
    for (const entry of entries ?? []) {
      if (entry.family === 'IPv4' && !entry.internal && !found.includes(entry.address)) {
        found.push(entry.address);
      }
    }
  }
  return found;
}

/** True for the wildcard addresses that mean "every interface". */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** True when `hostname` (no port; IPv6 with or without brackets) names this machine's loopback. */
export function isLoopbackHostname(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    bare === 'localhost' ||
    bare.endsWith('.localhost') ||
    bare === '::1' ||
    bare === '::ffff:127.0.0.1' ||
    /^127(\.\d{1,3}){3}$/.test(bare)
  );
}

/** Wraps an IPv6 literal in brackets so it can stand in a URL or a `host:port` pair. */
export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Splits a `Host` header into hostname and port. Returns undefined for anything that is
 * not a plain DNS name, IPv4 or bracketed IPv6 literal, because the result is echoed into
 * links and ICE server URLs and must not carry anything else.
 */
export function parseHostHeader(
  header: string | undefined,
): { hostname: string; port?: number } | undefined {
  if (!header) return undefined;
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(header.trim());
  if (!match) return undefined;
  const hostname = match[1]!;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && port > 65535) return undefined;
  return port === undefined ? { hostname } : { hostname, port };
}

/** What the server listens on, once the ports are known. */
export interface ListenAddresses {
  /** The address bound (`0.0.0.0` means every interface). */
  host: string;
  httpPort: number;
  /** Undefined when HTTPS is off. */
  httpsPort?: number;
  /** LAN IPv4 addresses to advertise when bound to every interface. */
  lanAddresses: string[];
}

/** Hostnames the app can be opened on: localhost plus each LAN address, or the one bound. */
export function reachableHostnames(addresses: ListenAddresses): string[] {
  if (!isWildcardHost(addresses.host)) return [hostForUrl(addresses.host)];
  return ['localhost', ...addresses.lanAddresses];
}

/** Every URL the app is served on: HTTP ones first, then HTTPS; each ends with `/`. */
export function listenUrls(addresses: ListenAddresses): string[] {
  const hosts = reachableHostnames(addresses);
  const urls = hosts.map((host) => `http://${host}:${addresses.httpPort}/`);
  if (addresses.httpsPort !== undefined) {
    for (const host of hosts) urls.push(`https://${host}:${addresses.httpsPort}/`);
  }
  return urls;
}

/**
 * The URL links and QR codes use. A trusted certificate makes HTTPS usable from other
 * devices, so it wins; a self-signed one would greet them with a warning, so plain HTTP on
 * the first LAN address is offered instead (joining needs no secure context).
 */
export function preferredUrl(addresses: ListenAddresses, trustedCertificate: boolean): string {
  const host = isWildcardHost(addresses.host)
    ? (addresses.lanAddresses[0] ?? 'localhost')
    : hostForUrl(addresses.host);
  if (trustedCertificate && addresses.httpsPort !== undefined) {
    return `https://${host}:${addresses.httpsPort}/`;
  }
  return `http://${host}:${addresses.httpPort}/`;
}
