/**
 * Token buckets: one per connection ({@link TokenBucket}) or one per client address
 * ({@link KeyedRateLimiter}). The clock is injected so tests can move time by
 * hand instead of sleeping.
 */

/** How fast a bucket refills and how much it holds. */
export interface RateLimit {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Bucket size: the longest burst allowed after a quiet spell. */
  burst: number;
}

/** Current time in ms; `Date.now` or `performance.now` in production, a counter in tests. */
export type Clock = () => number;

function checkLimit(limit: RateLimit): void {
  if (!(limit.ratePerSecond > 0) || !(limit.burst >= 1)) {
    throw new RangeError(`invalid rate limit ${JSON.stringify(limit)}`);
  }
}

/** One token bucket: starts full, refills at `ratePerSecond` up to `burst`. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly limit: RateLimit,
    private readonly now: Clock = Date.now,
  ) {
    checkLimit(limit);
    this.tokens = limit.burst;
    this.updatedAt = now();
  }

  /** Takes `cost` tokens; false (and nothing taken) when the bucket holds fewer. */
  tryTake(cost = 1): boolean {
    this.refill();
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /** Tokens left right now. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** True when the bucket is full again, i.e. no different from a new one. */
  isFull(): boolean {
    return this.available() >= this.limit.burst;
  }

  private refill(): void {
    const now = this.now();
    // Math.max guards against a clock that steps backwards.
    const elapsedMs = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(
      this.limit.burst,
      this.tokens + (elapsedMs / 1000) * this.limit.ratePerSecond,
    );
    this.updatedAt = now;
  }
}

/** One token bucket per key (a client address), created on first use. */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    readonly limit: RateLimit,
    private readonly now: Clock = Date.now,
  ) {
    checkLimit(limit);
  }

  /** Takes `cost` tokens from `key`'s bucket; false (and nothing taken) when it holds fewer. */
  tryTake(key: string, cost = 1): boolean {
    return this.bucket(key).tryTake(cost);
  }

  /** Tokens left for `key` right now (for tests and diagnostics). */
  available(key: string): number {
    return this.bucket(key).available();
  }

  /** Number of keys being tracked. */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * Forgets buckets that have refilled completely: they behave exactly like new ones, so
   * dropping them only bounds memory when many addresses come and go.
   */
  prune(): void {
    for (const [key, bucket] of this.buckets) if (bucket.isFull()) this.buckets.delete(key);
  }

  private bucket(key: string): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.limit, this.now);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
