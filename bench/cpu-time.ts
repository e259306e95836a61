/**
 * CPU time used by this process and its descendants (worker processes, Chromium's browser,
 * renderer and utility processes), read from Linux's /proc. The render benchmark reports it
 * next to the wall time: on a 2-core machine it shows whether the cores were saturated, and
 * by whom. Elsewhere (no /proc) every reading is empty.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux build we target). */
const TICKS_PER_SECOND = 100;

interface ProcessTimes {
  ppid: number;
  /** user + system CPU time, ms. */
  cpuMs: number;
  /** What the process is: 'node', or Chromium's --type (browser when it has none). */
  kind: string;
}

function readProcess(pid: number): ProcessTimes | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
    // Chromium's child processes rewrite their command line as one string with spaces.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    const chromium = /^\S*chrom/.test(cmdline);
    const kind = chromium ? (/--type=(\S+)/.exec(cmdline)?.[1] ?? 'browser') : 'node';
    return { ppid: Number(fields[1]), cpuMs, kind };
  } catch {
    return undefined; // gone meanwhile, or no /proc
  }
}

/** CPU ms by process id, for this process and all its descendants. */
export function cpuSnapshot(): Map<number, ProcessTimes> {
  const all = new Map<number, ProcessTimes>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return all;
  }
  for (const name of pids) {
    const times = readProcess(Number(name));
    if (times) all.set(Number(name), times);
  }
  const ours = new Map<number, ProcessTimes>();
  const isOurs = (pid: number): boolean => {
    for (let at = pid, hops = 0; at > 1 && hops < 32; hops++) {
      if (at === process.pid) return true;
      const parent = all.get(at)?.ppid;
      if (parent === undefined) return false;
      at = parent;
    }
    return false;
  };
  for (const [pid, times] of all) if (isOurs(pid)) ours.set(pid, times);
  return ours;
}

/** CPU ms used between two snapshots: this process, and the others summed by kind. */
export interface CpuUse {
  self: number;
  byKind: Record<string, number>;
  total: number;
}

export function cpuBetween(
  before: Map<number, ProcessTimes>,
  after: Map<number, ProcessTimes>,
): CpuUse {
  const use: CpuUse = { self: 0, byKind: {}, total: 0 };
  for (const [pid, times] of after) {
    const used = times.cpuMs - (before.get(pid)?.cpuMs ?? 0);
    if (used <= 0) continue;
    use.total += used;
    if (pid === process.pid) use.self += used;
    else use.byKind[times.kind] = (use.byKind[times.kind] ?? 0) + used;
  }
  return use;
}
