import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPdError } from '../../../client/protocol/errors.ts';
import type { Frame } from '../../../client/protocol/frame.ts';
import {
  DEFAULT_HIGH_WATER_MARK,
  FramedChannel,
  fragmentSizeFor,
  type ChannelLike,
} from '../../../client/mesh/framed-channel.ts';

/**
 * A channel whose buffer drains only when the test says so, firing 'bufferedamountlow' as a
 * browser does: when the buffer falls to the threshold from above it.
 */
class FakeChannel implements ChannelLike {
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  maxBufferedAmount = 0;
  open = true;
  readonly sent: Uint8Array[] = [];
  readonly #listeners = new Set<() => void>();

  send(data: Uint8Array<ArrayBuffer>): void {
    if (!this.open) throw new Error('InvalidStateError: not open');
    this.sent.push(data);
    this.bufferedAmount += data.byteLength;
    this.maxBufferedAmount = Math.max(this.maxBufferedAmount, this.bufferedAmount);
  }

  drain(bytes: number): void {
    const before = this.bufferedAmount;
    this.bufferedAmount = Math.max(0, before - bytes);
    if (
      before > this.bufferedAmountLowThreshold &&
      this.bufferedAmount <= this.bufferedAmountLowThreshold
    ) {
      for (const listener of [...this.#listeners]) listener();
    }
  }

  addEventListener(_type: 'bufferedamountlow', listener: () => void): void {
    this.#listeners.add(listener);
  }

  removeEventListener(_type: 'bufferedamountlow', listener: () => void): void {
    this.#listeners.delete(listener);
  }
}

const options = { maxMessageSize: 1000, highWaterMark: 10_000, lowWaterMark: 2_000 };

function body(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

/** Feeds everything `channel` sent so far into a receiving FramedChannel; returns its frames. */
function deliver(channel: FakeChannel, receiver = new FramedChannel(new FakeChannel())): Frame[] {
  const frames: Frame[] = [];
  receiver.onFrame((frame) => frames.push(frame));
  for (const data of channel.sent.splice(0)) receiver.receive(data);
  return frames;
}

/** Lets the channel's scheduled flush run (setImmediate in Node). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Drains a little at a time, letting promise callbacks run, until `done` says stop. */
async function drainUntil(channel: FakeChannel, done: () => boolean, step = 700): Promise<void> {
  for (let i = 0; i < 100_000 && !done(); i++) {
    channel.drain(step);
    await Promise.resolve();
  }
  assert.ok(done(), 'drained without finishing');
}

describe('FramedChannel (fake channel)', () => {
  it('keeps the buffer under the high-water mark plus one fragment and delivers intact', async () => {
    const channel = new FakeChannel();
    const framed = new FramedChannel(channel, options);
    assert.equal(channel.bufferedAmountLowThreshold, options.lowWaterMark);
    const frames = Array.from({ length: 10 }, (_, i) => ({
      header: { type: 'bulk', i },
      body: body(5000 + i, i),
    }));
    let settled = 0;
    for (const frame of frames) void framed.send(frame).then(() => settled++);
    await nextTurn();
    assert.ok(channel.bufferedAmount >= options.highWaterMark, 'fills up to the mark at once');
    const received: Frame[] = [];
    const receiver = new FramedChannel(new FakeChannel());
    receiver.onFrame((frame) => received.push(frame));
    await drainUntil(channel, () => {
      deliver(channel, receiver);
      return settled === frames.length;
    });
    assert.ok(channel.maxBufferedAmount <= options.highWaterMark + options.maxMessageSize);
    assert.equal(framed.stats.maxBufferedAmount, channel.maxBufferedAmount);
    assert.deepEqual(received, frames);
    assert.equal(framed.stats.framesSent, 10);
    assert.equal(receiver.stats.framesReceived, 10);
    assert.equal(receiver.stats.bytesReceived, framed.stats.bytesSent);
  });

  it('lets control frames overtake queued bulk fragments, never splitting one', async () => {
    const channel = new FakeChannel();
    const framed = new FramedChannel(channel, options);
    const bulk = { header: { type: 'kernel-bytes' }, body: body(50_000, 1) };
    const bulkSent = framed.send(bulk);
    const firstBatch = channel.sent.length;
    const heartbeat = { header: { type: 'heartbeat', seq: 1 } };
    const heartbeatSent = framed.send(heartbeat, { priority: 'control' });
    assert.equal(channel.sent.length, firstBatch, 'waits for room like any frame');
    channel.drain(channel.bufferedAmount);
    await heartbeatSent;
    const order: string[] = [];
    const receiver = new FramedChannel(new FakeChannel());
    receiver.onFrame((frame) => order.push(frame.header.type));
    await drainUntil(channel, () => {
      deliver(channel, receiver);
      return order.length === 2;
    });
    await bulkSent;
    assert.deepEqual(order, ['heartbeat', 'kernel-bytes']);
  });

  it('rejects an aborted send and tells the remote to drop what it got', async () => {
    const channel = new FakeChannel();
    const framed = new FramedChannel(channel, options);
    const receiver = new FramedChannel(new FakeChannel());
    const errors: unknown[] = [];
    receiver.onError((err) => errors.push(err));

    const before = new AbortController();
    before.abort();
    await assert.rejects(framed.send({ header: { type: 'x' } }, { signal: before.signal }), (err) =>
      isPdError(err, 'send-aborted'),
    );

    const partly = new AbortController();
    const big = framed.send(
      { header: { type: 'big' }, body: body(40_000, 2) },
      { signal: partly.signal },
    );
    const queued = new AbortController();
    const waiting = framed.send(
      { header: { type: 'queued' }, body: body(10, 3) },
      { signal: queued.signal },
    );
    queued.abort();
    partly.abort(new Error('user cancelled'));
    await assert.rejects(
      big,
      (err) => isPdError(err, 'send-aborted') && /user cancelled/.test(err.message),
    );
    await assert.rejects(waiting, (err) => isPdError(err, 'send-aborted'));

    const after = framed.send({ header: { type: 'after' } });
    await drainUntil(channel, () => channel.bufferedAmount === 0, 100_000);
    await after;
    const frames = deliver(channel, receiver);
    assert.deepEqual(
      frames.map((f) => f.header.type),
      ['after'],
    );
    assert.deepEqual(errors, []);
  });

  it('rejects queued and later sends with channel-closed on close', async () => {
    const channel = new FakeChannel();
    const framed = new FramedChannel(channel, options);
    const queued = framed.send({ header: { type: 'big' }, body: body(40_000, 4) });
    framed.close('remote went away');
    await assert.rejects(queued, (err) => isPdError(err, 'channel-closed'));
    await assert.rejects(framed.send({ header: { type: 'x' } }), (err) =>
      isPdError(err, 'channel-closed'),
    );
    assert.ok(framed.closed);
  });

  it('closes itself when the channel refuses a send', async () => {
    const channel = new FakeChannel();
    const framed = new FramedChannel(channel, options);
    channel.open = false;
    await assert.rejects(framed.send({ header: { type: 'x' } }), (err) =>
      isPdError(err, 'channel-closed'),
    );
    assert.ok(framed.closed);
  });

  it('counts corrupt input without throwing and keeps receiving', async () => {
    const receiver = new FramedChannel(new FakeChannel());
    const errors: string[] = [];
    const frames: Frame[] = [];
    receiver.onError((err) => errors.push(err.code));
    const unsubscribe = receiver.onFrame((frame) => frames.push(frame));
    receiver.receive(new Uint8Array(3));
    receiver.receive(new Uint8Array(40).fill(9).buffer);
    receiver.receive('not binary' as unknown as ArrayBuffer);
    const sender = new FakeChannel();
    await new FramedChannel(sender).send({ header: { type: 'ok' }, body: body(3, 5) });
    receiver.receive(sender.sent[0]!.buffer as ArrayBuffer);
    assert.deepEqual(errors, ['frame-too-short', 'frame-bad-version', 'frame-too-short']);
    assert.equal(receiver.stats.errors, 3);
    assert.deepEqual(frames, [{ header: { type: 'ok' }, body: body(3, 5) }]);
    unsubscribe();
    receiver.receive(sender.sent[0]!);
    assert.equal(frames.length, 1);
  });

  it('packs small frames queued together into one message, up to the message size', async () => {
    const channel = new FakeChannel();
    const framed = new FramedChannel(channel, options);
    const frames = Array.from({ length: 30 }, (_, i) => ({
      header: { type: 'chunk-result', i },
      body: body(40 + i, i),
    }));
    const control = { header: { type: 'heartbeat' } };
    const sent = frames.map((frame) => framed.send(frame));
    const controlSent = framed.send(control, { priority: 'control' });
    assert.equal(channel.sent.length, 0, 'nothing is sent before the flush');
    await Promise.all([...sent, controlSent]);
    // ~90 bytes a frame in messages of at most 1000 bytes: a few messages, not 31.
    assert.ok(channel.sent.length >= 3 && channel.sent.length <= 5, `${channel.sent.length}`);
    for (const message of channel.sent) assert.ok(message.byteLength <= options.maxMessageSize);
    const packedFlags = channel.sent.map((message) => message[1]! & 4);
    assert.ok(
      packedFlags.every((flag) => flag === 4),
      'each message starts with a packed frame',
    );
    const received = deliver(channel);
    // The control frame went first; the others in their order.
    assert.deepEqual(received, [control, ...frames]);
    assert.equal(framed.stats.framesSent, 31);
  });

  it('sends a fragment of a big frame alone, and packs the small frames around it', async () => {
    const channel = new FakeChannel();
    const framed = new FramedChannel(channel, options);
    const small = (i: number) => ({ header: { type: 'small', i } });
    const big = { header: { type: 'big' }, body: body(2500, 3) };
    await Promise.all([
      framed.send(small(1)),
      framed.send(small(2)),
      framed.send(big),
      framed.send(small(3)),
      framed.send(small(4)),
    ]);
    const sizes = channel.sent.map((message) => message.byteLength);
    assert.equal(sizes.length, 5, `${sizes.join(',')}`); // [1, 2], big ×3, [3, 4]
    assert.deepEqual(deliver(channel), [small(1), small(2), big, small(3), small(4)]);
  });

  it('keeps the frames of a packed message apart from a broken one in it', async () => {
    const channel = new FakeChannel();
    const framed = new FramedChannel(channel, options);
    await Promise.all([0, 1, 2].map((i) => framed.send({ header: { type: 't', i } })));
    const [message] = channel.sent;
    assert.equal(channel.sent.length, 1);
    const frameBytes = (message!.byteLength / 3) | 0;
    // Corrupt the second frame's JSON: the first and third still arrive.
    const broken = message!.slice();
    broken[frameBytes + 24] = 0xff;
    const receiver = new FramedChannel(new FakeChannel());
    const got: Frame[] = [];
    receiver.onFrame((frame) => got.push(frame));
    receiver.receive(broken);
    assert.deepEqual(
      got.map((frame) => frame.header.i),
      [0, 2],
    );
    assert.equal(receiver.stats.errors, 1);
    // A packed fragment that claims to run past its message: an error, nothing after it.
    const overrun = message!.slice();
    new DataView(overrun.buffer).setUint32(16, 5000);
    receiver.receive(overrun);
    assert.equal(receiver.stats.errors, 2);
    assert.equal(got.length, 2);
    // A packed fragment that is not a whole frame is refused by the assembler too.
    const partial = message!.slice();
    new DataView(partial.buffer).setUint32(12, 2);
    receiver.receive(partial);
    assert.equal(receiver.stats.errors, 3);
    // And the receiver keeps working for the next valid message.
    receiver.receive(message!);
    assert.equal(got.length, 5);
  });

  it('by default keeps at most 64 KiB plus one 32 KiB fragment queued', async () => {
    // Chromium stalls for seconds on a fresh link when more is queued (DEFAULT_HIGH_WATER_MARK).
    const channel = new FakeChannel();
    const framed = new FramedChannel(channel);
    assert.equal(DEFAULT_HIGH_WATER_MARK, 64 * 1024);
    assert.equal(channel.bufferedAmountLowThreshold, 32 * 1024);
    const frame = { header: { type: 'bulk' }, body: body(1024 * 1024, 6) };
    const sent = framed.send(frame);
    await nextTurn();
    assert.ok(channel.bufferedAmount >= 64 * 1024, 'fills up to the mark at once');
    assert.deepEqual(
      channel.sent.map((fragment) => fragment.byteLength),
      [32 * 1024, 32 * 1024],
    );
    const received: Frame[] = [];
    const receiver = new FramedChannel(new FakeChannel());
    receiver.onFrame((f) => received.push(f));
    await drainUntil(
      channel,
      () => {
        deliver(channel, receiver);
        return received.length === 1;
      },
      10_000,
    );
    await sent;
    assert.ok(channel.maxBufferedAmount <= 64 * 1024 + 32 * 1024, `${channel.maxBufferedAmount}`);
    assert.deepEqual(received, [frame]);
  });

  it('rejects water marks that would never resume', () => {
    assert.throws(
      () => new FramedChannel(new FakeChannel(), { highWaterMark: 100, lowWaterMark: 100 }),
      RangeError,
    );
  });
});

describe('fragmentSizeFor', () => {
  it('caps what the transport advertises at 32 KiB, the size for unknown transports', () => {
    assert.equal(fragmentSizeFor(undefined), 32 * 1024);
    assert.equal(fragmentSizeFor(null), 32 * 1024);
    assert.equal(fragmentSizeFor(0), 32 * 1024);
    assert.equal(fragmentSizeFor(16_000), 16_000);
    assert.equal(fragmentSizeFor(256 * 1024), 32 * 1024); // what Chromium and libdatachannel say
    assert.equal(fragmentSizeFor(1024 ** 3), 32 * 1024);
    assert.equal(fragmentSizeFor(Infinity), 32 * 1024);
  });
});
