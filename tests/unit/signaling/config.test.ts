import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_OPTIONS,
  UsageError,
  parseServeArgs,
  resolveServerOptions,
} from '../../../signaling/config.ts';

describe('parseServeArgs', () => {
  it('leaves everything to the defaults when nothing is given', () => {
    const args = parseServeArgs([], {});
    assert.equal(args.help, false);
    assert.equal(args.buildIfNeeded, false);
    assert.deepEqual(
      Object.values(args.options).filter((v) => v !== undefined),
      [],
    );
  });

  it('reads flags, and prefers them over PD_* variables', () => {
    const env = {
      PD_PORT: '4000',
      PD_HOST: '127.0.0.1',
      PD_DATA_DIR: '/env/data',
      PD_STUN_PORT: '0',
    };
    const { options } = parseServeArgs(
      ['--port', '5000', '--https-port=5443', '--build-if-needed'],
      env,
    );
    assert.equal(options.port, 5000);
    assert.equal(options.httpsPort, 5443);
    assert.equal(options.host, '127.0.0.1');
    assert.equal(options.dataDir, '/env/data');
    assert.equal(options.stunPort, 0);
    assert.equal(parseServeArgs(['-p', '7'], {}).options.port, 7);
    assert.equal(parseServeArgs(['--build-if-needed'], {}).buildIfNeeded, true);
  });

  it('turns HTTPS and STUN off by flag or variable', () => {
    assert.equal(parseServeArgs(['--no-https'], {}).options.httpsPort, null);
    assert.equal(parseServeArgs([], { PD_NO_HTTPS: '1' }).options.httpsPort, null);
    assert.equal(parseServeArgs(['--no-stun'], {}).options.stunPort, null);
    assert.equal(parseServeArgs([], { PD_NO_STUN: 'true' }).options.stunPort, null);
    assert.equal(parseServeArgs([], { PD_NO_STUN: '0' }).options.stunPort, undefined);
  });

  it('refuses what it cannot use with a UsageError that names the culprit', () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--port', 'abc'], {}, /--port/],
      [['--port', '70000'], {}, /--port/],
      [[], { PD_PORT: '-1' }, /PD_PORT/],
      [['--bogus'], {}, /bogus/],
      [['extra'], {}, /extra/],
      [['--port'], {}, /port/],
      [['--cert', 'c.pem'], {}, /--cert and --key/],
      [['--no-https', '--https-port', '1'], {}, /together/],
      [['--max-members', '0'], {}, /--max-members/],
      [['--max-connections-per-address', '0'], {}, /--max-connections-per-address/],
      [['--allow-origin', 'evil.example'], {}, /--allow-origin/],
      [[], { PD_ALLOW_ORIGINS: 'http://ok.example, ftp://bad' }, /PD_ALLOW_ORIGINS/],
    ];
    for (const [argv, env, message] of cases) {
      assert.throws(
        () => parseServeArgs(argv, env),
        (err: unknown) => {
          assert.ok(err instanceof UsageError, String(err));
          assert.match(err.message, message);
          return true;
        },
      );
    }
  });
});

describe('security options', () => {
  it('reads the allowed origins (repeatable flag, else a comma list) and the socket limit', () => {
    const flags = parseServeArgs(['--allow-origin', 'http://localhost:5173', '--allow-origin=*'], {
      PD_ALLOW_ORIGINS: 'http://ignored.example',
    });
    assert.deepEqual(flags.options.allowedOrigins, ['http://localhost:5173', '*']);
    const env = parseServeArgs([], {
      PD_ALLOW_ORIGINS: 'http://a.example:8080, https://b.example',
      PD_MAX_CONNECTIONS_PER_ADDRESS: '5',
    });
    assert.deepEqual(env.options.allowedOrigins, ['http://a.example:8080', 'https://b.example']);
    assert.equal(env.options.maxConnectionsPerAddress, 5);
    assert.equal(
      parseServeArgs(['--max-connections-per-address', '9'], {}).options.maxConnectionsPerAddress,
      9,
    );
  });

  it('defaults to the own origin only, and limits per connection below per address', () => {
    assert.deepEqual(DEFAULT_OPTIONS.allowedOrigins, []);
    assert.ok(DEFAULT_OPTIONS.maxConnectionsPerAddress >= 8);
    assert.ok(DEFAULT_OPTIONS.connectionMessageRate.burst < DEFAULT_OPTIONS.messageRate.burst);
  });
});

describe('resolveServerOptions', () => {
  it('puts HTTPS next to HTTP unless told otherwise', () => {
    assert.equal(resolveServerOptions({}).port, 30000);
    assert.equal(resolveServerOptions({}).httpsPort, 30001);
    assert.equal(resolveServerOptions({ port: 8080 }).httpsPort, 8081);
    assert.equal(resolveServerOptions({ port: 0 }).httpsPort, 0);
    assert.equal(resolveServerOptions({ httpsPort: false }).httpsPort, null);
    assert.equal(resolveServerOptions({ httpsPort: 9443 }).httpsPort, 9443);
    assert.throws(() => resolveServerOptions({ port: 65535 }), RangeError);
  });

  it('keeps defaults for options given as undefined', () => {
    const resolved = resolveServerOptions({ port: undefined, stunPort: false });
    assert.equal(resolved.port, DEFAULT_OPTIONS.port);
    assert.equal(resolved.stunPort, null);
    assert.equal(resolved.host, '0.0.0.0');
    assert.equal(resolved.pingIntervalMs, 10_000);
    assert.match(resolved.dataDir, /\.data$/);
  });
});
