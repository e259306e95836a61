import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isPdError, type PdErrorCode } from '../../../client/protocol/errors.ts';
import {
  FRAGMENT_HEADER_BYTES,
  FrameAssembler,
  encodeCancelFragment,
  encodeFrame,
  type Frame,
} from '../../../client/protocol/frame.ts';
import {
  FLAG_HAS_BODY,
  FRAME_VERSION,
  writeFragmentHeader,
} from '../../../client/protocol/frame-layout.ts';

/** Deterministic bytes (xorshift32), so a failure reproduces. */
function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Pushes every fragment; only the last may complete the frame. */
function pushAll(assembler: FrameAssembler, fragments: Uint8Array[]): Frame {
  fragments.slice(0, -1).forEach((f) => assert.equal(assembler.push(f), undefined));
  const frame = assembler.push(fragments.at(-1)!);
  assert.ok(frame, 'the last fragment completes the frame');
  return frame;
}

/** A fragment with any header fields and a logical message built from raw parts. */
function rawFragment(
  fields: { flags?: number; id?: number; index?: number; count?: number; total?: number },
  payload: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(FRAGMENT_HEADER_BYTES + payload.byteLength);
  writeFragmentHeader(out, {
    version: FRAME_VERSION,
    flags: fields.flags ?? 0,
    messageId: fields.id ?? 99,
    index: fields.index ?? 0,
    count: fields.count ?? 1,
    total: fields.total ?? payload.byteLength,
  });
  out.set(payload, FRAGMENT_HEADER_BYTES);
  return out;
}

/** A logical message whose header bytes are given verbatim. */
function logical(headerBytes: Uint8Array, headerLength = headerBytes.byteLength): Uint8Array {
  const out = new Uint8Array(4 + headerBytes.byteLength);
  new DataView(out.buffer).setUint32(0, headerLength);
  out.set(headerBytes, 4);
  return out;
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function assertThrowsCode(fn: () => unknown, code: PdErrorCode): void {
  assert.throws(fn, (err: unknown) => isPdError(err, code), `expected ${code}`);
}

/** The assembler still decodes a fresh frame after whatever happened before. */
function assertStillWorks(assembler: FrameAssembler, id = 1000): void {
  const frame = { header: { type: 'after' }, body: bytes(300, id) };
  assert.deepEqual(pushAll(assembler, encodeFrame(frame, id, 128)), frame);
}

describe('encodeFrame and FrameAssembler round trip', () => {
  const header = { type: 'chunk-result', v: 1, jobId: 'j' };
  const max = 1024;
  const room = max - FRAGMENT_HEADER_BYTES - 4 - utf8(JSON.stringify(header)).byteLength;
  const cases: [string, number, number, number][] = [
    ['0 bytes', 0, max, 1],
    ['1 byte', 1, max, 1],
    ['one below a full fragment', room - 1, max, 1],
    ['exactly a full fragment', room, max, 1],
    ['one past a full fragment', room + 1, max, 2],
    ['many fragments', 10 * max + 3, max, 11],
    ['5 MiB', 5 * 1024 * 1024, 256 * 1024, 21],
  ];
  for (const [name, size, maxBytes, count] of cases) {
    it(`body of ${name}`, () => {
      const frame = { header, body: bytes(size, size + 7) };
      const fragments = encodeFrame(frame, 7, maxBytes);
      assert.equal(fragments.length, count);
      for (const f of fragments) assert.ok(f.byteLength <= maxBytes);
      assert.deepEqual(pushAll(new FrameAssembler(), fragments), frame);
    });
  }

  it('keeps an absent body absent and an empty body empty', () => {
    const assembler = new FrameAssembler();
    const headerOnly = assembler.push(encodeFrame({ header: { type: 'hello' } }, 1, 64)[0]!);
    assert.deepEqual(headerOnly, { header: { type: 'hello' } });
    assert.ok(!('body' in headerOnly!));
    const empty = assembler.push(encodeFrame({ header, body: new Uint8Array(0) }, 2, 200)[0]!);
    assert.equal(empty?.body?.byteLength, 0);
  });

  it('splits a long header across fragments too', () => {
    const frame = { header: { type: 'x', note: 'é€😀'.repeat(500) }, body: bytes(10) };
    assert.deepEqual(pushAll(new FrameAssembler(), encodeFrame(frame, 3, 50)), frame);
  });

  it('reassembles interleaved messages', () => {
    const frames = [0, 1, 2, 3].map((i) => ({
      header: { type: `m${i}` },
      body: bytes(i * 900, i + 1),
    }));
    const queues = frames.map((frame, i) => encodeFrame(frame, i, 200));
    const assembler = new FrameAssembler();
    const done: Frame[] = [];
    while (queues.some((q) => q.length > 0)) {
      for (const queue of queues) {
        const fragment = queue.shift();
        const frame = fragment && assembler.push(fragment);
        if (frame) done.push(frame);
      }
    }
    assert.deepEqual(done.map((f) => f.header.type).sort(), ['m0', 'm1', 'm2', 'm3']);
    for (const frame of done) assert.deepEqual(frame, frames[Number(frame.header.type.slice(1))]);
    assert.equal(assembler.pendingMessages, 0);
  });

  it('refuses to encode with an unusable fragment size or id', () => {
    assert.throws(
      () => encodeFrame({ header: { type: 'x' } }, 1, FRAGMENT_HEADER_BYTES),
      RangeError,
    );
    assert.throws(() => encodeFrame({ header: { type: 'x' } }, -1, 100), RangeError);
    assertThrowsCode(() => encodeFrame({ header: {} as never }, 1, 100), 'frame-bad-header');
  });
});

describe('FrameAssembler on corrupt input', () => {
  const three = encodeFrame({ header: { type: 'big' }, body: bytes(500) }, 5, 200);
  const mutate = (fragment: Uint8Array, offset: number, value: number, width = 4): Uint8Array => {
    const copy = fragment.slice();
    const view = new DataView(copy.buffer);
    if (width === 1) view.setUint8(offset, value);
    else view.setUint32(offset, value);
    return copy;
  };

  const cases: [string, PdErrorCode, Uint8Array[]][] = [
    ['a truncated fragment', 'frame-too-short', [three[0]!.subarray(0, FRAGMENT_HEADER_BYTES - 1)]],
    ['a wrong version', 'frame-bad-version', [mutate(three[0]!, 0, 2, 1)]],
    ['an unknown flag', 'frame-bad-version', [mutate(three[0]!, 1, 0x80, 1)]],
    ['an index out of range', 'frame-bad-fragment', [mutate(three[0]!, 8, 3)]],
    ['a zero count', 'frame-bad-fragment', [mutate(three[0]!, 12, 0)]],
    ['a count mismatch', 'frame-bad-fragment', [three[0]!, mutate(three[1]!, 12, 4)]],
    ['a length mismatch', 'frame-bad-fragment', [three[0]!, mutate(three[1]!, 16, 600)]],
    ['fragments out of order', 'frame-bad-fragment', [three[0]!, three[2]!]],
    ['a continuation without its start', 'frame-bad-fragment', [three[1]!]],
    ['a message id reused', 'frame-bad-fragment', [three[0]!, three[0]!]],
    ['bad JSON', 'frame-bad-header', [rawFragment({}, logical(utf8('{"type": ')))]],
    ['bad UTF-8', 'frame-bad-header', [rawFragment({}, logical(new Uint8Array([0xff, 0xfe])))]],
    ['a header without type', 'frame-bad-header', [rawFragment({}, logical(utf8('{"v":1}')))]],
    ['a header that is an array', 'frame-bad-header', [rawFragment({}, logical(utf8('["x"]')))]],
    ['a header that is null', 'frame-bad-header', [rawFragment({}, logical(utf8('null')))]],
    ['a header length past the end', 'frame-bad-header', [rawFragment({}, logical(utf8('{}'), 9))]],
    [
      'body bytes without the flag',
      'frame-bad-fragment',
      [rawFragment({}, new Uint8Array([...logical(utf8('{"type":"a"}')), 1]))],
    ],
    [
      'a cancel with a payload',
      'frame-bad-fragment',
      [rawFragment({ flags: 2 }, new Uint8Array(1))],
    ],
  ];
  for (const [name, code, fragments] of cases) {
    it(`throws ${code} on ${name} and keeps working`, () => {
      const assembler = new FrameAssembler();
      fragments.slice(0, -1).forEach((f) => assembler.push(f));
      assertThrowsCode(() => assembler.push(fragments.at(-1)!), code);
      assert.equal(assembler.pendingMessages, 0);
      assertStillWorks(assembler);
    });
  }

  it('refuses a message over maxMessageBytes once and skips the rest of it quietly', () => {
    const assembler = new FrameAssembler({ maxMessageBytes: 400 });
    assertThrowsCode(() => assembler.push(three[0]!), 'frame-too-large');
    assert.equal(assembler.push(three[1]!), undefined);
    assert.equal(assembler.push(three[2]!), undefined);
    assertThrowsCode(() => assembler.push(three[1]!), 'frame-bad-fragment');
    assertStillWorks(assembler, 5);
  });

  it('limits the number and the bytes of pending messages', () => {
    const start = (id: number, size: number) =>
      encodeFrame({ header: { type: 'p' }, body: bytes(size) }, id, 100)[0]!;
    const byCount = new FrameAssembler({ maxPendingMessages: 2 });
    byCount.push(start(1, 300));
    byCount.push(start(2, 300));
    assertThrowsCode(() => byCount.push(start(3, 300)), 'frame-too-many-pending');
    assert.equal(byCount.pendingMessages, 2);
    const byBytes = new FrameAssembler({ maxPendingBytes: 1000 });
    byBytes.push(start(1, 600));
    assertThrowsCode(() => byBytes.push(start(2, 600)), 'frame-too-many-pending');
    assertStillWorks(byBytes);
  });

  it('drops a partly received message on a cancel fragment', () => {
    const assembler = new FrameAssembler();
    assembler.push(three[0]!);
    assert.equal(assembler.pendingMessages, 1);
    assert.equal(assembler.push(encodeCancelFragment(5)), undefined);
    assert.equal(assembler.pendingMessages, 0);
    assert.deepEqual(pushAll(assembler, three).header, { type: 'big' });
  });
});

describe('FrameAssembler properties', () => {
  const frameArb = fc.record({
    header: fc.record({ type: fc.string(), extra: fc.dictionary(fc.string(), fc.jsonValue()) }),
    body: fc.option(fc.uint8Array({ maxLength: 3000 }), { nil: undefined }),
  });

  it('round-trips random frames in random fragment sizes and interleavings', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: FRAGMENT_HEADER_BYTES + 1, max: 2000 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 50 }),
        (generated, maxBytes, picks) => {
          const frames: Frame[] = generated.map(({ header, body }) => {
            const json = JSON.parse(JSON.stringify({ ...header.extra, type: header.type }));
            return body === undefined ? { header: json } : { header: json, body };
          });
          const queues = frames.map((frame, id) => encodeFrame(frame, id, maxBytes));
          const assembler = new FrameAssembler();
          const decoded = new Map<number, Frame>();
          for (let step = 0; queues.some((q) => q.length > 0); step++) {
            const open = queues.map((q, id) => [q, id] as const).filter(([q]) => q.length > 0);
            const [queue, id] = open[picks[step % picks.length]! % open.length]!;
            const frame = assembler.push(queue.shift()!);
            if (frame) decoded.set(id, frame);
          }
          frames.forEach((frame, id) => assert.deepEqual(decoded.get(id), frame));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('throws nothing but a frame-* PdError on 20,000 random or mutated fragments', () => {
    const assembler = new FrameAssembler({ maxMessageBytes: 1 << 20, maxPendingMessages: 16 });
    let seed = 12345;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let errors = 0;
    for (let i = 0; i < 20_000; i++) {
      const base = encodeFrame(
        { header: { type: 't', i }, body: bytes(next(600), i + 1) },
        next(8),
        21 + next(300),
      );
      let fragment: Uint8Array = base[next(base.length)]!.slice();
      switch (next(4)) {
        case 0: // random bytes
          fragment = bytes(next(64), i + 1);
          if (fragment.byteLength > 0) fragment[0] = FRAME_VERSION;
          break;
        case 1: // flip bytes
          for (let k = 1 + next(4); k > 0; k--) fragment[next(fragment.byteLength)] = next(256);
          break;
        case 2: // truncate
          fragment = fragment.subarray(0, next(fragment.byteLength + 1));
          break;
        default: // a header field set to an extreme
          new DataView(fragment.buffer).setUint32(
            4 + 4 * next(4),
            [0, 1, 0xffffffff, next(1e6)][next(4)]!,
          );
          fragment[1] = next(2) ? FLAG_HAS_BODY : fragment[1]!;
      }
      try {
        assembler.push(fragment);
      } catch (err) {
        errors++;
        assert.ok(isPdError(err) && err.code.startsWith('frame-'), `unexpected ${String(err)}`);
      }
    }
    assert.ok(errors > 1000, `only ${errors} errors: the fuzz is too gentle`);
    assert.ok(assembler.pendingMessages <= 16);
    assembler.push(encodeCancelFragment(1000));
    assertStillWorks(assembler);
  });
});
