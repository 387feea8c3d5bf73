// Where the login throttle keeps each key's failures and lock. In memory, each node counts
// for itself; in Redis (REDIS_URL), every node that shares it counts together, so N nodes do
// not allow N times the guesses. Redis is an accelerator here as for the rate limit: a Redis
// that fails or answers slowly is not asked for BREAKER_MS, and meanwhile each node throttles
// on its own memory, which every failure also updates (never less than one node's throttle).
import { Redis as RedisClient, type Redis } from 'ioredis';

export interface ThrottleRules {
  /** Failures allowed before any backoff. */
  readonly freeFailures: number;
  /** The first backoff. */
  readonly baseMs: number;
  /** The longest backoff. */
  readonly maxMs: number;
  /** A key with no failure for this long starts afresh. */
  readonly forgetMs: number;
  /** Keys kept in memory (oldest first out). */
  readonly maxEntries: number;
}

export interface KeyState {
  readonly failures: number;
  /** Epoch ms until which the key may not try; 0 when not locked. */
  readonly lockedUntil: number;
}

export interface ThrottleLedger {
  /** The state of each key, in order (undefined: no failure remembered). */
  read(keys: readonly string[], now: number): Promise<(KeyState | undefined)[]>;
  /** One more failure for each key, locking it once its free failures are used up. */
  fail(keys: readonly string[], now: number): Promise<void>;
  /** Forgets a key's failures (a success). */
  clear(key: string): Promise<void>;
}

/** The lock a key's `failures`-th failure at `now` sets: base, 2 x base, ... up to max. */
export function lockUntil(rules: ThrottleRules, failures: number, now: number): number {
  const over = failures - rules.freeFailures;
  return over > 0 ? now + Math.min(rules.maxMs, rules.baseMs * 2 ** Math.min(over - 1, 30)) : 0;
}

interface Entry {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

export class MemoryLedger implements ThrottleLedger {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly rules: ThrottleRules) {}

  private entry(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && now - e.lastFailure > this.rules.forgetMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  async read(keys: readonly string[], now: number): Promise<(KeyState | undefined)[]> {
    return keys.map((k) => this.entry(k, now));
  }

  async fail(keys: readonly string[], now: number): Promise<void> {
    for (const k of keys) {
      const e = this.entry(k, now) ?? { failures: 0, lockedUntil: 0, lastFailure: now };
      e.failures += 1;
      e.lastFailure = now;
      const lock = lockUntil(this.rules, e.failures, now);
      if (lock > 0) e.lockedUntil = lock;
      this.entries.delete(k); // re-insert: the map's order is the eviction order
      this.entries.set(k, e);
      if (this.entries.size > this.rules.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  async clear(key: string): Promise<void> {
    this.entries.delete(key);
  }
}

/** How long a Redis that failed or answered slowly is left alone. */
export const THROTTLE_BREAKER_MS = 30_000;
/** A Redis answer slower than this opens the breaker (its commands time out at 500 ms). */
const SLOW_MS = 400;

// One failure, atomically: count, lock once past the free failures, forget after forgetMs.
// KEYS[1] the key; ARGV: freeFailures, now, baseMs, maxMs, forgetMs.
const FAIL_SCRIPT = `
local f = redis.call('HINCRBY', KEYS[1], 'f', 1)
local over = f - tonumber(ARGV[1])
if over > 0 then
  local wait = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ math.min(over - 1, 30))
  redis.call('HSET', KEYS[1], 'l', tonumber(ARGV[2]) + wait)
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return f`;

export class RedisLedger implements ThrottleLedger {
  private readonly local: MemoryLedger;
  private openUntil = 0;

  constructor(
    private readonly redis: Redis,
    /** Key prefix: one per throttle (token endpoint, console sign-in). */
    private readonly prefix: string,
    private readonly rules: ThrottleRules,
    private readonly onTrouble: (message: string) => void = () => {},
  ) {
    this.local = new MemoryLedger(rules);
  }

  /** Runs `op` against Redis unless the breaker is open; undefined when Redis could not answer in time. */
  private async ask<T>(op: () => Promise<T>): Promise<T | undefined> {
    if (Date.now() < this.openUntil || this.redis.status !== 'ready') return undefined;
    const started = Date.now();
    try {
      const result = await op();
      if (Date.now() - started < SLOW_MS) return result;
    } catch {
      // Failed or timed out: as slow.
    }
    this.openUntil = Date.now() + THROTTLE_BREAKER_MS;
    this.onTrouble(`login throttle store (Redis) is slow or failing: each node throttles on its own for ${THROTTLE_BREAKER_MS / 1000} s`);
    return undefined;
  }

  async read(keys: readonly string[], now: number): Promise<(KeyState | undefined)[]> {
    const shared = await this.ask(async () => {
      const pipe = this.redis.pipeline();
      for (const k of keys) pipe.hmget(this.prefix + k, 'f', 'l');
      const results = (await pipe.exec()) ?? [];
      return results.map(([err, value]) => {
        if (err) throw err;
        const [f, l] = value as (string | null)[];
        return f === null ? undefined : { failures: Number(f), lockedUntil: Number(l ?? 0) };
      });
    });
    return shared ?? this.local.read(keys, now);
  }

  async fail(keys: readonly string[], now: number): Promise<void> {
    await this.local.fail(keys, now);
    await this.ask(async () => {
      const pipe = this.redis.pipeline();
      const r = this.rules;
      for (const k of keys) pipe.eval(FAIL_SCRIPT, 1, this.prefix + k, r.freeFailures, now, r.baseMs, r.maxMs, r.forgetMs);
      for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
    });
  }

  async clear(key: string): Promise<void> {
    await this.local.clear(key);
    await this.ask(() => this.redis.del(this.prefix + key));
  }
}

/** Ledgers that every node sharing one Redis shares; one connection for all of them. */
export interface ThrottleLedgers {
  ledger(scope: string, rules: ThrottleRules): ThrottleLedger;
}

export class RedisThrottleLedgers implements ThrottleLedgers {
  constructor(
    private readonly redis: Redis,
    /** Prefix of every key (tests use one each). */
    private readonly namespace = 'scimitar-throttle:',
    private readonly onTrouble: (message: string) => void = () => {},
  ) {}

  ledger(scope: string, rules: ThrottleRules): ThrottleLedger {
    return new RedisLedger(this.redis, `${this.namespace}${scope}:`, rules, this.onTrouble);
  }
}

/** The Redis connection for shared throttles: commands time out at 500 ms and are not queued while it reconnects. */
export function openThrottleRedis(url: string, onTrouble: (message: string) => void): Redis {
  const redis = new RedisClient(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500, connectTimeout: 2000 });
  let reported = false;
  redis.on('error', (err: Error) => {
    // One line per outage, not one per reconnection attempt.
    if (!reported) onTrouble(`login throttle store (Redis) unreachable (${err.message}): each node throttles on its own until it is back`);
    reported = true;
  });
  redis.on('ready', () => {
    reported = false;
  });
  return redis;
}
