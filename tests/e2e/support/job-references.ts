/**
 * References for the matrix multiplication and PBKDF2 e2e tests, computed in Node and
 * independently of the app: a plain triple loop over `randomMatrices` for C, and
 * crypto.pbkdf2Sync for the keys. Also the test inputs and readers of the downloaded files.
 */
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { randomMatrices } from '../../../kernels/matmul/random.ts';

export interface Pair {
  password: string;
  salt: string;
}

/** C = A·B by the definition, summed in order of p. */
export function referenceProduct(shape: {
  n: number;
  k: number;
  m: number;
  seed: number;
}): Float64Array {
  const { n, k, m } = shape;
  const { a, b } = randomMatrices(shape, shape.seed);
  const c = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p]!;
      for (let j = 0; j < m; j++) c[i * m + j]! += x * b[p * m + j]!;
    }
  }
  return c;
}

/** Every element within the kernel's contract: 1e-9 · max(1, |reference|). */
export function assertProduct(bytes: Buffer, reference: Float64Array): void {
  assert.equal(bytes.byteLength, reference.length * 8, 'C has n × m f64 values');
  const c = new Float64Array(new Uint8Array(bytes).buffer); // little-endian host
  for (let i = 0; i < reference.length; i++) {
    const error = Math.abs(c[i]! - reference[i]!) / Math.max(1, Math.abs(reference[i]!));
    if (!(error <= 1e-9)) assert.fail(`C[${i}] = ${c[i]}, reference ${reference[i]}`);
  }
}

/**
 * `count` pairs: the awkward ones first (empty password, salt or both; longer than a SHA-256
 * block, so HMAC hashes the key; non-ASCII, emoji; CSV metacharacters), then seeded ASCII.
 */
export function testPairs(count: number): Pair[] {
  const pairs: Pair[] = [
    { password: '', salt: 'empty password' },
    { password: 'empty salt', salt: '' },
    { password: '', salt: '' },
    { password: 'x'.repeat(65), salt: 'just over one block' },
    { password: 'long ü'.repeat(300), salt: 'NaCl' },
    { password: 'пароль密码パスワード', salt: 'sel über ça' },
    { password: '🔑🔒 emoji', salt: '🧂' },
    { password: 'comma, "quotes"', salt: 'line\nbreak' },
  ];
  let seed = 7;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  while (pairs.length < count) {
    const length = 1 + Math.floor(random() * 24);
    const password = Array.from({ length }, () =>
      String.fromCharCode(33 + Math.floor(random() * 94)),
    ).join('');
    pairs.push({ password, salt: `salt-${pairs.length}` });
  }
  return pairs.slice(0, count);
}

const quoted = (text: string) => `"${text.replaceAll('"', '""')}"`;

export function csvOf(pairs: Pair[]): string {
  return `password,salt\n${pairs.map((p) => `${quoted(p.password)},${quoted(p.salt)}`).join('\n')}\n`;
}

export function jsonlOf(pairs: Pair[]): string {
  return pairs.map((p) => JSON.stringify(p)).join('\n');
}

export function referenceKeys(pairs: Pair[], iterations: number, keyLength: number): string[] {
  return pairs.map((p) =>
    pbkdf2Sync(p.password, p.salt, iterations, keyLength, 'sha256').toString('hex'),
  );
}

/** The pairs and hashes of a downloaded result file, in its order. */
export function readResults(
  bytes: Buffer,
  format: 'csv' | 'jsonl',
): Array<Pair & { hash: string }> {
  const text = bytes.toString('utf8');
  if (format === 'csv') return parseCsv(text, { columns: true }) as Array<Pair & { hash: string }>;
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Pair & { hash: string });
}

export function assertKeys(results: Array<Pair & { hash: string }>, pairs: Pair[], keys: string[]) {
  assert.equal(results.length, pairs.length, 'one result per pair');
  results.forEach((row, i) => {
    assert.deepEqual(
      { password: row.password, salt: row.salt },
      pairs[i],
      `row ${i} is pair ${i} (input order)`,
    );
    assert.equal(row.hash, keys[i], `key of pair ${i}`);
  });
}
