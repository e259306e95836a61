/**
 * Token buckets keyed by client address. The clock is injected so tests can move time by
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

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** One token bucket per key (a client address), created on first use. */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly limit: RateLimit,
    private readonly now: Clock = Date.now,
  ) {
    if (!(limit.ratePerSecond > 0) || !(limit.burst >= 1)) {
      throw new RangeError(`invalid rate limit ${JSON.stringify(limit)}`);
    }
  }

  /** Takes `cost` tokens from `key`'s bucket; false (and nothing taken) when it holds fewer. */
  tryTake(key: string, cost = 1): boolean {
    const bucket = this.refill(key);
    if (bucket.tokens < cost) return false;
    bucket.tokens -= cost;
    return true;
  }

  /** Tokens left for `key` right now (for tests and diagnostics). */
  available(key: string): number {
    return this.refill(key).tokens;
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
    for (const key of [...this.buckets.keys()]) {
      if (this.refill(key).tokens >= this.limit.burst) this.buckets.delete(key);
    }
  }

  private refill(key: string): Bucket {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.limit.burst, updatedAt: now };
      this.buckets.set(key, bucket);
      return bucket;
    }
    // Math.max guards against a clock that steps backwards.
    const elapsedMs = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(
      this.limit.burst,
      bucket.tokens + (elapsedMs / 1000) * this.limit.ratePerSecond,
    );
    bucket.updatedAt = now;
    return bucket;
  }
}
