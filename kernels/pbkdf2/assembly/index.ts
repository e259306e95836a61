// asc-flags: --initialMemory 1 --maximumMemory 32
// (read by scripts/build-kernels.js; the maximum must equal `maxMemoryPages` in ../meta.ts)

/**
 * PBKDF2-HMAC-SHA256 kernel (see ../README.md for the contract).
 *
 * The caller writes `count` pairs in the blob layout (per pair: u32 LE password length, the
 * password's bytes, u32 LE salt length, the salt's bytes) at the address `inputAddress`
 * returns, then calls `derive`, which returns the address of count·keyLength derived bytes,
 * pair after pair.
 *
 * Four pairs are hashed at once, one per i32x4 lane. Per pair, once: the HMAC key block (the
 * password, or its SHA-256 when longer than 64 bytes), the inner and outer states after the
 * key block xor ipad / opad, and for each output block U1 = HMAC(salt ‖ INT(i)) — all scalar,
 * since messages differ in length. Then every further iteration is HMAC over a 32-byte
 * message: two compressions of a single 64-byte block (digest ‖ fixed padding of a 96-byte
 * message) from the precomputed states, in SIMD across the four lanes. A last group of fewer
 * than four pairs leaves its spare lanes computing stale data, which is never written out.
 *
 * Memory after static data (stub runtime, no GC): the SIMD schedule, the four lanes' inner
 * states, outer states, U and T (word-major: word j of lane p at +16·j + 4·p), scalar
 * scratch, then the input and the output.
 */

/** SHA-256 round constants (FIPS 180-4 §4.2.2). */
const K: usize = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 initial hash value (FIPS 180-4 §5.3.3). */
const IV: usize = memory.data<u32>([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const W4: usize = (__heap_base + 15) & ~(<usize>15); // 64 × v128: the SIMD message schedule
const IST: usize = W4 + 1024; // 8 × v128: the lanes' inner states (after key ⊕ ipad)
const OST: usize = IST + 128; // 8 × v128: the lanes' outer states (after key ⊕ opad)
const U: usize = OST + 128; // 8 × v128: the lanes' current U_j
const T: usize = U + 128; // 8 × v128: the lanes' U_1 ⊕ … ⊕ U_j
const W1: usize = T + 128; // 64 × u32: the scalar message schedule
const STATE: usize = W1 + 256; // 8 × u32: a scalar hash state
const KEY: usize = STATE + 32; // 64 bytes: the HMAC key block
const PAD: usize = KEY + 64; // 64 bytes: the key block ⊕ ipad or opad
const TAIL: usize = PAD + 64; // 128 bytes: a message's last one or two blocks
const BLOCK_INDEX: usize = TAIL + 128; // 4 bytes: INT(i), big-endian
const PAIRS: usize = BLOCK_INDEX + 16; // 4 × (pw ptr, pw len, salt ptr, salt len): the group
const INPUT: usize = PAIRS + 64;

/** Where the output of a chunk whose input is `inputBytes` long starts. */
function outputAddress(inputBytes: i32): usize {
  return (INPUT + <usize>inputBytes + 15) & ~(<usize>15);
}

/** Grows the imported memory so that [0, end) is addressable; aborts past the cap. */
function ensureMemory(end: usize): void {
  const have = (<usize>memory.size()) << 16;
  if (end <= have) return;
  const pages = <i32>((end - have + 0xffff) >>> 16);
  if (memory.grow(pages) < 0) abort('chunk exceeds the memory cap');
}

// ---- Scalar SHA-256, for the per-pair set-up ----

/** Compresses the 64-byte block at `block` into the 8-word state at `state`. */
function compress1(state: usize, block: usize): void {
  for (let t: usize = 0; t < 16; t++) {
    store<u32>(W1 + (t << 2), bswap<u32>(load<u32>(block + (t << 2))));
  }
  for (let t: usize = 16; t < 64; t++) {
    const w15 = load<u32>(W1 + ((t - 15) << 2));
    const w2 = load<u32>(W1 + ((t - 2) << 2));
    const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
    const w = load<u32>(W1 + ((t - 16) << 2)) + s0 + load<u32>(W1 + ((t - 7) << 2)) + s1;
    store<u32>(W1 + (t << 2), w);
  }
  let a = load<u32>(state),
    b = load<u32>(state, 4),
    c = load<u32>(state, 8),
    d = load<u32>(state, 12);
  let e = load<u32>(state, 16),
    f = load<u32>(state, 20),
    g = load<u32>(state, 24),
    h = load<u32>(state, 28);
  for (let t: usize = 0; t < 64; t++) {
    const s1 = rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25);
    const t1 = h + s1 + ((e & f) ^ (~e & g)) + load<u32>(K + (t << 2)) + load<u32>(W1 + (t << 2));
    const s0 = rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22);
    const t2 = s0 + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  store<u32>(state, load<u32>(state) + a);
  store<u32>(state, load<u32>(state, 4) + b, 4);
  store<u32>(state, load<u32>(state, 8) + c, 8);
  store<u32>(state, load<u32>(state, 12) + d, 12);
  store<u32>(state, load<u32>(state, 16) + e, 16);
  store<u32>(state, load<u32>(state, 20) + f, 20);
  store<u32>(state, load<u32>(state, 24) + g, 24);
  store<u32>(state, load<u32>(state, 28) + h, 28);
}

/**
 * Continues the hash in `state`, which has already absorbed `prefixBytes` (a multiple of 64),
 * over data[0, length) ‖ extra[0, extraLength) and finishes it (padding and bit length): the
 * state then holds the digest's words.
 */
function finishHash(
  state: usize,
  prefixBytes: i32,
  data: usize,
  length: i32,
  extra: usize,
  extraLength: i32,
): void {
  let at = data;
  let left = length;
  for (; left >= 64; left -= 64, at += 64) compress1(state, at);
  memory.copy(TAIL, at, <usize>left);
  memory.copy(TAIL + <usize>left, extra, <usize>extraLength);
  let used = <usize>(left + extraLength);
  store<u8>(TAIL + used++, 0x80);
  const end: usize = used + 8 <= 64 ? 64 : 128;
  memory.fill(TAIL + used, 0, end - used);
  const bits = (<u64>prefixBytes + <u64>length + <u64>extraLength) << 3;
  store<u64>(TAIL + end - 8, bswap<u64>(bits));
  compress1(state, TAIL);
  if (end == 128) compress1(state, TAIL + 64);
}

/** Sets `state` to the initial hash value. */
function resetState(state: usize): void {
  memory.copy(state, IV, 32);
}

/**
 * Writes the 8-word state at `digest` as a big-endian 32-byte message at `block`, followed by
 * the padding of a 96-byte message (a 64-byte key block, then this digest).
 */
function digestBlock(block: usize, digest: usize): void {
  for (let j: usize = 0; j < 8; j++)
    store<u32>(block + (j << 2), bswap<u32>(load<u32>(digest + (j << 2))));
  store<u32>(block + 32, 0x80);
  memory.fill(block + 36, 0, 24);
  store<u32>(block + 60, bswap<u32>(96 << 3));
}

/** Word j of lane p of a word-major SIMD array. */
function laneWord(array: usize, j: usize, p: usize): usize {
  return array + (j << 4) + (p << 2);
}

/** Copies the 8 words at `words` into lane p of `array`. */
function setLane(array: usize, p: usize, words: usize): void {
  for (let j: usize = 0; j < 8; j++) store<u32>(laneWord(array, j, p), load<u32>(words + (j << 2)));
}

/** The HMAC key of lane p: its inner and outer states, from the password at [pw, pw + length). */
function setKey(p: usize, pw: usize, length: i32): void {
  memory.fill(KEY, 0, 64);
  if (length > 64) {
    resetState(STATE);
    finishHash(STATE, 0, pw, length, 0, 0);
    for (let j: usize = 0; j < 8; j++)
      store<u32>(KEY + (j << 2), bswap<u32>(load<u32>(STATE + (j << 2))));
  } else {
    memory.copy(KEY, pw, <usize>length);
  }
  for (let i: usize = 0; i < 64; i++) store<u8>(PAD + i, load<u8>(KEY + i) ^ 0x36);
  resetState(STATE);
  compress1(STATE, PAD);
  setLane(IST, p, STATE);
  for (let i: usize = 0; i < 64; i++) store<u8>(PAD + i, load<u8>(KEY + i) ^ 0x5c);
  resetState(STATE);
  compress1(STATE, PAD);
  setLane(OST, p, STATE);
}

/** Reads word j of lane p of `array` into STATE (all 8 words). */
function getLane(array: usize, p: usize): void {
  for (let j: usize = 0; j < 8; j++) store<u32>(STATE + (j << 2), load<u32>(laneWord(array, j, p)));
}

/** U1 = HMAC(salt ‖ INT(index)) of lane p, into its U and T. */
function firstU(p: usize, salt: usize, length: i32, index: u32): void {
  store<u32>(BLOCK_INDEX, bswap<u32>(index));
  getLane(IST, p);
  finishHash(STATE, 64, salt, length, BLOCK_INDEX, 4);
  digestBlock(PAD, STATE);
  getLane(OST, p);
  compress1(STATE, PAD);
  setLane(U, p, STATE);
  setLane(T, p, STATE);
}

// ---- SIMD SHA-256 over four lanes ----

function rotr4(x: v128, n: i32): v128 {
  return v128.or(i32x4.shr_u(x, n), i32x4.shl(x, 32 - n));
}

function sum1(e: v128, f: v128, g: v128, h: v128, t: usize): v128 {
  const s1 = v128.xor(v128.xor(rotr4(e, 6), rotr4(e, 11)), rotr4(e, 25));
  const ch = v128.bitselect(f, g, e);
  const wk = i32x4.add(v128.load(W4 + (t << 4)), v128.load32_splat(K + (t << 2)));
  return i32x4.add(i32x4.add(h, s1), i32x4.add(ch, wk));
}

function sum0(a: v128, b: v128, c: v128): v128 {
  const s0 = v128.xor(v128.xor(rotr4(a, 2), rotr4(a, 13)), rotr4(a, 22));
  // Maj(a, b, c) is b where a ≠ c, else c (= a).
  return i32x4.add(s0, v128.bitselect(b, c, v128.xor(a, c)));
}

/** Writes the constant half of the SIMD schedule: the padding of a 96-byte message. */
function initSchedule(): void {
  v128.store(W4 + (8 << 4), i32x4.splat(0x80000000));
  for (let t: usize = 9; t < 15; t++) v128.store(W4 + (t << 4), i32x4.splat(0));
  v128.store(W4 + (15 << 4), i32x4.splat(96 << 3));
}

/**
 * For each lane: compresses the block (the 8 words at `msg`, then the padding that
 * initSchedule wrote) into a copy of the state at `state`, and writes the result to `out`
 * (which may be `msg`).
 */
function compress4(state: usize, msg: usize, out: usize): void {
  for (let t: usize = 0; t < 8; t++) v128.store(W4 + (t << 4), v128.load(msg + (t << 4)));
  for (let t: usize = 16; t < 64; t++) {
    const w15 = v128.load(W4 + ((t - 15) << 4));
    const w2 = v128.load(W4 + ((t - 2) << 4));
    const s0 = v128.xor(v128.xor(rotr4(w15, 7), rotr4(w15, 18)), i32x4.shr_u(w15, 3));
    const s1 = v128.xor(v128.xor(rotr4(w2, 17), rotr4(w2, 19)), i32x4.shr_u(w2, 10));
    const w16 = v128.load(W4 + ((t - 16) << 4));
    const w7 = v128.load(W4 + ((t - 7) << 4));
    v128.store(W4 + (t << 4), i32x4.add(i32x4.add(w16, s0), i32x4.add(w7, s1)));
  }
  let a = v128.load(state),
    b = v128.load(state, 16),
    c = v128.load(state, 32),
    d = v128.load(state, 48);
  let e = v128.load(state, 64),
    f = v128.load(state, 80),
    g = v128.load(state, 96),
    h = v128.load(state, 112);
  // Eight rounds per pass, the variables renamed instead of shifted.
  for (let t: usize = 0; t < 64; t += 8) {
    let t1 = sum1(e, f, g, h, t);
    d = i32x4.add(d, t1);
    h = i32x4.add(t1, sum0(a, b, c));
    t1 = sum1(d, e, f, g, t + 1);
    c = i32x4.add(c, t1);
    g = i32x4.add(t1, sum0(h, a, b));
    t1 = sum1(c, d, e, f, t + 2);
    b = i32x4.add(b, t1);
    f = i32x4.add(t1, sum0(g, h, a));
    t1 = sum1(b, c, d, e, t + 3);
    a = i32x4.add(a, t1);
    e = i32x4.add(t1, sum0(f, g, h));
    t1 = sum1(a, b, c, d, t + 4);
    h = i32x4.add(h, t1);
    d = i32x4.add(t1, sum0(e, f, g));
    t1 = sum1(h, a, b, c, t + 5);
    g = i32x4.add(g, t1);
    c = i32x4.add(t1, sum0(d, e, f));
    t1 = sum1(g, h, a, b, t + 6);
    f = i32x4.add(f, t1);
    b = i32x4.add(t1, sum0(c, d, e));
    t1 = sum1(f, g, h, a, t + 7);
    e = i32x4.add(e, t1);
    a = i32x4.add(t1, sum0(b, c, d));
  }
  v128.store(out, i32x4.add(a, v128.load(state)));
  v128.store(out, i32x4.add(b, v128.load(state, 16)), 16);
  v128.store(out, i32x4.add(c, v128.load(state, 32)), 32);
  v128.store(out, i32x4.add(d, v128.load(state, 48)), 48);
  v128.store(out, i32x4.add(e, v128.load(state, 64)), 64);
  v128.store(out, i32x4.add(f, v128.load(state, 80)), 80);
  v128.store(out, i32x4.add(g, v128.load(state, 96)), 96);
  v128.store(out, i32x4.add(h, v128.load(state, 112)), 112);
}

/** The remaining iterations of the four lanes: U ← HMAC(U), T ← T ⊕ U. */
function iterate4(iterations: i32): void {
  for (let k = 1; k < iterations; k++) {
    compress4(IST, U, U);
    compress4(OST, U, U);
    for (let j: usize = 0; j < 128; j += 16) {
      v128.store(T + j, v128.xor(v128.load(T + j), v128.load(U + j)));
    }
  }
}

// ---- The chunk ----

/**
 * Makes room for a chunk of `count` pairs whose input is `inputBytes` long and whose output is
 * count·keyLength bytes; returns the address where the caller writes the input.
 */
export function inputAddress(inputBytes: i32, count: i32, keyLength: i32): usize {
  ensureMemory(outputAddress(inputBytes) + <usize>count * <usize>keyLength);
  return INPUT;
}

/** Reads a u32 LE length at `at` and checks that that many bytes follow before `end`. */
function fieldLength(at: usize, end: usize): i32 {
  if (at + 4 > end) abort('pair input is truncated');
  const length = load<u32>(at);
  if (<u64>length > <u64>(end - at - 4)) abort('pair input is truncated');
  return <i32>length;
}

/**
 * Derives keyLength bytes for each of the `count` pairs written at `inputAddress`: PBKDF2 with
 * HMAC-SHA256 and `iterations` ≥ 1. Returns the address of the count·keyLength output bytes.
 */
export function derive(inputBytes: i32, count: i32, iterations: i32, keyLength: i32): usize {
  const out = outputAddress(inputBytes);
  ensureMemory(out + <usize>count * <usize>keyLength);
  initSchedule();
  const end = INPUT + <usize>inputBytes;
  const blocks = (keyLength + 31) >>> 5;
  let at = INPUT;
  for (let group = 0; group < count; group += 4) {
    const lanes = <usize>min(4, count - group);
    for (let p: usize = 0; p < lanes; p++) {
      const pwLength = fieldLength(at, end);
      const pw = at + 4;
      at = pw + <usize>pwLength;
      const saltLength = fieldLength(at, end);
      store<u32>(PAIRS + (p << 4), <u32>(at + 4));
      store<u32>(PAIRS + (p << 4), saltLength, 4);
      at += 4 + <usize>saltLength;
      setKey(p, pw, pwLength);
    }
    for (let block = 1; block <= blocks; block++) {
      for (let p: usize = 0; p < lanes; p++) {
        firstU(p, load<u32>(PAIRS + (p << 4)), load<i32>(PAIRS + (p << 4), 4), <u32>block);
      }
      iterate4(iterations);
      const offset = (block - 1) << 5;
      const bytes = <usize>min(32, keyLength - offset);
      for (let p: usize = 0; p < lanes; p++) {
        getLane(T, p);
        for (let j: usize = 0; j < 8; j++)
          store<u32>(TAIL + (j << 2), bswap<u32>(load<u32>(STATE + (j << 2))));
        const pair = <usize>group + p;
        memory.copy(out + pair * <usize>keyLength + <usize>offset, TAIL, bytes);
      }
    }
  }
  if (at != end) abort('pair input has trailing bytes');
  return out;
}
