/**
 * Argument reading shared by the Node subcommands (`worker`, `run`, `bench`): `node:util`
 * parseArgs in strict mode, with its messages kept, and checked numbers whose errors name
 * the flag to fix. Every mistake is a UsageError: printed with a hint to --help, exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../../signaling/config.ts';

export { UsageError };

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs (strict) whose errors are UsageErrors. */
export function readArgs<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({
      args: joinNegativeValues(argv, options),
      options,
      strict: true,
      allowPositionals,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * `--cx -0.5` as `--cx=-0.5`: parseArgs takes a value that starts with a dash for an option
 * (and refuses it), but a negative number after a string option is that option's value.
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    const option = name === undefined ? undefined : options[name];
    if (option?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** A whole number in [min, max] from `--flag`'s text; `fallback` when the flag is absent. */
export function integerFlag(
  flag: string,
  text: string | undefined,
  min: number,
  max: number,
  fallback?: number,
): number {
  if (text === undefined) {
    if (fallback === undefined) throw new UsageError(`${flag} is required`);
    return fallback;
  }
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, not '${text}'`);
  }
  return Number(text);
}

/** A finite number from `--flag`'s text (decimal or exponent notation). */
export function numberFlag(
  flag: string,
  text: string | undefined,
  check: { min?: number; positive?: boolean; fallback?: number } = {},
): number {
  if (text === undefined) {
    if (check.fallback === undefined) throw new UsageError(`${flag} is required`);
    return check.fallback;
  }
  const value = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`${flag} must be a number, not '${text}'`);
  if (check.positive && !(value > 0)) throw new UsageError(`${flag} must be above 0, not ${text}`);
  if (check.min !== undefined && value < check.min) {
    throw new UsageError(`${flag} must be at least ${check.min}, not ${text}`);
  }
  return value;
}

/** A fraction from 0 to 1 from `--flag`'s text (absent: 0). */
export function fractionFlag(flag: string, text: string | undefined): number {
  const value = numberFlag(flag, text, { min: 0, fallback: 0 });
  if (value > 1) throw new UsageError(`${flag} must be from 0 to 1, not ${text}`);
  return value;
}

/** Runs a command body; a UsageError becomes a message with a hint and exit code 2. */
export async function withUsage(
  command: string,
  io: { error(text: string): void },
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.error(
      `processdistro ${command}: ${err.message}\nRun 'processdistro ${command} --help' for usage.`,
    );
    return 2;
  }
}
