/**
 * Fuzzing the receive path of the frame codec: FrameAssembler alone, and FramedChannel over a
 * fake channel, fed random and mutated fragments (bit flips, truncation, splices of valid
 * fragments, wrong header fields, huge declared lengths, shuffled sequences, hostile JSON
 * headers, packed messages with wrong flags). Nothing may escape but a `frame-*` PdError from
 * the assembler (FramedChannel throws nothing at all), the state a peer can make us hold stays
 * within the assembler's limits, and a valid frame sent after the garbage arrives intact.
 * Seeds are fixed so that a failure reproduces; fast-check prints the seed and path.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isPdError } from '../../../client/protocol/errors.ts';
import { FrameAssembler, encodeFrame, type Frame } from '../../../client/protocol/frame.ts';
import { FLAG_PACKED } from '../../../client/protocol/frame-layout.ts';
import { FramedChannel } from '../../../client/mesh/framed-channel.ts';
import {
  SEED,
  INPUTS,
  limits,
  maxPendingBytes,
  CHECK_ID_BASE,
  mutationArb,
  concat,
  fragmentsOf,
  assertValidatesInKind,
  retainedBytes,
  SilentChannel,
  checkFrame,
  smallCheckFrame,
  frameTotal,
} from './support/frame-mutations.ts';

describe('fuzzing the frame receive path', () => {
  it('FrameAssembler: 100,000 mutated fragments; only frame-* PdErrors; bounded; valid frames still assemble', (t) => {
    const started = performance.now();
    const inputs = fc.sample(mutationArb, { numRuns: INPUTS, seed: SEED });
    const generatedMs = performance.now() - started;
    const assembler = new FrameAssembler(limits);
    const memoryBefore = retainedBytes();
    const codes = new Map<string, number>();
    let fragments = 0;
    let garbageFrames = 0;
    let maxPending = 0;
    let maxPendingBytesSeen = 0;
    const checks = { single: 0, multi: 0, refusedAtLimit: 0 };

    const push = (fragment: Uint8Array): Frame | undefined => {
      fragments++;
      try {
        return assembler.push(fragment);
      } catch (err) {
        assert.ok(isPdError(err) && err.code.startsWith('frame-'), `escaped: ${String(err)}`);
        codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
        return undefined;
      } finally {
        assert.ok(assembler.pendingMessages <= limits.maxPendingMessages);
        assert.ok(assembler.pendingBytes <= maxPendingBytes);
        maxPending = Math.max(maxPending, assembler.pendingMessages);
        maxPendingBytesSeen = Math.max(maxPendingBytesSeen, assembler.pendingBytes);
      }
    };

    // A valid multi-fragment frame whose fragments interleave with the garbage, as control
    // frames interleave with bulk ones.
    let inFlight: { frame: Frame; fragments: Uint8Array[]; next: number } | undefined;
    let checkId = CHECK_ID_BASE;
    inputs.forEach((mutation, i) => {
      for (const fragment of fragmentsOf(mutation)) {
        const frame = push(fragment);
        if (frame) {
          garbageFrames++;
          assertValidatesInKind(frame);
        }
      }
      if (i % 100 === 0) {
        const expected = smallCheckFrame(i);
        const [only] = encodeFrame(expected, checkId++, 1000);
        assert.deepEqual(assembler.push(only!), expected, `valid frame lost after input ${i}`);
        checks.single++;
      }
      if (i % 20 === 10) {
        if (inFlight === undefined) {
          const frame = checkFrame(i);
          inFlight = { frame, fragments: encodeFrame(frame, checkId++, 1000), next: 0 };
          const before = { messages: assembler.pendingMessages, bytes: assembler.pendingBytes };
          try {
            assert.equal(assembler.push(inFlight.fragments[inFlight.next++]!), undefined);
          } catch (err) {
            // The only excuse: garbage that never finished holds the assembler's limits.
            assert.ok(isPdError(err, 'frame-too-many-pending'), String(err));
            const total = frameTotal(inFlight.fragments[0]!);
            assert.ok(
              before.messages >= limits.maxPendingMessages ||
                before.bytes + total > maxPendingBytes,
            );
            checks.refusedAtLimit++;
            inFlight = undefined;
          }
        } else {
          const last = inFlight.next === inFlight.fragments.length - 1;
          const frame = assembler.push(inFlight.fragments[inFlight.next++]!);
          if (last) {
            assert.deepEqual(frame, inFlight.frame, `multi-fragment frame lost at input ${i}`);
            checks.multi++;
            inFlight = undefined;
          } else {
            assert.equal(frame, undefined);
          }
        }
      }
    });
    const grewBy = retainedBytes() - memoryBefore;
    const ms = performance.now() - started;
    t.diagnostic(
      `${INPUTS} mutations → ${fragments} fragments in ${ms.toFixed(0)} ms ` +
        `(generating ${generatedMs.toFixed(0)} ms); garbage that decoded: ${garbageFrames}`,
    );
    t.diagnostic(`rejections: ${JSON.stringify(Object.fromEntries([...codes].sort()))}`);
    t.diagnostic(
      `valid frames after garbage: ${checks.single} single, ${checks.multi} multi-fragment, ` +
        `${checks.refusedAtLimit} refused at the pending limit`,
    );
    t.diagnostic(
      `pending at most ${maxPending} messages / ${maxPendingBytesSeen} announced bytes ` +
        `(limits ${limits.maxPendingMessages} / ${maxPendingBytes}); retained heap grew ` +
        `${(grewBy / 1024).toFixed(0)} KiB`,
    );
    assert.ok(fragments >= INPUTS);
    assert.ok(checks.single >= INPUTS / 100 && checks.multi > 0);
    // Everything the assembler may hold is a few hundred KiB here; allow for V8's own noise.
    assert.ok(grewBy < 16 * 1024 * 1024, `retained heap grew by ${grewBy} bytes`);
  });

  it('FramedChannel: 100,000 mutated channel messages, packed or not; nothing escapes; the next valid frames arrive', (t) => {
    const started = performance.now();
    const BATCH = 50;
    const messageArb = fc.record({
      parts: fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
      packing: fc.constantFrom('all', 'all', 'none', 'random'),
      flagBits: fc.nat(),
    });
    let messages = 0;
    let run = 0;
    const totals = { errors: 0, garbageFrames: 0, delivered: 0, refusedAtLimit: 0 };
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: BATCH, maxLength: BATCH }), (batch) => {
        run++;
        const framed = new FramedChannel(new SilentChannel(), limits);
        const frames: Frame[] = [];
        const errors: unknown[] = [];
        framed.onFrame((frame) => frames.push(frame));
        framed.onError((err) => errors.push(err));
        for (const { parts, packing, flagBits } of batch) {
          const fragments = parts.flatMap(fragmentsOf).map((f) => f.slice());
          fragments.forEach((fragment, i) => {
            if (fragment.byteLength < 2 || i === fragments.length - 1) return;
            const packed = packing === 'all' || (packing === 'random' && (flagBits >> i) & 1);
            if (packed) fragment[1]! |= FLAG_PACKED;
          });
          framed.receive(concat(fragments)); // receive() must not throw: fast-check would fail
          messages++;
        }
        assert.equal(framed.stats.errors, errors.length);
        for (const err of errors) {
          assert.ok(isPdError(err) && err.code.startsWith('frame-'), String(err));
        }
        frames.forEach(assertValidatesInKind);
        totals.errors += errors.length;
        totals.garbageFrames += frames.length;
        frames.length = 0;

        // The peer keeps working: a lone frame, two packed frames, and a big one in fragments.
        const id = CHECK_ID_BASE + run * 4;
        const single = smallCheckFrame(run);
        framed.receive(encodeFrame(single, id, 1000)[0]!);
        const packedPair = [smallCheckFrame(run + 1), smallCheckFrame(run + 2)];
        const first = encodeFrame(packedPair[0]!, id + 1, 1000)[0]!;
        first[1]! |= FLAG_PACKED;
        framed.receive(concat([first, encodeFrame(packedPair[1]!, id + 2, 1000)[0]!]));
        assert.deepEqual(frames, [single, ...packedPair]);
        const big = checkFrame(run);
        const errorsBefore = errors.length;
        for (const fragment of encodeFrame(big, id + 3, 1000)) framed.receive(fragment);
        if (frames.length === 3) {
          // Only garbage holding the pending limits may keep it out (frame-assembler.ts).
          assert.equal(errors.length, errorsBefore + 1);
          assert.ok(isPdError(errors.at(-1), 'frame-too-many-pending'), String(errors.at(-1)));
          totals.refusedAtLimit++;
        } else {
          assert.deepEqual(frames.at(-1), big);
          totals.delivered++;
        }
        assert.equal(errors.length, framed.stats.errors);
      }),
      { numRuns: INPUTS / BATCH, seed: SEED },
    );
    const ms = performance.now() - started;
    t.diagnostic(
      `${messages} channel messages in ${run} runs, ${ms.toFixed(0)} ms: ${totals.errors} ` +
        `errors counted, ${totals.garbageFrames} garbage frames decoded`,
    );
    t.diagnostic(
      `after each batch: lone and packed frames always delivered; the big frame delivered ` +
        `${totals.delivered} times, refused at the pending limit ${totals.refusedAtLimit} times`,
    );
    assert.ok(messages >= INPUTS);
  });
});
