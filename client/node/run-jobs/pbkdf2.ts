/**
 * `processdistro run pbkdf2`: PBKDF2-HMAC-SHA256 of the (password, salt) pairs of a CSV or
 * JSONL file, written back with their hex keys in input order as DIR/hashes.csv (or .jsonl).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import {
  blockCount,
  MAX_ITERATIONS,
  MAX_KEY_LENGTH,
  paramsForPairs,
  type Pbkdf2Params,
} from '../../../kernels/pbkdf2/meta.ts';
import {
  detectPairsFormat,
  formatResults,
  parsePairs,
  type Pair,
  type PairsFormat,
} from '../../../kernels/pbkdf2/pairs.ts';
import { isPdError } from '../../protocol/errors.ts';
import { integerFlag, UsageError } from '../args.ts';
import { asUsage, flagText, type RunJobSpec } from './run-job-spec.ts';

/** What the flags say; `data` fills in the format it detected and the number of pairs. */
export interface Pbkdf2Settings {
  input: string;
  iterations: number;
  keyLength: number;
  format?: PairsFormat;
  pairs?: number;
}

const FORMATS: readonly PairsFormat[] = ['csv', 'jsonl'];

/** The format a file name says: .csv, or .jsonl / .ndjson; undefined for anything else. */
function formatOfName(path: string): PairsFormat | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  return undefined;
}

/** UTF-8 text of the file; invalid UTF-8 is a usage error naming the first bad line. */
function decodeUtf8(path: string, bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] !== 0x0a) continue;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, i));
      } catch {
        break;
      }
      line++;
      start = i + 1;
    }
    throw new UsageError(`--input ${path}: line ${line} is not valid UTF-8`);
  }
}

/** The pairs of the file; a bad line is a usage error with its number and what is wrong. */
function readPairs(path: string, text: string, format: PairsFormat): Pair[] {
  try {
    return parsePairs(text, format).pairs;
  } catch (err) {
    if (!isPdError(err) || typeof err.details !== 'object') throw err;
    const { line, reason } = err.details as { line?: number; reason?: string };
    const where = line ? `line ${line}: ` : '';
    // csv-parse ends some messages with the line again.
    const what = (reason ?? err.message).replace(/ (on|at) line \d+$/, '');
    throw new UsageError(`--input ${path} (${format.toUpperCase()}): ${where}${what}`);
  }
}

export const pbkdf2Job: RunJobSpec = {
  kernel: 'pbkdf2',
  summary: 'PBKDF2-HMAC-SHA256 of (password, salt) pairs from a CSV or JSONL file',
  help: `      --input <file>     the pairs, UTF-8: CSV with a header naming the columns password
                         and salt, or JSONL lines {"password": "…", "salt": "…"}
      --iterations <c>   PBKDF2 iterations, 1 to ${MAX_ITERATIONS}     [required]
      --key-length <b>   key bytes per pair, 1 to ${MAX_KEY_LENGTH}        [default 32]
      --format <f>       csv or jsonl                         [default: by extension
                         (.csv; .jsonl, .ndjson), else JSONL when the file starts with '{',
                         else CSV]
Writes DIR/hashes.csv (password,salt,hash) or DIR/hashes.jsonl, in the input's format, with
every pair and its key as lower-case hex in input order, and DIR/report.json: hashes/s
overall and per peer (pairs it derived / its compute time).`,
  example:
    'processdistro run pbkdf2 --input pairs.csv --iterations 100000 --key-length 32 --local-peers 2 --out out',
  flags: {
    input: { type: 'string' },
    iterations: { type: 'string' },
    'key-length': { type: 'string' },
    format: { type: 'string' },
  },
  params(values): Pbkdf2Settings {
    const input = flagText(values, 'input');
    if (input === undefined) throw new UsageError('--input <file> is required');
    const format = flagText(values, 'format');
    if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`--format must be csv or jsonl, not '${format}'`);
    }
    return {
      input,
      iterations: integerFlag('--iterations', flagText(values, 'iterations'), 1, MAX_ITERATIONS),
      keyLength: integerFlag('--key-length', flagText(values, 'key-length'), 1, MAX_KEY_LENGTH, 32),
      ...(format ? { format: format as PairsFormat } : {}),
    };
  },
  async data(input) {
    const settings = input as Pbkdf2Settings;
    const path = settings.input;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(
        code === 'ENOENT'
          ? `--input ${path}: no such file`
          : `--input ${path}: ${(err as Error).message}`,
      );
    }
    const text = decodeUtf8(path, bytes);
    const format = settings.format ?? formatOfName(path) ?? detectPairsFormat(text);
    const pairs = readPairs(path, text, format);
    const params = asUsage(`--input ${path}`, () =>
      paramsForPairs(pairs, { iterations: settings.iterations, keyLength: settings.keyLength }),
    );
    return { settings: { ...settings, format, pairs: pairs.length }, params, data: { pairs } };
  },
  describe({ settings }) {
    const s = settings as Pbkdf2Settings;
    return `PBKDF2-HMAC-SHA256 of ${s.pairs} pairs (${s.input}, ${s.format?.toUpperCase()}): ${s.iterations} iterations, ${s.keyLength}-byte keys`;
  },
  rate: {
    unit: 'hashes/s',
    perCost: (params) => {
      const { iterations, keyLength } = params as Pbkdf2Params;
      return iterations * blockCount(keyLength);
    },
  },
  async write(dir, { settings, params, data }, output) {
    const { format = 'csv' } = settings as Pbkdf2Settings;
    const { pairs } = data as { pairs: Pair[] };
    const name = `hashes.${format}`;
    const text = formatResults(
      pairs,
      output as Uint8Array,
      (params as Pbkdf2Params).keyLength,
      format,
    );
    await writeFile(join(dir, name), text);
    return [name];
  },
};
