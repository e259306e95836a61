/**
 * Fuzzing every message validator at the boundary: the peer protocol's `parsePeerMessage`
 * (its own messages and the scheduler's from job-messages.ts) and the signaling server's
 * `parseClientMessage` and `parseCreateRoomRequest`. Random JSON values and mutated valid
 * messages may be refused only the documented way (a PdError for peers, an `{ ok: false }`
 * result for the server); valid messages, with or without unknown keys, still pass.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isPdError } from '../../../client/protocol/errors.ts';
import { parsePeerMessage } from '../../../client/protocol/messages.ts';
import { parseClientMessage, parseCreateRoomRequest } from '../../../signaling/validate.ts';
import {
  HASH,
  clientSamples,
  peerSamples,
  peerTypes,
  validClientMessages,
  validPeerMessages,
} from './support/valid-messages.ts';

const SEED = 20_260_102;
const RUNS = 100_000;
/** Nested this deep, JSON.stringify overflows V8's stack while JSON.parse does not. */
const deepText = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
const deepArray = Object.assign(JSON.parse(deepText) as unknown[], {
  // How fast-check prints it in a counterexample (its own printer would overflow too).
  [fc.toStringMethod]: () => '<an array nested 20,000 deep>',
});

/** JSON text of a value that may hold `deepArray`. */
function toJsonText(value: unknown): string {
  const marker = '\u0000deep\u0000';
  const text = JSON.stringify(value, (_key, v: unknown) => (v === deepArray ? marker : v));
  return (text ?? '').replaceAll(JSON.stringify(marker), deepText);
}

/** Values chosen to sit on or just past a schema's bounds, plus any JSON at all. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 400, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 200,
    arbitrary: fc.constantFrom<unknown>(
      -1,
      -0,
      0.5,
      2 ** 53,
      1e308,
      -1e308,
      NaN,
      Infinity,
      1023,
      1024,
      1025,
      4096,
      1 << 20,
      '',
      ' ',
      'x'.repeat(65),
      'x'.repeat(70_000),
      'ÿ'.repeat(64),
      HASH.toUpperCase(),
      `${HASH}0`,
      {},
      [],
      [{}],
      null,
      true,
      JSON.parse('{"__proto__":{"polluted":1}}'),
      Array.from({ length: 5000 }, (_, i) => ({ id: i, moves: 0 })),
    ),
  },
  // Rare: each use overflows the stack somewhere, which costs milliseconds.
  { weight: 1, arbitrary: fc.constant(deepArray) },
  { weight: 100, arbitrary: fc.integer() },
  { weight: 100, arbitrary: fc.double() },
  { weight: 100, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
);

type Path = (string | number)[];

/** Hostile values put into a message; shared between runs, so never descended into. */
const shared = new WeakSet<object>();

/** Every path to a value inside `value` (the root is `[]`), at most 200 of them. */
function pathsOf(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (typeof value === 'object' && value !== null && !shared.has(value) && out.length < 200) {
    for (const key of Object.keys(value).slice(0, 8)) {
      const at = Array.isArray(value) ? Number(key) : key;
      pathsOf((value as Record<string, unknown>)[key], [...prefix, at], out);
    }
  }
  return out;
}

/** Sets an own property, as JSON.parse makes them (even `__proto__`). */
function setOwn(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

interface Mutation {
  path: number;
  op: 'delete' | 'set' | 'add-key' | 'retype' | 'wrap';
  key: string;
  value: unknown;
  type: string;
}
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  path: fc.nat(),
  op: fc.constantFrom('delete', 'set', 'set', 'set', 'add-key', 'retype', 'wrap'),
  key: fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('__proto__', 'type', 'v', 'constructor'),
  ),
  value: hostileValue,
  type: fc.oneof(fc.constantFrom(...peerTypes, 'join', 'signal', 'leave'), fc.string()),
});

/** A copy of `base` with `mutations` applied; hostile values are shared, not copied. */
function mutate(base: Record<string, unknown>, mutations: Mutation[]): unknown {
  let root: unknown = JSON.parse(JSON.stringify(base));
  for (const m of mutations) {
    if (typeof m.value === 'object' && m.value !== null) shared.add(m.value);
    const paths = pathsOf(root);
    const path = paths[m.path % paths.length]!;
    if (path.length === 0) {
      const own = typeof root === 'object' && root !== null && !shared.has(root);
      if (m.op === 'wrap') root = [root];
      else if (m.op === 'set') root = m.value;
      else if (m.op === 'retype' && own) setOwn(root as object, 'type', m.type);
      else if (m.op === 'add-key' && own) setOwn(root as object, m.key, m.value);
      continue;
    }
    const parent = path.slice(0, -1).reduce<unknown>((at, key) => (at as never)[key], root);
    const key = path.at(-1)!;
    if (typeof parent !== 'object' || parent === null) continue;
    const record = parent as Record<string | number, unknown>;
    if (m.op === 'delete') delete record[key];
    else if (m.op === 'set') setOwn(parent, key, m.value);
    else if (m.op === 'wrap') setOwn(parent, key, [record[key]]);
    else if (m.op === 'add-key') setOwn(parent, m.key, m.value);
    else setOwn(parent, key, m.type);
  }
  return root;
}

const mutatedArb = (samples: Record<string, unknown>[]) =>
  fc
    .record({
      sample: fc.nat({ max: samples.length - 1 }),
      mutations: fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
    })
    .map(({ sample, mutations }) => mutate(samples[sample]!, mutations));

/** Any JSON value, or an object of a known type with random or missing fields. */
const randomPeerHeader: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc
    .record({
      type: fc.constantFrom(...peerTypes),
      v: fc.oneof(fc.constant(1), hostileValue),
      fields: fc.dictionary(fc.string({ maxLength: 12 }), hostileValue, { maxKeys: 6 }),
    })
    .map(({ type, v, fields }) => ({ ...fields, type, v })),
);

/** Parses `header`; anything but success or a PdError fails the property. */
function checkPeer(header: unknown, tally: Map<string, number>): void {
  try {
    const message = parsePeerMessage(header);
    assert.equal(message.type, (header as { type: unknown }).type);
    tally.set('accepted', (tally.get('accepted') ?? 0) + 1);
  } catch (err) {
    if (!isPdError(err)) throw err;
    tally.set(err.code, (tally.get(err.code) ?? 0) + 1);
  }
}

/** Parses `text`; it must never throw, and a refusal carries a documented code. */
function checkClient(text: string, tally: Map<string, number>): void {
  const result = parseClientMessage(text);
  if (result.ok) {
    assert.equal(typeof result.message.type, 'string');
    tally.set('accepted', (tally.get('accepted') ?? 0) + 1);
  } else {
    assert.ok(result.code === 'bad-json' || result.code === 'bad-message', result.code);
    assert.equal(typeof result.detail, 'string');
    tally.set(result.code, (tally.get(result.code) ?? 0) + 1);
  }
}

/** Text-level damage to a valid message's JSON: cut, drop, insert or swap characters. */
const damagedTextArb = fc
  .record({
    sample: fc.nat({ max: clientSamples.length - 1 }),
    at: fc.nat(),
    op: fc.constantFrom('cut', 'drop', 'insert', 'swap'),
    char: fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }),
  })
  .map(({ sample, at, op, char }) => {
    const text = JSON.stringify(clientSamples[sample]);
    const i = at % text.length;
    if (op === 'cut') return text.slice(0, i);
    if (op === 'drop') return text.slice(0, i) + text.slice(i + 1);
    if (op === 'insert') return text.slice(0, i) + char + text.slice(i);
    return text.slice(0, i) + char + text.slice(i + char.length);
  });

function report(
  t: { diagnostic(message: string): void },
  what: string,
  ms: number,
  tally: Map<string, number>,
) {
  const total = [...tally.values()].reduce((a, b) => a + b, 0);
  t.diagnostic(
    `${what}: ${total} inputs in ${ms.toFixed(0)} ms: ${JSON.stringify(Object.fromEntries(tally))}`,
  );
  return total;
}

describe('fuzzing the message validators', () => {
  it('parsePeerMessage accepts every valid message, with unknown keys dropped', () => {
    for (const message of peerSamples) assert.deepEqual(parsePeerMessage(message), message);
    fc.assert(
      fc.property(
        fc.nat({ max: peerSamples.length - 1 }),
        fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })),
        (i, extra) => {
          const message = peerSamples[i]!;
          const withExtra = JSON.parse(JSON.stringify({ ...extra, ...message })) as unknown;
          assert.deepEqual(parsePeerMessage(withExtra), message);
        },
      ),
      { numRuns: 2000, seed: SEED },
    );
  });

  it('parsePeerMessage throws only PdErrors on 100,000 random and mutated headers', (t) => {
    const started = performance.now();
    const tally = new Map<string, number>();
    fc.assert(
      fc.property(fc.oneof(randomPeerHeader, mutatedArb(peerSamples)), (header) =>
        checkPeer(header, tally),
      ),
      { numRuns: RUNS, seed: SEED },
    );
    const total = report(t, 'parsePeerMessage', performance.now() - started, tally);
    assert.equal(total, RUNS);
    assert.ok((tally.get('message-invalid') ?? 0) > RUNS / 4, 'the fuzzer reaches the schemas');
  });

  it('parsePeerMessage refuses a type, params or descriptor nested too deep to print', () => {
    assert.throws(
      () => parsePeerMessage({ type: deepArray }),
      (err) => isPdError(err, 'message-unknown-type'),
    );
    const [announce] = validPeerMessages['job-announce'];
    const [assign] = validPeerMessages['chunk-assign'];
    const deepParams = { ...announce, params: deepArray };
    const deepDescriptor = { ...assign, chunks: [{ id: 0, moves: 0, descriptor: deepArray }] };
    for (const header of [deepParams, deepDescriptor]) {
      assert.throws(
        () => parsePeerMessage(header),
        (err) => isPdError(err, 'message-invalid'),
      );
    }
  });

  it('parseClientMessage accepts every valid message and never throws on 100,000 inputs', (t) => {
    for (const message of validClientMessages) {
      const result = parseClientMessage(JSON.stringify(message));
      assert.ok(result.ok, JSON.stringify(result));
      assert.deepEqual(result.message, message);
    }
    const started = performance.now();
    const tally = new Map<string, number>();
    const textArb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.jsonValue().map((value) => JSON.stringify(value) ?? ''),
      mutatedArb(clientSamples).map(toJsonText),
      damagedTextArb,
    );
    // Expensive to parse, so tried once each rather than thousands of times.
    for (const text of [
      `{"type":"signal","to":"peer-0002","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`,
      `{"type":${deepText}}`,
      '\u0000',
      '\uFEFF{"type":"leave"}',
    ]) {
      checkClient(text, tally);
    }
    fc.assert(
      fc.property(textArb, (text) => checkClient(text, tally)),
      { numRuns: RUNS, seed: SEED },
    );
    const total = report(t, 'parseClientMessage', performance.now() - started, tally);
    assert.equal(total, RUNS + 5);
    assert.ok((tally.get('bad-message') ?? 0) > RUNS / 10 && (tally.get('bad-json') ?? 0) > 0);
  });

  it('parseCreateRoomRequest never throws on 100,000 bodies', (t) => {
    assert.deepEqual(parseCreateRoomRequest(''), { ok: true, request: {} });
    assert.deepEqual(parseCreateRoomRequest('{"ttlSeconds":60}'), {
      ok: true,
      request: { ttlSeconds: 60 },
    });
    const started = performance.now();
    const tally = new Map<string, number>();
    // Cheap arbitraries: this schema is one optional field, so volume matters, not shape.
    const ttl = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.constantFrom<unknown>(0, 1, 604_800, 604_801, -1, 1.5, '60', null, [], {}, true, Infinity),
    );
    const bodyArb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      ttl.map((value) => `{"ttlSeconds":${JSON.stringify(value) ?? ''}}`),
      ttl.map((value) => JSON.stringify([value])),
      fc
        .tuple(ttl, fc.string({ maxLength: 6 }))
        .map(([value, key]) => JSON.stringify({ [key]: value })),
    );
    fc.assert(
      fc.property(bodyArb, (body) => {
        const result = parseCreateRoomRequest(body);
        const key = result.ok ? 'accepted' : 'refused';
        if (!result.ok) assert.equal(typeof result.detail, 'string');
        tally.set(key, (tally.get(key) ?? 0) + 1);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    assert.equal(report(t, 'parseCreateRoomRequest', performance.now() - started, tally), RUNS);
  });
});
