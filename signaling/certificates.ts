/**
 * The HTTPS certificate: the one given with --cert/--key (e.g. made with mkcert, so devices
 * may trust it), or a self-signed one created once and kept in the data directory. The
 * self-signed one is made again when it is about to expire or no longer names this
 * machine (a new LAN address), since a browser would refuse it anyway.
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/** A PEM certificate and key, and whether they came from the user. */
export interface TlsCredentials {
  cert: string;
  key: string;
  /** True for --cert/--key: devices may trust it. False for the self-signed one. */
  trusted: boolean;
}

/** File names of the self-signed certificate inside the data directory. */
export const SELF_SIGNED_CERT_FILE = 'self-signed-cert.pem';
export const SELF_SIGNED_KEY_FILE = 'self-signed-key.pem';

const VALIDITY_DAYS = 365;
const RENEW_BEFORE_MS = 14 * 24 * 60 * 60 * 1000;

/** Names a self-signed certificate for this machine must cover. */
export function certificateNames(lanAddresses: string[]): { dns: string[]; ips: string[] } {
  const dns = ['localhost'];
  const host = hostname();
  if (host && host !== 'localhost') dns.push(host);
  if (host && !host.includes('.')) dns.push(`${host}.local`);
  return { dns, ips: ['127.0.0.1', '::1', ...lanAddresses] };
}

/**
 * True when the PEM certificate is valid for at least two more weeks and names every
 * DNS name and IP given.
 */
export function certificateCovers(
  pem: string,
  names: { dns: string[]; ips: string[] },
  nowMs: number,
): boolean {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return false;
  }
  if (Date.parse(cert.validTo) - nowMs < RENEW_BEFORE_MS) return false;
  const sans = new Set((cert.subjectAltName ?? '').split(', '));
  return (
    names.dns.every((name) => sans.has(`DNS:${name}`)) &&
    // Node prints IPv6 SANs expanded; checking IPv4 ones is enough to notice a new LAN.
    names.ips.filter((ip) => !ip.includes(':')).every((ip) => sans.has(`IP Address:${ip}`))
  );
}

async function createSelfSigned(names: {
  dns: string[];
  ips: string[];
}): Promise<{ cert: string; key: string }> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + VALIDITY_DAYS * 24 * 60 * 60 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'ProcessDistro (self-signed)' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...names.dns.map((value) => ({ type: 2 as const, value })),
          ...names.ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Options of {@link loadCredentials}. */
export interface CredentialOptions {
  dataDir: string;
  certFile?: string;
  keyFile?: string;
  lanAddresses: string[];
  /** Told when a self-signed certificate is created. */
  onCreated?: (certPath: string) => void;
}

/** Reads --cert/--key, or loads (and when needed creates) the self-signed certificate. */
export async function loadCredentials(options: CredentialOptions): Promise<TlsCredentials> {
  if (options.certFile || options.keyFile) {
    if (!options.certFile || !options.keyFile) {
      throw new Error('--cert and --key must be given together');
    }
    const [cert, key] = await Promise.all([
      readFile(options.certFile, 'utf8'),
      readFile(options.keyFile, 'utf8'),
    ]);
    return { cert, key, trusted: true };
  }
  const certPath = join(options.dataDir, SELF_SIGNED_CERT_FILE);
  const keyPath = join(options.dataDir, SELF_SIGNED_KEY_FILE);
  const names = certificateNames(options.lanAddresses);
  const [cert, key] = await Promise.all([readIfPresent(certPath), readIfPresent(keyPath)]);
  if (cert && key && certificateCovers(cert, names, Date.now())) {
    return { cert, key, trusted: false };
  }
  const created = await createSelfSigned(names);
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  await writeFile(keyPath, created.key, { mode: 0o600 });
  await writeFile(certPath, created.cert, { mode: 0o644 });
  options.onCreated?.(certPath);
  return { ...created, trusted: false };
}
