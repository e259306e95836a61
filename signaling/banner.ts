/**
 * What `serve` prints once it listens: every URL, the STUN port, and a QR code of the URL
 * other devices should open.
 */
import QRCode from 'qrcode';
import type { ServerInfo } from './protocol.ts';

/** The facts the banner shows. */
export interface BannerFacts {
  info: ServerInfo;
  stunPort: number | null;
}

function label(url: string): string {
  const { hostname, protocol } = new URL(url);
  const local = hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
  return `${protocol === 'https:' ? 'HTTPS' : 'HTTP'} ${local ? 'local' : 'network'}`.padEnd(14);
}

/** The banner text, QR code included. */
export async function formatBanner({ info, stunPort }: BannerFacts): Promise<string> {
  const lines = [`ProcessDistro ${info.version} is running.`, ''];
  for (const url of info.urls) lines.push(`  ${label(url)} ${url}`);
  if (stunPort !== null) lines.push(`  ${'STUN'.padEnd(14)} udp port ${stunPort}`);
  lines.push('');
  if (info.urls.some((url) => url.startsWith('https:')) && !info.trustedCertificate) {
    lines.push(
      'HTTPS uses a self-signed certificate: browsers warn before opening it. Give',
      '--cert/--key (e.g. made with mkcert) for one that devices trust.',
      '',
    );
  }
  const qr = await QRCode.toString(info.preferredUrl, { type: 'terminal', small: true });
  lines.push(`Open ${info.preferredUrl} on another device, or scan:`, '', qr);
  lines.push('Press Ctrl-C to stop.');
  return lines.join('\n');
}
