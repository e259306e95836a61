import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateSync } from 'fflate';
import { isPdError } from '../../../client/protocol/errors.ts';
import {
  decodeResult,
  encodeRawResult,
  encodeResult,
} from '../../../client/protocol/result-encoding.ts';

describe('chunk result encoding', () => {
  it('deflates compressible results and round-trips them', () => {
    const counts = new Uint8Array(32 * 1024).fill(7); // an interior tile: one value
    const encoded = encodeResult(counts);
    assert.equal(encoded[0], 1);
    assert.ok(encoded.byteLength < counts.byteLength / 20, `${encoded.byteLength} bytes`);
    assert.deepEqual(decodeResult(encoded, counts.byteLength), counts);
  });

  it('sends small or incompressible results as they are', () => {
    const small = Uint8Array.of(1, 2, 3);
    assert.deepEqual(encodeResult(small), Uint8Array.of(0, 1, 2, 3));
    const noise = new Uint8Array(4096).map(() => Math.floor(Math.random() * 256));
    const encoded = encodeResult(noise);
    assert.equal(encoded[0], 0);
    assert.deepEqual(decodeResult(encoded, 4096), noise);
    assert.deepEqual(decodeResult(encodeRawResult(small), 3), small);
  });

  it('refuses a body that would inflate past the bound (a zip bomb)', () => {
    const bomb = Uint8Array.of(1, ...deflateSync(new Uint8Array(10_000_000)));
    assert.ok(bomb.byteLength < 20_000);
    assert.throws(
      () => decodeResult(bomb, 1024 * 1024),
      (err) => isPdError(err, 'message-invalid'),
    );
  });

  it('inflates above 1 MiB in steps: bounded, and without a maxBytes-sized buffer', () => {
    const big = new Uint8Array(3_000_000).map((_, i) => (i >> 10) & 0xff);
    const body = encodeResult(big);
    assert.equal(body[0], 1, 'deflated');
    assert.deepEqual(decodeResult(body, 16 * 1024 * 1024), big);
    assert.throws(
      () => decodeResult(body, 2_999_999),
      (err) => isPdError(err, 'message-invalid'),
    );
    const bomb = Uint8Array.of(1, ...deflateSync(new Uint8Array(50_000_000)));
    assert.throws(
      () => decodeResult(bomb, 4 * 1024 * 1024),
      (err) => isPdError(err, 'message-invalid'),
    );
  });

  it('refuses empty, unknown and corrupt bodies with message-invalid', () => {
    for (const body of [
      new Uint8Array(0),
      Uint8Array.of(9, 1, 2),
      Uint8Array.of(1, 255, 255, 255, 0),
    ]) {
      assert.throws(
        () => decodeResult(body, 1024),
        (err) => isPdError(err, 'message-invalid'),
      );
    }
    assert.throws(
      () => decodeResult(encodeRawResult(new Uint8Array(10)), 9),
      (err) => isPdError(err, 'message-invalid'),
    );
  });
});
