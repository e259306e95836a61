/**
 * A PBKDF2 job's files: reading (password, salt) pairs from CSV or JSONL text, and writing the
 * pairs with their hex keys back in the same format. Realm-neutral (csv-parse's browser ESM
 * build needs neither Node nor the DOM). The blob layout lives in pair-blob.ts, re-exported
 * here, so that workers, which only need the layout, do not load the CSV parser.
 */
import { CsvError, parse as parseCsvRecords } from 'csv-parse/browser/esm/sync';
import type { Info } from 'csv-parse/browser/esm/sync';
import { PdError } from '../../client/protocol/errors.ts';
import { MAX_FIELD_BYTES, utf8Length } from './pair-blob.ts';
import type { Pair } from './pair-blob.ts';

export { MAX_FIELD_BYTES, decodePairs, encodePairs, pairOffsets, utf8Length } from './pair-blob.ts';
export type { Pair } from './pair-blob.ts';

/** The two input formats; the output is written in the input's format. */
export type PairsFormat = 'csv' | 'jsonl';

const BOM = '\ufeff';

/** PdError 'message-invalid' for bad input text, naming the 1-based line. */
function badLine(line: number, reason: string): PdError {
  return new PdError('message-invalid', { line, reason });
}

function checkFieldLengths(pair: Pair, line: number): Pair {
  for (const field of ['password', 'salt'] as const) {
    if (utf8Length(pair[field]) > MAX_FIELD_BYTES) {
      throw badLine(line, `${field} is longer than ${MAX_FIELD_BYTES} UTF-8 bytes`);
    }
  }
  return pair;
}

/** 'jsonl' when the first non-blank character (after a BOM) is '{', else 'csv'. */
export function detectPairsFormat(text: string): PairsFormat {
  return /^\ufeff?\s*\{/.test(text) ? 'jsonl' : 'csv';
}

/**
 * Pairs from CSV (RFC 4180: a header naming the columns `password` and `salt`, in either order;
 * fields with commas, quotes or line breaks in double quotes, a quote inside doubled; LF, CRLF
 * or CR line ends; a UTF-8 BOM and blank lines ignored). Throws PdError 'message-invalid' with
 * the line of the first problem, or when there are no pairs.
 */
export function parsePairsCsv(text: string): Pair[] {
  let rows: { record: string[]; info: Info }[];
  try {
    rows = parseCsvRecords(text, { bom: true, skip_empty_lines: true, info: true }) as never;
  } catch (err) {
    if (err instanceof CsvError) {
      const line = typeof err.lines === 'number' ? err.lines : 0;
      throw badLine(line, err.message);
    }
    throw err;
  }
  const header = rows[0];
  if (!header) throw badLine(1, 'no header: expected "password,salt"');
  const names = header.record.map((name) => name.trim().toLowerCase());
  const passwordColumn = names.indexOf('password');
  const saltColumn = names.indexOf('salt');
  if (names.length !== 2 || passwordColumn < 0 || saltColumn < 0) {
    throw badLine(
      firstLineOf(rows, 0),
      `header must name the columns password and salt, got "${header.record.join(',')}"`,
    );
  }
  if (rows.length === 1) throw badLine(header.info.lines, 'no pairs after the header');
  // csv-parse itself rejects a record whose field count differs from the header's.
  return rows
    .slice(1)
    .map(({ record }, index) =>
      checkFieldLengths(
        { password: record[passwordColumn], salt: record[saltColumn] },
        firstLineOf(rows, index + 1),
      ),
    );
}

/** The line a record starts on: csv-parse counts lines up to its end. */
function firstLineOf(rows: readonly { record: string[]; info: Info }[], index: number): number {
  const { record, info } = rows[index];
  let breaks = 0;
  for (const field of record) breaks += field.split(/\r\n|\r|\n/).length - 1;
  return info.lines - breaks;
}

/**
 * Pairs from JSONL: one `{"password": "...", "salt": "..."}` object per line (other keys are
 * ignored; blank lines, a BOM and CRLF are allowed). Throws PdError 'message-invalid' with the
 * line of the first problem, or when there are no pairs.
 */
export function parsePairsJsonl(text: string): Pair[] {
  const pairs: Pair[] = [];
  const lines = (text.startsWith(BOM) ? text.slice(1) : text).split('\n');
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw badLine(index + 1, `not valid JSON: ${(err as Error).message}`);
    }
    const { password, salt } = (value ?? {}) as Record<string, unknown>;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw badLine(index + 1, 'expected an object {"password": "...", "salt": "..."}');
    }
    if (typeof password !== 'string' || typeof salt !== 'string') {
      throw badLine(index + 1, 'expected string "password" and "salt"');
    }
    pairs.push(checkFieldLengths({ password, salt }, index + 1));
  });
  if (pairs.length === 0) throw badLine(1, 'no pairs');
  return pairs;
}

/** Pairs from CSV or JSONL text (detected when `format` is not given), with the format. */
export function parsePairs(
  text: string,
  format: PairsFormat = detectPairsFormat(text),
): { format: PairsFormat; pairs: Pair[] } {
  return { format, pairs: format === 'jsonl' ? parsePairsJsonl(text) : parsePairsCsv(text) };
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** `bytes` as lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += HEX[byte];
  return hex;
}

/** A CSV field, in double quotes (a quote doubled) when it holds a comma, quote or line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The pairs with their derived keys (pair i's key is keys[i·keyLength, (i+1)·keyLength)), as
 * hex, in input order: CSV `password,salt,hash` with CRLF line ends (RFC 4180), or JSONL
 * `{"password","salt","hash"}` lines.
 */
export function formatResults(
  pairs: readonly Pair[],
  keys: Uint8Array,
  keyLength: number,
  format: PairsFormat,
): string {
  if (keys.byteLength !== pairs.length * keyLength) {
    throw new RangeError(`${keys.byteLength} key bytes for ${pairs.length} × ${keyLength}`);
  }
  const hashOf = (i: number) => toHex(keys.subarray(i * keyLength, (i + 1) * keyLength));
  if (format === 'jsonl') {
    return pairs
      .map(({ password, salt }, i) => `${JSON.stringify({ password, salt, hash: hashOf(i) })}\n`)
      .join('');
  }
  const rows = pairs.map(
    ({ password, salt }, i) => `${csvField(password)},${csvField(salt)},${hashOf(i)}\r\n`,
  );
  return `password,salt,hash\r\n${rows.join('')}`;
}
