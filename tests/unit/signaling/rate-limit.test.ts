import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedRateLimiter } from '../../../signaling/rate-limit.ts';

function clock(start = 0) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

describe('KeyedRateLimiter', () => {
  it('allows a burst, then refuses until time refills the bucket', () => {
    const time = clock();
    const limiter = new KeyedRateLimiter({ ratePerSecond: 10, burst: 3 }, time.now);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limiter.tryTake('a')),
      [true, true, true, false],
    );
    time.advance(99);
    assert.equal(limiter.tryTake('a'), false, 'not a whole token yet');
    time.advance(1);
    assert.equal(limiter.tryTake('a'), true);
    assert.equal(limiter.tryTake('a'), false);
  });

  it('never holds more than the burst', () => {
    const time = clock();
    const limiter = new KeyedRateLimiter({ ratePerSecond: 100, burst: 5 }, time.now);
    limiter.tryTake('a');
    time.advance(60_000);
    assert.equal(limiter.available('a'), 5);
  });

  it('keeps one bucket per key', () => {
    const time = clock();
    const limiter = new KeyedRateLimiter({ ratePerSecond: 1, burst: 1 }, time.now);
    assert.equal(limiter.tryTake('a'), true);
    assert.equal(limiter.tryTake('a'), false);
    assert.equal(limiter.tryTake('b'), true);
  });

  it('takes nothing when the cost is more than is left', () => {
    const time = clock();
    const limiter = new KeyedRateLimiter({ ratePerSecond: 1, burst: 4 }, time.now);
    assert.equal(limiter.tryTake('a', 3), true);
    assert.equal(limiter.tryTake('a', 3), false);
    assert.equal(limiter.available('a'), 1);
  });

  it('survives a clock that steps backwards', () => {
    const time = clock(10_000);
    const limiter = new KeyedRateLimiter({ ratePerSecond: 1, burst: 1 }, time.now);
    assert.equal(limiter.tryTake('a'), true);
    time.advance(-5000);
    assert.equal(limiter.tryTake('a'), false);
    time.advance(1000);
    assert.equal(limiter.tryTake('a'), true);
  });

  it('prunes only buckets that are full again', () => {
    const time = clock();
    const limiter = new KeyedRateLimiter({ ratePerSecond: 1, burst: 2 }, time.now);
    limiter.tryTake('a');
    limiter.tryTake('b', 2);
    time.advance(1000);
    limiter.prune();
    assert.equal(limiter.size, 1, 'a refilled and was dropped; b is still short');
    assert.equal(limiter.available('b'), 1);
  });

  it('rejects a limit that would refuse everything', () => {
    assert.throws(() => new KeyedRateLimiter({ ratePerSecond: 0, burst: 1 }), RangeError);
    assert.throws(() => new KeyedRateLimiter({ ratePerSecond: 1, burst: 0 }), RangeError);
  });
});
