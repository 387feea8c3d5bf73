// Throttling of failed client authentications at the token endpoint, per client id and per
// source address. The first `freeFailures` failures of a key cost nothing; each one after
// that locks the key for an exponentially longer time (base, 2 x base, ...) up to `maxMs`, so
// a guesser gets a handful of tries per `maxMs` while the real client is never locked out for
// longer than the current backoff. A success clears its client id (not the address: an
// attacker could otherwise reset its address with a client of its own). Failures and locks
// live in a ledger (throttle-ledger.ts): node-local memory, bounded by `maxEntries`, or Redis
// shared by every node; a key forgets its failures after `forgetMs` without one.
//
// Attempts in flight count too (`begin` ... `end`): a key may have at most as many attempts
// under way on this node as it has free failures left (at least one), so that 40 guesses sent
// at once are not all checked before the first failure is recorded. docs/security.md,
// "Throttles under concurrency".
import { MemoryLedger, type KeyState, type ThrottleLedger, type ThrottleRules } from './throttle-ledger.ts';

export interface LoginThrottleOptions extends ThrottleRules {
  readonly now?: () => number;
}

export const LOGIN_THROTTLE_DEFAULTS: LoginThrottleOptions = Object.freeze({
  freeFailures: 5,
  baseMs: 1000,
  maxMs: 60_000,
  forgetMs: 15 * 60_000,
  maxEntries: 100_000,
});

/** Attempts that may wait on one key; past that they are refused at once. */
const MAX_WAITING = 100;

export class LoginThrottle {
  private readonly inFlight = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  private readonly now: () => number;
  private readonly ledger: ThrottleLedger;

  constructor(
    private readonly options: LoginThrottleOptions = LOGIN_THROTTLE_DEFAULTS,
    ledger?: ThrottleLedger,
  ) {
    this.now = options.now ?? Date.now;
    this.ledger = ledger ?? new MemoryLedger(options);
  }

  private static wait(states: readonly (KeyState | undefined)[], now: number): number {
    const until = Math.max(0, ...states.map((s) => s?.lockedUntil ?? 0));
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  /** Whole seconds until any of `keys` may try again; 0 when all may try now. */
  async retryAfterSeconds(keys: readonly string[]): Promise<number> {
    const now = this.now();
    return LoginThrottle.wait(await this.ledger.read(keys, now), now);
  }

  /**
   * Starts an attempt: 0 when it may go ahead (it then counts as in flight until `end`),
   * else whole seconds to wait. While the attempts in flight would use up a key's remaining
   * free failures, a new one waits for one of them to end and is then checked again (so a
   * burst of guesses meets the lock its first failures set, and a client asking for many
   * tokens at once is only queued); more than MAX_WAITING waiting on a key are refused.
   */
  async begin(keys: readonly string[]): Promise<number> {
    for (;;) {
      const now = this.now();
      const states = await this.ledger.read(keys, now);
      const wait = LoginThrottle.wait(states, now);
      if (wait > 0) return wait;
      const full = keys.find((k, i) => (this.inFlight.get(k) ?? 0) >= Math.max(1, this.options.freeFailures - (states[i]?.failures ?? 0)));
      if (full === undefined) break;
      const queue = this.waiting.get(full) ?? [];
      if (queue.length >= MAX_WAITING) return Math.max(1, Math.ceil(this.options.baseMs / 1000));
      this.waiting.set(full, queue);
      await new Promise<void>((resolve) => queue.push(resolve));
    }
    for (const k of keys) this.inFlight.set(k, (this.inFlight.get(k) ?? 0) + 1);
    return 0;
  }

  /**
   * Runs one attempt under the throttle: `refused(seconds)` is thrown while the keys must
   * wait, else `attempt` runs counted as in flight (it calls `failed`/`succeeded` itself).
   */
  async guard<T>(keys: readonly string[], refused: (retryAfterSeconds: number) => Error, attempt: () => Promise<T>): Promise<T> {
    const wait = await this.begin(keys);
    if (wait > 0) throw refused(wait);
    try {
      return await attempt();
    } finally {
      this.end(keys);
    }
  }

  /**
   * Ends an attempt that `begin` let through (after `failed` or `succeeded`). Every attempt
   * waiting on its keys is checked again: those that fit go ahead, those that meet a lock
   * are refused, the rest wait again.
   */
  end(keys: readonly string[]): void {
    for (const k of keys) {
      const n = (this.inFlight.get(k) ?? 1) - 1;
      if (n > 0) this.inFlight.set(k, n);
      else this.inFlight.delete(k);
      const queue = this.waiting.get(k);
      this.waiting.delete(k);
      for (const wake of queue ?? []) wake();
    }
  }

  failed(keys: readonly string[]): Promise<void> {
    return this.ledger.fail(keys, this.now());
  }

  succeeded(key: string): Promise<void> {
    return this.ledger.clear(key);
  }
}
