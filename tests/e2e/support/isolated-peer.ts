/**
 * A network namespace nested in the test namespace, joined to it by its own veth pair, so
 * that a test can cut one peer's network (and only that peer's) and restore it. Inside, the
 * peer has 198.18.<subnet>.2 and a default route to 198.18.<subnet>.1, the test namespace's
 * end of the pair: it reaches the signaling server and the other peers (198.18.0.1) through
 * it, and nothing else, since the test namespace itself leads nowhere.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readlink } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class IsolatedNetwork {
  private constructor(
    /** Holds the namespace open: `unshare -n sleep infinity`. */
    private readonly holder: ChildProcess,
    /** The pair's end in the test namespace. */
    private readonly outerLink: string,
    /** The test namespace's address on the pair: what peers inside connect to. */
    readonly hostAddress: string,
  ) {}

  /** Creates the namespace and the pair 198.18.<subnet>.1 (outside) ↔ 198.18.<subnet>.2 (inside). */
  static async create(subnet: number): Promise<IsolatedNetwork> {
    if (!(subnet >= 1 && subnet <= 254)) throw new RangeError(`subnet ${subnet}`);
    const holder = spawn('unshare', ['-n', 'sleep', 'infinity'], { stdio: 'ignore' });
    const outer = `pdx${subnet}a`;
    const inner = `pdx${subnet}b`;
    const network = new IsolatedNetwork(holder, outer, `198.18.${subnet}.1`);
    try {
      await network.waitForNamespace();
      await run('ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner]);
      await run('ip', ['link', 'set', inner, 'netns', String(holder.pid)]);
      await run('ip', ['addr', 'add', `198.18.${subnet}.1/24`, 'dev', outer]);
      await run('ip', ['link', 'set', outer, 'up']);
      const inside = (...args: string[]) => run('nsenter', [...network.enter(), 'ip', ...args]);
      await inside('link', 'set', 'lo', 'up');
      await inside('addr', 'add', `198.18.${subnet}.2/24`, 'dev', inner);
      await inside('link', 'set', inner, 'up');
      await inside('route', 'add', 'default', 'via', network.hostAddress);
    } catch (error) {
      await network.close();
      throw error;
    }
    return network;
  }

  /** `nsenter` arguments that run a command inside (prefix them with 'nsenter'). */
  enter(): string[] {
    return [`--net=/proc/${this.holder.pid}/ns/net`, '--'];
  }

  /** A command prefix that runs a program inside the namespace (nsenter execs it: same pid). */
  get launcher(): string[] {
    return ['nsenter', ...this.enter()];
  }

  /** A link of the test namespace rewritten to reach it from inside (host → hostAddress). */
  linkFromInside(link: string): string {
    const url = new URL(link);
    url.hostname = this.hostAddress;
    return url.href;
  }

  /** Takes the outer end down: no packet passes either way until `restore`. */
  async cut(): Promise<void> {
    await run('ip', ['link', 'set', this.outerLink, 'down']);
  }

  /** Brings the outer end up again (its address and subnet route come back with it). */
  async restore(): Promise<void> {
    await run('ip', ['link', 'set', this.outerLink, 'up']);
  }

  /** Ends the holder; the namespace and the pair go once the last process inside exits. */
  async close(): Promise<void> {
    if (this.holder.exitCode === null && this.holder.signalCode === null) {
      const exited = new Promise((resolve) => this.holder.once('exit', resolve));
      this.holder.kill('SIGKILL');
      await exited;
    }
    await run('ip', ['link', 'del', this.outerLink]).catch(() => {});
  }

  /** Waits until `unshare` has moved the holder into its own namespace (then execs sleep). */
  private async waitForNamespace(): Promise<void> {
    const own = await readlink('/proc/self/ns/net');
    const deadline = Date.now() + 5000;
    for (;;) {
      if (this.holder.exitCode !== null) throw new Error('unshare -n exited');
      const theirs = await readlink(`/proc/${this.holder.pid}/ns/net`).catch(() => own);
      if (theirs !== own) return;
      if (Date.now() > deadline) throw new Error('unshare -n did not make a namespace');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
