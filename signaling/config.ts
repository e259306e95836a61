/**
 * Server options: defaults, and reading them from `serve` arguments and PD_* environment
 * variables (a flag beats the environment, which beats the default).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { normalizeOrigin } from './origin.ts';
import type { RateLimit } from './rate-limit.ts';

/** The repository (or installed package) root, one level above this folder. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Everything `startServer` can be told. */
export interface ServerOptions {
  /** HTTP port; 0 picks a free one. Default 30000. */
  port: number;
  /** Address to bind for HTTP, HTTPS and STUN. Default 0.0.0.0 (every interface). */
  host: string;
  /** HTTPS port; 0 picks a free one; null or false turns HTTPS off. Default port + 1. */
  httpsPort: number | null | false;
  /** STUN (UDP) port; 0 picks a free one; null or false turns STUN off. Default 3478. */
  stunPort: number | null | false;
  /** Holds the server secret and the self-signed certificate. Default `<root>/.data`. */
  dataDir: string;
  /** The built app. Default `<root>/dist`. */
  distDir: string;
  /** PEM certificate and key for HTTPS (both or neither); default: self-signed. */
  certFile?: string;
  keyFile?: string;
  /** How often sockets are pinged; one that misses a pong by the next ping is dropped. */
  pingIntervalMs: number;
  /** A socket that has not joined a room within this time is closed. */
  joinTimeoutMs: number;
  maxMembersPerRoom: number;
  /** Open WebSockets one client address may hold (tabs, Node peers behind one address). */
  maxConnectionsPerAddress: number;
  /** Frames per connection. Generous: trickle ICE sends bursts of candidates. */
  connectionMessageRate: RateLimit;
  /** Frames per client address, over all its connections. */
  messageRate: RateLimit;
  /** Join attempts per client address. */
  joinRate: RateLimit;
  /** Bytes per connection of frames relayed for members whose data channel cannot open. */
  relayRate?: RateLimit;
  /**
   * Origins besides the server's own whose pages may open the signaling WebSocket
   * (e.g. `http://localhost:5173`); `*` allows any. Requests without Origin always may.
   */
  allowedOrigins: string[];
  /** No log lines from the server itself. */
  quiet: boolean;
}

/** Options with every default applied and HTTPS/STUN settled to a port or null. */
export interface ResolvedServerOptions extends Omit<ServerOptions, 'httpsPort' | 'stunPort'> {
  httpsPort: number | null;
  stunPort: number | null;
}

/** Defaults of every option but the ports that depend on others. */
export const DEFAULT_OPTIONS: Omit<ServerOptions, 'httpsPort'> = {
  port: 30000,
  host: '0.0.0.0',
  stunPort: 3478,
  dataDir: join(PACKAGE_ROOT, '.data'),
  distDir: join(PACKAGE_ROOT, 'dist'),
  pingIntervalMs: 10_000,
  joinTimeoutMs: 30_000,
  maxMembersPerRoom: 64,
  maxConnectionsPerAddress: 32,
  connectionMessageRate: { ratePerSecond: 100, burst: 300 },
  messageRate: { ratePerSecond: 300, burst: 900 },
  joinRate: { ratePerSecond: 30 / 60, burst: 20 },
  allowedOrigins: [],
  quiet: false,
};

/** Fills in defaults; the HTTPS port defaults to the HTTP port + 1 (or random with port 0). */
export function resolveServerOptions(options: Partial<ServerOptions>): ResolvedServerOptions {
  const merged = { ...DEFAULT_OPTIONS, ...dropUndefined(options) };
  const httpsPort =
    options.httpsPort === undefined
      ? merged.port === 0
        ? 0
        : merged.port + 1
      : options.httpsPort === false
        ? null
        : options.httpsPort;
  if (httpsPort !== null && httpsPort > 65535) {
    throw new RangeError(`HTTPS port ${httpsPort} is out of range; give --https-port`);
  }
  const stunPort = merged.stunPort === false ? null : merged.stunPort;
  return { ...merged, httpsPort, stunPort };
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The package version, for `/api/info` and `--version`. */
export function packageVersion(): string {
  const json = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    version?: string;
  };
  return json.version ?? '0.0.0';
}

/** A mistake on the command line: printed with a hint to --help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `processdistro serve --help`. */
export const SERVE_HELP = `Usage: processdistro serve [options]

Serve the app, the signaling WebSocket and a STUN service on this machine.

Options:
  -p, --port <n>         HTTP port (0 = any free port)          [PD_PORT, default 30000]
      --host <addr>      address to bind                        [PD_HOST, default 0.0.0.0]
      --https-port <n>   HTTPS port                             [PD_HTTPS_PORT, default port+1]
      --no-https         serve HTTP only                        [PD_NO_HTTPS=1]
      --cert <file>      PEM certificate for HTTPS, e.g. mkcert's [PD_CERT]
      --key <file>       PEM private key for --cert             [PD_KEY]
      --stun-port <n>    STUN UDP port (0 = any free port)      [PD_STUN_PORT, default 3478]
      --no-stun          run no STUN service                    [PD_NO_STUN=1]
      --data-dir <dir>   server secret and self-signed cert     [PD_DATA_DIR, default <root>/.data]
      --dist-dir <dir>   built app to serve                     [PD_DIST_DIR, default <root>/dist]
      --max-members <n>  members per room                       [PD_MAX_MEMBERS, default 64]
      --max-connections-per-address <n>
                         open WebSockets per client address     [PD_MAX_CONNECTIONS_PER_ADDRESS, default 32]
      --allow-origin <o> another origin whose pages may use the WebSocket, e.g.
                         http://localhost:5173 (repeatable; * = any)
                                                                [PD_ALLOW_ORIGINS, comma-separated]
      --build-if-needed  run \`npm run build\` first when dist/ is missing or older than the sources
  -h, --help             show this help
`;

/** What `serve` was asked to do. */
export interface ServeArgs {
  help: boolean;
  buildIfNeeded: boolean;
  options: Partial<ServerOptions>;
}

function integerIn(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}, not '${text}'`);
  }
  return Number(text);
}

function isTrue(text: string | undefined): boolean {
  return text !== undefined && /^(1|true|yes|on)$/i.test(text);
}

const SERVE_FLAGS = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  'https-port': { type: 'string' },
  'no-https': { type: 'boolean' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'stun-port': { type: 'string' },
  'no-stun': { type: 'boolean' },
  'data-dir': { type: 'string' },
  'dist-dir': { type: 'string' },
  'max-members': { type: 'string' },
  'max-connections-per-address': { type: 'string' },
  'allow-origin': { type: 'string', multiple: true },
  'build-if-needed': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

// Flags win over the variable; each origin must be `*` or an http(s) origin.
function readOrigins(fromFlags: string[] | undefined, fromEnv: string | undefined) {
  const source = fromFlags?.length ? '--allow-origin' : 'PD_ALLOW_ORIGINS';
  const list = fromFlags?.length
    ? fromFlags
    : (fromEnv ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean);
  if (list.length === 0) return undefined;
  for (const origin of list) {
    if (origin !== '*' && normalizeOrigin(origin) === undefined) {
      throw new UsageError(`${source} takes origins like http://host:port or *, not '${origin}'`);
    }
  }
  return list;
}

function readFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options: SERVE_FLAGS })
      .values;
  } catch (err) {
    // parseArgs explains unknown options and missing values well; keep its words.
    throw new UsageError((err as Error).message);
  }
}

/** Reads `serve` arguments and PD_* variables; throws UsageError on anything wrong. */
export function parseServeArgs(argv: string[], env: NodeJS.ProcessEnv = {}): ServeArgs {
  const values = readFlags(argv);
  // A value and where it came from, so that an error names the flag or variable to fix.
  const pick = (flag: string, variable: string): { text: string; source: string } | undefined => {
    const fromFlag = values[flag.slice(2) as keyof typeof values];
    if (typeof fromFlag === 'string') return { text: fromFlag, source: flag };
    const fromEnv = env[variable];
    return fromEnv === undefined || fromEnv === ''
      ? undefined
      : { text: fromEnv, source: variable };
  };
  const integer = (flag: string, variable: string, min: number, max: number) => {
    const found = pick(flag, variable);
    return found && integerIn(found.source, found.text, min, max);
  };
  const noHttps = values['no-https'] === true || isTrue(env.PD_NO_HTTPS);
  const noStun = values['no-stun'] === true || isTrue(env.PD_NO_STUN);
  if (values['no-https'] && values['https-port'] !== undefined) {
    throw new UsageError('--https-port and --no-https cannot be used together');
  }
  if (values['no-stun'] && values['stun-port'] !== undefined) {
    throw new UsageError('--stun-port and --no-stun cannot be used together');
  }
  const options: Partial<ServerOptions> = {
    port: integer('--port', 'PD_PORT', 0, 65535),
    host: pick('--host', 'PD_HOST')?.text,
    httpsPort: noHttps ? null : integer('--https-port', 'PD_HTTPS_PORT', 0, 65535),
    stunPort: noStun ? null : integer('--stun-port', 'PD_STUN_PORT', 0, 65535),
    dataDir: pick('--data-dir', 'PD_DATA_DIR')?.text,
    distDir: pick('--dist-dir', 'PD_DIST_DIR')?.text,
    certFile: pick('--cert', 'PD_CERT')?.text,
    keyFile: pick('--key', 'PD_KEY')?.text,
    maxMembersPerRoom: integer('--max-members', 'PD_MAX_MEMBERS', 1, 10_000),
    maxConnectionsPerAddress: integer(
      '--max-connections-per-address',
      'PD_MAX_CONNECTIONS_PER_ADDRESS',
      1,
      100_000,
    ),
    allowedOrigins: readOrigins(values['allow-origin'], env.PD_ALLOW_ORIGINS),
  };
  if ((options.certFile === undefined) !== (options.keyFile === undefined)) {
    throw new UsageError('--cert and --key must be given together');
  }
  return {
    help: values.help === true,
    buildIfNeeded: values['build-if-needed'] === true,
    options,
  };
}
