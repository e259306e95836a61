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
