import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse as parseCsvRecords } from 'csv-parse/sync';
import { isPdError } from '../../../../client/protocol/errors.ts';
import {
  MAX_FIELD_BYTES,
  csvField,
  decodePairs,
  detectPairsFormat,
  encodePairs,
  formatResults,
  pairOffsets,
  parsePairs,
  parsePairsCsv,
  parsePairsJsonl,
  toHex,
  utf8Length,
  type Pair,
} from '../../../../kernels/pbkdf2/pairs.ts';

/** Asserts that `run` throws PdError message-invalid naming `line`. */
function throwsAtLine(run: () => unknown, line: number, reason?: RegExp): void {
  assert.throws(run, (err) => {
    assert.ok(isPdError(err, 'message-invalid'), String(err));
    const details = err.details as { line: number; reason: string };
    assert.equal(details.line, line, details.reason);
    if (reason) assert.match(details.reason, reason);
    return true;
  });
}

/** Any string, lone surrogates included. */
const anyText = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
});
const anyPair = fc.record({ password: anyText, salt: anyText });
/** What a string becomes after UTF-8 (lone surrogates turn into U+FFFD). */
const viaUtf8 = (text: string) => new TextDecoder().decode(new TextEncoder().encode(text));

describe('pbkdf2 pairs: CSV input', () => {
  it('reads quoted fields with commas, quotes and line breaks, a BOM and CRLF', () => {
    const text =
      '\ufeffpassword,salt\r\n' +
      '"a,b","say ""hi"""\r\n' +
      '"two\r\nlines","x\ny"\r\n' +
      ',\r\n' +
      'plain,  spaced  \r\n' +
      'żółć 😀,"日本"';
    assert.deepEqual(parsePairsCsv(text), [
      { password: 'a,b', salt: 'say "hi"' },
      { password: 'two\r\nlines', salt: 'x\ny' },
      { password: '', salt: '' },
      { password: 'plain', salt: '  spaced  ' },
      { password: 'żółć 😀', salt: '日本' },
    ]);
  });

  it('accepts the columns in either order, any case, and skips blank lines', () => {
    assert.deepEqual(parsePairsCsv('\n Salt ,PASSWORD\n\ns1,p1\n\n\ns2,p2\n\n'), [
      { password: 'p1', salt: 's1' },
      { password: 'p2', salt: 's2' },
    ]);
    assert.deepEqual(parsePairsCsv('password,salt\rp,s\r'), [{ password: 'p', salt: 's' }]);
  });

  it('names the line of the problem', () => {
    throwsAtLine(() => parsePairsCsv(''), 1, /no header/);
    throwsAtLine(() => parsePairsCsv('password,salt\n'), 1, /no pairs/);
    throwsAtLine(() => parsePairsCsv('pw,salt\na,b\n'), 1, /header/);
    throwsAtLine(() => parsePairsCsv('password,salt,pepper\na,b,c\n'), 1, /header/);
    throwsAtLine(() => parsePairsCsv('\n\npassword\na\n'), 3, /header/);
    throwsAtLine(() => parsePairsCsv('password,salt\na,b\n"c\nd",e\nf,g,h\n'), 5, /Record Length/);
    throwsAtLine(() => parsePairsCsv('password,salt\r\na,b\r\nc\r\n'), 3, /Record Length/);
    throwsAtLine(() => parsePairsCsv('password,salt\na,b\n"unclosed,x\n'), 3, /Quote Not Closed/);
    throwsAtLine(() => parsePairsCsv('password,salt\na,b\n"a"x,b\n'), 3, /Closing Quote/);
    const long = 'x'.repeat(MAX_FIELD_BYTES + 1);
    throwsAtLine(() => parsePairsCsv(`password,salt\na,b\n"c\nd",${long}\n`), 3, /salt is longer/);
    parsePairsCsv(`password,salt\n${'x'.repeat(MAX_FIELD_BYTES)},\n`);
  });
});

describe('pbkdf2 pairs: JSONL input', () => {
  it('reads one object per line, with a BOM, CRLF, blank lines and extra keys', () => {
    const text =
      '\ufeff{"password": "a\\nb", "salt": "\\u0000"}\r\n' +
      '\r\n' +
      '  {"salt": "日本", "password": "😀", "note": 1}  \n' +
      '{"password":"","salt":""}';
    assert.deepEqual(parsePairsJsonl(text), [
      { password: 'a\nb', salt: '\0' },
      { password: '😀', salt: '日本' },
      { password: '', salt: '' },
    ]);
  });

  it('names the line of the problem', () => {
    throwsAtLine(() => parsePairsJsonl(''), 1, /no pairs/);
    throwsAtLine(() => parsePairsJsonl('\n\n'), 1, /no pairs/);
    throwsAtLine(
      () => parsePairsJsonl('{"password":"a","salt":"b"}\n{"password":"a",\n'),
      2,
      /JSON/,
    );
    throwsAtLine(() => parsePairsJsonl('\n\n[1, 2]\n'), 3, /object/);
    throwsAtLine(() => parsePairsJsonl('null\n'), 1, /object/);
    throwsAtLine(() => parsePairsJsonl('{"password":"a"}\n'), 1, /salt/);
    throwsAtLine(() => parsePairsJsonl('{"password":1,"salt":"b"}\n'), 1, /password/);
    const long = JSON.stringify({ password: 'é'.repeat(MAX_FIELD_BYTES / 2 + 1), salt: '' });
    throwsAtLine(
      () => parsePairsJsonl(`{"password":"a","salt":"b"}\r\n${long}\r\n`),
      2,
      /password/,
    );
  });

  it('detects the format from the first character', () => {
    assert.equal(detectPairsFormat('\ufeff \n {"password":"a","salt":"b"}'), 'jsonl');
    assert.equal(detectPairsFormat('password,salt\n{,}'), 'csv');
    assert.equal(detectPairsFormat(''), 'csv');
    assert.deepEqual(parsePairs('{"password":"a","salt":"b"}'), {
      format: 'jsonl',
      pairs: [{ password: 'a', salt: 'b' }],
    });
    assert.deepEqual(parsePairs('password,salt\na,b', 'csv').pairs, [{ password: 'a', salt: 'b' }]);
  });
});

describe('pbkdf2 pairs: blob layout', () => {
  it('encodes u32 LE length, UTF-8 bytes, for password then salt', () => {
    const bytes = encodePairs([
      { password: 'é', salt: '' },
      { password: 'a', salt: '😀' },
    ]);
    assert.deepEqual(
      [...bytes],
      [2, 0, 0, 0, 0xc3, 0xa9, 0, 0, 0, 0, 1, 0, 0, 0, 0x61, 4, 0, 0, 0, 0xf0, 0x9f, 0x98, 0x80],
    );
    assert.deepEqual(pairOffsets(bytes), [0, 10, 23]);
  });

  it('round-trips any pairs (as UTF-8 sees them), and counts UTF-8 bytes like TextEncoder', () => {
    fc.assert(
      fc.property(fc.array(anyPair, { maxLength: 20 }), (pairs) => {
        const decoded = decodePairs(encodePairs(pairs));
        assert.deepEqual(
          decoded,
          pairs.map(({ password, salt }) => ({ password: viaUtf8(password), salt: viaUtf8(salt) })),
        );
        for (const { password } of pairs) {
          assert.equal(utf8Length(password), new TextEncoder().encode(password).byteLength);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rejects truncated blobs, overlong fields and the wrong number of pairs', () => {
    const bytes = encodePairs([{ password: 'ab', salt: 'cd' }]);
    const rejects = (blob: Uint8Array, expected?: number) =>
      assert.throws(
        () => pairOffsets(blob, expected),
        (err) => isPdError(err, 'message-invalid'),
      );
    rejects(bytes.subarray(0, 3));
    rejects(bytes.subarray(0, 9));
    rejects(bytes.subarray(0, bytes.byteLength - 1));
    rejects(bytes, 2);
    const overlong = new Uint8Array(8 + MAX_FIELD_BYTES + 1);
    new DataView(overlong.buffer).setUint32(0, MAX_FIELD_BYTES + 1, true);
    rejects(overlong);
    assert.deepEqual(pairOffsets(new Uint8Array(0), 0), [0]);
  });
});

describe('pbkdf2 pairs: output', () => {
  const keys = Uint8Array.of(0x00, 0x0f, 0xa0, 0xff, 0x12, 0x34);

  it('writes CSV with a header, quoting only where needed, hashes in hex', () => {
    const pairs = [
      { password: 'a,b', salt: 'q"x' },
      { password: 'multi\nline', salt: 'plain' },
      { password: '', salt: ' ' },
    ];
    assert.equal(
      formatResults(pairs, keys, 2, 'csv'),
      'password,salt,hash\r\n"a,b","q""x",000f\r\n"multi\nline",plain,a0ff\r\n, ,1234\r\n',
    );
    assert.equal(csvField('cr\r'), '"cr\r"');
    assert.equal(toHex(keys), '000fa0ff1234');
  });

  it('writes JSONL, one object per line', () => {
    const pairs = [
      { password: 'a\nb', salt: '"' },
      { password: '😀', salt: '' },
    ];
    const lines = formatResults(pairs, keys.subarray(0, 4), 2, 'jsonl').split('\n');
    assert.deepEqual(
      lines.slice(0, 2).map((line) => JSON.parse(line)),
      [
        { password: 'a\nb', salt: '"', hash: '000f' },
        { password: '😀', salt: '', hash: 'a0ff' },
      ],
    );
    assert.equal(lines[2], '');
    assert.throws(() => formatResults(pairs, keys, 2, 'jsonl'), RangeError);
  });

  it('writes CSV that a CSV reader reads back to the same pairs, and JSONL that parses back', () => {
    fc.assert(
      fc.property(fc.array(anyPair, { minLength: 1, maxLength: 12 }), (raw) => {
        const pairs: Pair[] = raw.map(({ password, salt }) => ({
          password: viaUtf8(password),
          salt: viaUtf8(salt),
        }));
        const pairKeys = new Uint8Array(pairs.length * 3).map((_, i) => i * 7);
        const csv = formatResults(pairs, pairKeys, 3, 'csv');
        const rows = parseCsvRecords(csv, { columns: true }) as Record<string, string>[];
        assert.deepEqual(
          rows.map(({ password, salt }) => ({ password, salt })),
          pairs,
        );
        assert.deepEqual(
          rows.map(({ hash }) => hash),
          pairs.map((_, i) => toHex(pairKeys.subarray(3 * i, 3 * i + 3))),
        );
        const jsonl = formatResults(pairs, pairKeys, 3, 'jsonl');
        assert.deepEqual(parsePairs(jsonl).pairs, pairs);
        // The input parser reads CSV output once the hash column is dropped.
        const input = [
          'password,salt',
          ...pairs.map((p) => `${csvField(p.password)},${csvField(p.salt)}`),
        ];
        assert.deepEqual(parsePairsCsv(input.join('\r\n')), pairs);
      }),
      { numRuns: 200 },
    );
  });
});
