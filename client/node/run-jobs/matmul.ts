/**
 * `processdistro run matmul`: C = A·B from raw little-endian row-major f64 files (or seeded
 * random matrices), written as DIR/C.f64.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeF64LE,
  MAX_DIM,
  type MatmulOutput,
  type MatmulParams,
} from '../../../kernels/matmul/meta.ts';
import { MAX_SEED, randomMatrices } from '../../../kernels/matmul/random.ts';
import { integerFlag, UsageError } from '../args.ts';
import { flagText, type JobInput, type RunJobSpec } from './run-job-spec.ts';

/** What the flags say: the shape, and the two files or the seed of random inputs. */
export type MatmulSettings = MatmulParams & ({ a: string; b: string } | { seed: number });

/** Default seed of `--random`. */
export const DEFAULT_SEED = 1;

/** Multiply-adds are the kernel's cost unit: 2 flops each. */
const COST_PER_GFLOP = 1e9 / 2;

const count = (value: number) => value.toLocaleString('en-US');

function readSettings(text: (name: string) => string | undefined): MatmulSettings {
  const [a, b, random] = [text('a'), text('b'), text('random')];
  const dims = (n: number) => ({
    n,
    k: integerFlag('--k', text('k'), 1, MAX_DIM, n),
    m: integerFlag('--m', text('m'), 1, MAX_DIM, n),
  });
  if (random !== undefined) {
    if (a !== undefined || b !== undefined) {
      throw new UsageError('give either --a <file> --b <file> or --random <n>, not both');
    }
    if (text('n') !== undefined) {
      throw new UsageError('--random <n> sets n itself; --n goes with --a/--b');
    }
    const seed = integerFlag('--seed', text('seed'), 0, MAX_SEED, DEFAULT_SEED);
    return { ...dims(integerFlag('--random', random, 1, MAX_DIM)), seed };
  }
  if (text('seed') !== undefined) throw new UsageError('--seed goes with --random <n>');
  if (a === undefined && b === undefined) {
    throw new UsageError('give the matrices: --a <file> --b <file> --n <n>, or --random <n>');
  }
  if (a === undefined || b === undefined) {
    throw new UsageError(`${a === undefined ? '--a' : '--b'} <file> is required too`);
  }
  return { ...dims(integerFlag('--n', text('n'), 1, MAX_DIM)), a, b };
}

/**
 * The bytes of a raw matrix file, checked to hold rows × cols f64 values before it is read.
 * `shape` names the dimensions for the message, e.g. 'n × k'.
 */
async function readMatrix(
  matrix: 'A' | 'B',
  path: string,
  rows: number,
  cols: number,
  shape: string,
): Promise<Uint8Array> {
  const flag = `--${matrix.toLowerCase()}`;
  const expected = rows * cols * 8;
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UsageError(`${flag} ${path} is not a file`);
    size = info.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `${flag} ${path}: no such file`
        : `${flag} ${path}: ${(err as Error).message}`,
    );
  }
  if (size !== expected) {
    throw new UsageError(
      `${flag} ${path} is ${count(size)} bytes, but ${matrix} is ${shape} = ${rows} × ${cols} f64 values: ${count(expected)} bytes (${shape.replace(' × ', '·')}·8)`,
    );
  }
  return new Uint8Array(await readFile(path));
}

export const matmulJob: RunJobSpec = {
  kernel: 'matmul',
  summary: 'multiply two f64 matrices: C = A·B',
  help: `      --a <file>         A: n × k f64 values, little-endian, row-major (raw .f64)
      --b <file>         B: k × m f64 values, likewise
      --n <n>            rows of A and C                      [required with --a/--b]
      --k <k>            columns of A, rows of B              [default n]
      --m <m>            columns of B and C                   [default n]
      --random <n>       instead of --a/--b: seeded random A and B with values in [-1, 1)
                         (A first, then B, row-major), n × n · n × n unless --k/--m say
      --seed <s>         seed of --random, 0 to ${MAX_SEED}    [default ${DEFAULT_SEED}]
Dimensions are 1 to ${MAX_DIM}. Writes DIR/C.f64 (n × m f64, little-endian, row-major) and
DIR/report.json: GFLOP/s (2·n·k·m / wall time) and, per peer, the input bytes it fetched
and the result bytes it sent.`,
  example:
    'processdistro run matmul --a A.f64 --b B.f64 --n 1000 --k 777 --m 1203 --local-peers 2 --out out',
  flags: {
    a: { type: 'string' },
    b: { type: 'string' },
    n: { type: 'string' },
    k: { type: 'string' },
    m: { type: 'string' },
    random: { type: 'string' },
    seed: { type: 'string' },
  },
  params: (values) => readSettings((name) => flagText(values, name)),
  async data(input) {
    const settings = input as MatmulSettings;
    const { n, k, m } = settings;
    const params: MatmulParams = { n, k, m };
    if ('seed' in settings) {
      return { settings, params, data: randomMatrices(params, settings.seed) };
    }
    const a = await readMatrix('A', settings.a, n, k, 'n × k');
    const b = await readMatrix('B', settings.b, k, m, 'k × m');
    return { settings, params, data: { a, b } };
  },
  describe({ settings }: JobInput) {
    const s = settings as MatmulSettings;
    const from = 'seed' in s ? `random, seed ${s.seed}` : `${s.a} · ${s.b}`;
    return `Matrix product ${s.n}×${s.k} · ${s.k}×${s.m} (${from}): ${((2 * s.n * s.k * s.m) / 1e9).toFixed(2)} GFLOP`;
  },
  rate: { unit: 'GFLOP/s', perCost: () => COST_PER_GFLOP },
  async write(dir, _input, output) {
    await writeFile(join(dir, 'C.f64'), encodeF64LE((output as MatmulOutput).c));
    return ['C.f64'];
  },
};
