// Per-client request limits, as Genesys limits each OAuth client per minute. A token bucket
// per client id: `perMinute` requests refill evenly over a minute, bursts up to `perMinute`.
// Node-local: with N nodes behind a balancer the effective limit is up to N times higher.

export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Seconds until one request is allowed again (when refused). */
  readonly retryAfterSeconds: number;
  readonly remaining: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.perMinute > 0;
  }

  take(key: string): RateLimitDecision {
    const now = this.now();
    const rate = this.perMinute / 60000; // tokens per ms
    const b = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0, remaining: Math.floor(b.tokens) };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000)), remaining: 0 };
  }
}
