import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { instantiateBuiltKernel } from '../../../../client/node/main-thread-kernel.ts';
import { isPdError } from '../../../../client/protocol/errors.ts';
import type { KernelInstance } from '../../../../kernels/kernel-meta.ts';
import { kernelByName } from '../../../../kernels/registry.ts';
import { encodePairs, type Pair } from '../../../../kernels/pbkdf2/pair-blob.ts';
import {
  LANES,
  MAX_BLOBS,
  MAX_BLOB_PAIRS,
  blockCount,
  pairsPerChunk,
  paramsForPairs,
  pbkdf2,
  planBlobs,
  type Pbkdf2Params,
} from '../../../../kernels/pbkdf2/meta.ts';
import { itChecksTheKernelModule, random } from './support.ts';

const kernel = await instantiateBuiltKernel(pbkdf2);

/** Runs a whole job the way the controller and the workers do; returns the merged keys. */
function runJob(
  pairs: readonly Pair[],
  iterations: number,
  keyLength: number,
  instance: KernelInstance = kernel,
): { params: Pbkdf2Params; keys: Uint8Array } {
  // Params and chunks cross the wire as JSON.
  const params = pbkdf2.parseParams(
    JSON.parse(JSON.stringify(paramsForPairs(pairs, { iterations, keyLength }))),
  );
  const blobs = pbkdf2.blobs!(params, { pairs });
  const keys = pbkdf2.createOutput(params);
  for (const descriptor of pbkdf2.split(params)) {
    const chunk = pbkdf2.parseChunk(JSON.parse(JSON.stringify(descriptor)), params);
    const inputs = pbkdf2.inputsOf!(params, chunk).map((name) => blobs.get(name)!);
    const result = pbkdf2.execute(instance, params, chunk, inputs);
    pbkdf2.validateResult(params, chunk, result);
    assert.equal(result.byteLength, pbkdf2.maxResultBytes!(params, chunk));
    pbkdf2.merge(keys, params, chunk, result);
  }
  return { params, keys };
}

function hexKeys(keys: Uint8Array, keyLength: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < keys.byteLength; at += keyLength) {
    out.push(Buffer.from(keys.subarray(at, at + keyLength)).toString('hex'));
  }
  return out;
}

function nativeHex(pair: Pair, iterations: number, keyLength: number): string {
  return pbkdf2Sync(pair.password, pair.salt, iterations, keyLength, 'sha256').toString('hex');
}

describe('pbkdf2 kernel module', () => {
  itChecksTheKernelModule(pbkdf2);

  it('fits the largest chunk within the cap, and aborts instead of growing past it', async () => {
    // 1024 pairs of 256 bytes fill one blob exactly; keyLength 1024 at one iteration makes the
    // chunk the whole blob, so the kernel holds 256 KiB of input and 1 MiB of output.
    const pairs = Array.from({ length: MAX_BLOB_PAIRS }, (_, i) => ({
      password: `p${String(i).padStart(4, '0')}`.padEnd(124, 'x'),
      salt: `s${i}`.padEnd(124, 'y'),
    }));
    assert.deepEqual(planBlobs({ pairs }), [MAX_BLOB_PAIRS]);
    const capped = (maxMemoryPages: number) =>
      instantiateBuiltKernel({ name: pbkdf2.name, maxMemoryPages });
    const { params, keys } = runJob(pairs, 1, 1024, await capped(pbkdf2.maxMemoryPages));
    assert.equal(pbkdf2.split(params).length, 1);
    const hex = hexKeys(keys, 1024);
    for (const i of [0, 1, 511, 1022, 1023]) assert.equal(hex[i], nativeHex(pairs[i], 1, 1024));
    await assert.rejects(
      async () => runJob(pairs, 1, 1024, await capped(16)),
      (err) => isPdError(err, 'kernel-failed'),
    );
  });
});

describe('pbkdf2 derives the published PBKDF2-HMAC-SHA256 vectors', () => {
  const vectors: [string, string, number, number, string][] = [
    ['password', 'salt', 1, 32, '120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b'],
    ['password', 'salt', 2, 32, 'ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43'],
    [
      'password',
      'salt',
      4096,
      32,
      'c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a',
    ],
    [
      'passwordPASSWORDpassword',
      'saltSALTsaltSALTsaltSALTsaltSALTsalt',
      4096,
      40,
      '348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9',
    ],
    ['pass\0word', 'sa\0lt', 4096, 16, '89b69d0516f829893c696226650a8687'],
    // RFC 7914 §11.
    [
      'passwd',
      'salt',
      1,
      64,
      '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc' +
        '49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783',
    ],
    [
      'Password',
      'NaCl',
      80000,
      64,
      '4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56' +
        'a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d',
    ],
  ];
  for (const [password, salt, iterations, keyLength, expected] of vectors) {
    it(`${JSON.stringify(password)} / ${JSON.stringify(salt)}, c = ${iterations}, dkLen = ${keyLength}`, () => {
      const { keys } = runJob([{ password, salt }], iterations, keyLength);
      assert.deepEqual(hexKeys(keys, keyLength), [expected]);
    });
  }

  it('computes each lane of a group independently (vectors mixed with other pairs)', () => {
    const pairs = [
      { password: 'password', salt: 'salt' },
      { password: 'x'.repeat(65), salt: '' },
      { password: 'password', salt: 'salt' },
      { password: '', salt: 'salt' },
      { password: 'password', salt: 'salt' },
    ];
    const hex = hexKeys(runJob(pairs, 2, 32).keys, 32);
    for (const i of [0, 2, 4]) {
      assert.equal(hex[i], 'ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43');
    }
    assert.equal(hex[1], nativeHex(pairs[1], 2, 32));
    assert.equal(hex[3], nativeHex(pairs[3], 2, 32));
  });
});

/** A random string: empty, ASCII, Latin/CJK, emoji (surrogate pairs), lone surrogates, NUL. */
function randomText(next: () => number): string {
  const kind = next();
  const length =
    kind < 0.1 ? 0 : kind < 0.8 ? Math.floor(next() * 80) : Math.floor(next() * 1500) + 60;
  const alphabets = [
    () => String.fromCharCode(32 + Math.floor(next() * 95)),
    () => String.fromCharCode(0xa0 + Math.floor(next() * 0x700)),
    () => String.fromCharCode(0x4e00 + Math.floor(next() * 0x5000)),
    () => String.fromCodePoint(0x1f600 + Math.floor(next() * 80)),
    () => String.fromCharCode(0xd800 + Math.floor(next() * 0x800)),
    () => '\0',
  ];
  let text = '';
  while (text.length < length) text += alphabets[Math.floor(next() ** 2 * alphabets.length)]();
  return text;
}

describe('pbkdf2 equals crypto.pbkdf2Sync on random pairs', () => {
  const next = random(2024);
  const jobs = [
    { pairs: 1500, iterations: 1, keyLength: 32 },
    { pairs: 700, iterations: 3, keyLength: 20 },
    { pairs: 500, iterations: 17, keyLength: 64 },
    { pairs: 301, iterations: 50, keyLength: 33 },
    { pairs: 203, iterations: 2, keyLength: 100 },
    { pairs: 70, iterations: 9, keyLength: 1024 },
    { pairs: 3, iterations: 41, keyLength: 1 },
  ];
  for (const job of jobs) {
    it(`${job.pairs} pairs, c = ${job.iterations}, dkLen = ${job.keyLength}`, () => {
      const pairs = Array.from({ length: job.pairs }, () => ({
        password: randomText(next),
        salt: randomText(next),
      }));
      const { params, keys } = runJob(pairs, job.iterations, job.keyLength);
      assert.equal(params.count, job.pairs);
      const hex = hexKeys(keys, job.keyLength);
      pairs.forEach((pair, i) => {
        assert.equal(hex[i], nativeHex(pair, job.iterations, job.keyLength), `pair ${i}`);
      });
    });
  }

  it('hashes a password over 1000 bytes, a salt over 64 KiB minus a bit, and both empty', () => {
    const pairs = [
      { password: '😀'.repeat(400), salt: 'é'.repeat(30_000) },
      { password: '', salt: '' },
      { password: 'k'.repeat(64), salt: 's'.repeat(55) },
      { password: 'k'.repeat(63), salt: 's'.repeat(56) },
    ];
    const hex = hexKeys(runJob(pairs, 5, 70).keys, 70);
    pairs.forEach((pair, i) => assert.equal(hex[i], nativeHex(pair, 5, 70), `pair ${i}`));
  });
});

describe('pbkdf2 meta', () => {
  const short = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ password: `pw${i}`, salt: `salt${i}` }));

  it('cuts blobs at 1024 pairs or 256 KiB, and chunks within blobs in multiples of 4', () => {
    assert.deepEqual(planBlobs({ pairs: short(2500) }), [1024, 1024, 452]);
    // 300 pairs of ~1 KiB: 255 fit in 256 KiB.
    const big = Array.from({ length: 300 }, (_, i) => ({
      password: 'x'.repeat(1020),
      salt: String(i).padStart(3, '0'),
    }));
    assert.deepEqual(planBlobs({ pairs: big }), [
      Math.floor((256 * 1024) / 1031),
      300 - Math.floor((256 * 1024) / 1031),
    ]);
    const params = paramsForPairs(short(2500), { iterations: 1000, keyLength: 32 });
    assert.equal(pairsPerChunk(params), 32);
    const chunks = pbkdf2.split(params);
    assert.deepEqual(chunks.slice(0, 2), [
      { blob: 0, start: 0, count: 32 },
      { blob: 0, start: 32, count: 32 },
    ]);
    assert.deepEqual(chunks.at(-1), { blob: 2, start: 448, count: 4 });
    assert.equal(
      chunks.reduce((sum, chunk) => sum + chunk.count, 0),
      2500,
    );
    assert.deepEqual(pbkdf2.inputsOf!(params, chunks.at(-1)!), ['p/2']);
    assert.equal(pbkdf2.cost(params, chunks[0]), 32 * 1000);
  });

  it('sizes chunks by iterations and blocks, at least 4 and at most 1024 pairs', () => {
    const sizes = (iterations: number, keyLength: number) =>
      pairsPerChunk({ iterations, keyLength });
    assert.equal(sizes(1, 32), 1024);
    assert.equal(sizes(1, 1024), 1024);
    assert.equal(sizes(100, 32), 324);
    assert.equal(sizes(100, 64), 160);
    assert.equal(sizes(10_000, 32), LANES);
    assert.equal(sizes(10_000_000, 1024), LANES);
    for (const keyLength of [1, 31, 32, 33, 64, 1023, 1024]) {
      assert.equal(blockCount(keyLength), Math.ceil(keyLength / 32));
    }
  });

  it('parseChunk accepts exactly the chunks split makes', () => {
    const params = paramsForPairs(short(2100), { iterations: 500, keyLength: 40 });
    const perChunk = pairsPerChunk(params);
    const chunks = pbkdf2.split(params);
    for (const chunk of chunks) assert.deepEqual(pbkdf2.parseChunk({ ...chunk }, params), chunk);
    const bad = [
      { blob: 0, start: 1, count: perChunk },
      { blob: 0, start: 0, count: perChunk - 1 },
      { blob: 0, start: 0, count: perChunk + 4 },
      { blob: 3, start: 0, count: perChunk },
      { blob: 2, start: 52, count: perChunk },
      { blob: -1, start: 0, count: perChunk },
      { blob: 0, start: 0.5, count: perChunk },
      { blob: '0', start: 0, count: perChunk },
      { blob: 0, start: 0 },
      null,
      7,
    ];
    for (const chunk of bad) {
      assert.throws(
        () => pbkdf2.parseChunk(chunk, params),
        (err) => isPdError(err, 'message-invalid'),
        JSON.stringify(chunk),
      );
    }
  });

  it('rejects invalid params with PdError message-invalid', () => {
    const good = { iterations: 1000, keyLength: 32, count: 1030, blobPairs: [1024, 6] };
    assert.deepEqual(pbkdf2.parseParams({ ...good, extra: 1 }), good);
    const bad: Record<string, unknown>[] = [
      { iterations: 0 },
      { iterations: 10_000_001 },
      { iterations: 1.5 },
      { iterations: '1000' },
      { keyLength: 0 },
      { keyLength: 1025 },
      { count: 1031 },
      { count: 0, blobPairs: [] },
      { blobPairs: [1025, 5] },
      { blobPairs: [1030, 0] },
      { blobPairs: undefined },
      { count: 8193 * 1024, blobPairs: new Array(8193).fill(1024) },
      // 600,000 pairs × 1024 bytes is over the 512 MiB output cap.
      { count: 600 * 1024, keyLength: 1024, blobPairs: new Array(600).fill(1024) },
    ];
    for (const change of bad) {
      assert.throws(
        () => pbkdf2.parseParams({ ...good, ...change }),
        (err) => isPdError(err, 'message-invalid'),
        JSON.stringify(change).slice(0, 80),
      );
    }
    for (const input of [null, 42, 'params', []]) {
      assert.throws(
        () => pbkdf2.parseParams(input),
        (err) => isPdError(err, 'message-invalid'),
      );
    }
  });

  it('keeps params JSON under 64 KiB for a million pairs, and for the most blobs', () => {
    const params = paramsForPairs(short(1_000_000), { iterations: 1000, keyLength: 32 });
    assert.equal(params.blobPairs.length, Math.ceil(1_000_000 / 1024));
    assert.ok(JSON.stringify(params).length < 64 * 1024);
    const most = { iterations: 1, keyLength: 32, count: MAX_BLOBS * 1024 };
    const json = JSON.stringify({ ...most, blobPairs: new Array(MAX_BLOBS).fill(1024) });
    assert.ok(json.length < 64 * 1024, `${json.length}`);
    pbkdf2.parseParams(JSON.parse(json));
  });

  it('blobs() validates the data and that it matches the params', () => {
    const pairs = short(10);
    const params = paramsForPairs(pairs, { iterations: 1, keyLength: 32 });
    const blobs = pbkdf2.blobs!(params, { pairs });
    assert.deepEqual([...blobs.keys()], ['p/0']);
    assert.deepEqual(blobs.get('p/0'), encodePairs(pairs));
    const bad: unknown[] = [
      null,
      {},
      { pairs: 'x' },
      { pairs: [...pairs.slice(0, 9), { password: 'a' }] },
      { pairs: [...pairs.slice(0, 9), { password: 1, salt: 'b' }] },
      { pairs: [...pairs.slice(0, 9), null] },
      { pairs: pairs.slice(0, 9) },
      { pairs: [...pairs.slice(0, 9), { password: 'a'.repeat(65_537), salt: '' }] },
      { pairs: [...pairs.slice(0, 9), { password: '', salt: 'é'.repeat(32_769) }] },
    ];
    for (const data of bad) {
      assert.throws(
        () => pbkdf2.blobs!(params, data),
        (err) => isPdError(err, 'message-invalid'),
        JSON.stringify(data)?.slice(0, 80),
      );
    }
    const other = paramsForPairs(short(1030), { iterations: 1, keyLength: 32 });
    assert.throws(() => pbkdf2.blobs!({ ...other, blobPairs: [1030] }, { pairs: short(1030) }));
  });

  it('execute rejects a missing, wrong or malformed blob', () => {
    const pairs = short(10);
    const params = paramsForPairs(pairs, { iterations: 1, keyLength: 32 });
    const [chunk] = pbkdf2.split(params);
    const blob = encodePairs(pairs);
    const fails = (inputs: Uint8Array[]) =>
      assert.throws(
        () => pbkdf2.execute(kernel, params, chunk, inputs),
        (err) => isPdError(err, 'message-invalid'),
      );
    fails([]);
    fails([blob, blob]);
    fails([encodePairs(short(9))]);
    fails([blob.subarray(0, blob.byteLength - 1)]);
    fails([new Uint8Array(256 * 1024 + 1)]);
    // A field length past the end of the blob.
    const lying = blob.slice();
    new DataView(lying.buffer).setUint32(0, 1000, true);
    fails([lying]);
    assert.equal(pbkdf2.execute(kernel, params, chunk, [blob]).byteLength, 320);
  });

  it('rejects results of the wrong size', () => {
    const params = paramsForPairs(short(10), { iterations: 1, keyLength: 20 });
    const [chunk] = pbkdf2.split(params);
    pbkdf2.validateResult(params, chunk, new Uint8Array(200));
    assert.throws(() => pbkdf2.validateResult(params, chunk, new Uint8Array(201)), isPdError);
    assert.throws(() => pbkdf2.validateResult(params, chunk, new Uint8Array(0)), isPdError);
  });

  it('is found in the registry by name', () => {
    assert.equal(kernelByName('pbkdf2'), pbkdf2);
  });
});
