import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../../signaling/cli.ts';
import type { CliIo } from '../../../signaling/cli-io.ts';
import { tempDir } from './support/test-server.ts';

function capture(): CliIo & { out_: string; err_: string } {
  const io = {
    out_: '',
    err_: '',
    out: (text: string) => void (io.out_ += `${text}\n`),
    error: (text: string) => void (io.err_ += `${text}\n`),
  };
  return io;
}

const BIN = fileURLToPath(new URL('../../../bin/processdistro.js', import.meta.url));

describe('processdistro command line', () => {
  it('lists the subcommands, and errors with code 2 on an unknown one', async () => {
    const help = capture();
    assert.equal(await runCli(['--help'], help), 0);
    assert.match(help.out_, /Commands:\n\s+serve\s/);
    const unknown = capture();
    assert.equal(await runCli(['frobnicate'], unknown), 2);
    assert.match(unknown.err_, /unknown command 'frobnicate'/);
    assert.equal(await runCli(['toString'], capture()), 2, 'no prototype keys');
    assert.equal(await runCli([], capture()), 2);
  });

  it('prints serve help, and refuses bad serve arguments with code 2', async () => {
    const help = capture();
    assert.equal(await runCli(['serve', '--help'], help), 0);
    assert.match(help.out_, /--https-port/);
    const bad = capture();
    assert.equal(await runCli(['serve', '--port', 'eighty'], bad), 2);
    assert.match(bad.err_, /--port must be a whole number/);
  });

  it('serves from the bin script, prints URLs and a QR code, and exits 0 on SIGTERM', async (t) => {
    const dataDir = await tempDir();
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const args = ['serve', '--port', '0', '--host', '127.0.0.1', '--no-https', '--no-stun'];
    const child = spawn(process.execPath, [BIN, ...args, '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => child.kill('SIGKILL'));
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner:\n${output}`)), 15_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ctrl-C')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
    });
    const url = /HTTP local\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
    assert.ok(url, output);
    assert.equal(await (await fetch(`${url}healthz`)).text(), 'ok\n');
    assert.match(output, /▄/, 'a QR code is drawn');
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output);
  });
});
