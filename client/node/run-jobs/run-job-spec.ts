/**
 * What `processdistro run` needs to know of a job: its flags, how they become the kernel's
 * parameters (and, for kernels that take input data, the data), how throughput is counted,
 * and the files its output is written to. One file per job next to this one.
 */
import type { ParseArgsConfig } from 'node:util';
import { isPdError } from '../../protocol/errors.ts';
import { UsageError } from '../args.ts';

export type Flags = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

/** A job ready to submit. */
export interface JobInput {
  /** What the flags said, completed by `data` (e.g. the format it detected): report.json's `params`. */
  settings: unknown;
  /** The kernel's parameters, as its `meta.parseParams` takes them. */
  params: unknown;
  /** The job's input data, as its `meta.blobs` takes it (kernels with input data only). */
  data?: unknown;
}

export interface RunJobSpec {
  /** The kernel (registry name) the job runs. */
  kernel: string;
  summary: string;
  /** Help lines for the job's own flags. */
  help: string;
  example: string;
  flags: Flags;
  /**
   * The job's settings from its flags, checked without touching files; throws UsageError.
   * For a job without `data`, these are the kernel's parameters.
   */
  params(values: Values): unknown;
  /**
   * Jobs with input data: reads (or generates) it, before any peer is started, and resolves
   * with the kernel's parameters (which may depend on the data, as a PBKDF2 job's pair count
   * does) and the data. Rejects with UsageError when an input file is missing or wrong.
   */
  data?(settings: unknown): Promise<JobInput>;
  /** One line saying what is being computed. */
  describe(input: JobInput): string;
  /**
   * Throughput: work units per second, e.g. GFLOP/s, where one unit is `perCost(params)` of
   * the kernel's cost (params: the kernel's, parsed).
   */
  rate?: { unit: string; perCost: (params: unknown) => number };
  /** Writes the merged output into `dir`; returns the file names written. */
  write(dir: string, input: JobInput, output: unknown): Promise<string[]>;
}

/** The text of a string flag. */
export function flagText(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Runs a kernel-side check (parseParams and the like) and turns its PdError into a UsageError
 * that reads as a sentence: the reason and details, not the error table's wire wording.
 */
export function asUsage<T>(what: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (!isPdError(err)) throw err;
    const details = err.details;
    const text =
      typeof details === 'string'
        ? details
        : details === undefined
          ? err.message
          : Object.entries(details)
              .map(([key, value]) => (key === 'reason' ? String(value) : `${key} ${value}`))
              .join(', ');
    throw new UsageError(`${what}: ${text}`);
  }
}
