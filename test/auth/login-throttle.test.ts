// The login throttle over both ledgers: node memory and Redis (shared by every node). The
// rules are the same on both; Redis adds sharing, and falls back to memory when it fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { LoginThrottle, type LoginThrottleOptions } from '../../src/auth/login-throttle.ts';
import { MemoryLedger, RedisThrottleLedgers, type ThrottleLedger } from '../../src/auth/throttle-ledger.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function clock() {
  let t = Date.now();
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

let redis: Redis;
before(async () => {
  redis = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500 });
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    redis.once('error', reject);
  });
});
after(() => redis.disconnect());

const ledgers: Record<string, (o: LoginThrottleOptions) => ThrottleLedger> = {
  memory: (o) => new MemoryLedger(o),
  redis: (o) => new RedisThrottleLedgers(redis, `test-throttle-${randomUUID()}:`).ledger('t', o),
};

for (const [kind, ledgerFor] of Object.entries(ledgers)) {
  describe(`login throttle (${kind})`, () => {
    const throttle = (o: LoginThrottleOptions) => new LoginThrottle(o, ledgerFor(o));

    test('free failures cost nothing; each one after doubles the backoff up to the bound', async () => {
      const c = clock();
      const th = throttle({ freeFailures: 3, baseMs: 1000, maxMs: 8000, forgetMs: 60_000, maxEntries: 10, now: c.now });
      const waits: number[] = [];
      for (let i = 0; i < 8; i++) {
        await th.failed(['k']);
        waits.push(await th.retryAfterSeconds(['k']));
      }
      assert.deepEqual(waits, [0, 0, 0, 1, 2, 4, 8, 8]);
      c.advance(8000);
      assert.equal(await th.retryAfterSeconds(['k']), 0, 'never locked for longer than the backoff');
    });

    test('a success clears only its own key', async () => {
      const c = clock();
      const th = throttle({ freeFailures: 0, baseMs: 1000, maxMs: 60_000, forgetMs: 10_000, maxEntries: 10, now: c.now });
      await th.failed(['client:a', 'address:x']);
      assert.equal(await th.retryAfterSeconds(['client:a']), 1);
      await th.succeeded('client:a');
      assert.equal(await th.retryAfterSeconds(['client:a']), 0);
      assert.equal(await th.retryAfterSeconds(['address:x']), 1);
    });

    test('attempts in flight count: a burst of 40 failing guesses is checked no more often than 40 in a row', async () => {
      const c = clock();
      const th = throttle({ freeFailures: 5, baseMs: 1000, maxMs: 60_000, forgetMs: 60_000, maxEntries: 100, now: c.now });
      let checked = 0;
      const guess = async () => {
        const wait = await th.begin(['client:a', 'address:x']);
        if (wait > 0) return 'throttled';
        try {
          checked++;
          await new Promise((resolve) => setTimeout(resolve, 2)); // the secret check takes a while
          await th.failed(['client:a', 'address:x']);
          return 'refused';
        } finally {
          th.end(['client:a', 'address:x']);
        }
      };
      const outcomes = await Promise.all(Array.from({ length: 40 }, guess));
      assert.equal(checked, 6, 'five free failures, then the one that locks: as one after another');
      assert.equal(outcomes.filter((o) => o === 'throttled').length, 34);
    });

    test('a client asking for many tokens at once is queued, not refused', async () => {
      const th = throttle({ freeFailures: 5, baseMs: 1000, maxMs: 60_000, forgetMs: 60_000, maxEntries: 100 });
      let inFlight = 0;
      let most = 0;
      const ask = async () => {
        const wait = await th.begin(['client:b', 'address:y']);
        if (wait > 0) return false;
        try {
          most = Math.max(most, ++inFlight);
          await new Promise((resolve) => setTimeout(resolve, 1));
          await th.succeeded('client:b');
          return true;
        } finally {
          inFlight--;
          th.end(['client:b', 'address:y']);
        }
      };
      const ok = await Promise.all(Array.from({ length: 32 }, ask));
      assert.ok(ok.every(Boolean));
      assert.ok(most <= 5, `at most five at once (saw ${most})`);
    });
  });
}

test('memory: failures are forgotten after a quiet period, and memory is bounded (oldest key first out)', async () => {
  const c = clock();
  const th = new LoginThrottle({ freeFailures: 0, baseMs: 1000, maxMs: 60_000, forgetMs: 10_000, maxEntries: 2, now: c.now });
  await th.failed(['address:x']);
  await th.failed(['address:x']);
  c.advance(10_001);
  await th.failed(['address:x']);
  assert.equal(await th.retryAfterSeconds(['address:x']), 1, 'the count started afresh');
  await th.failed(['b']);
  await th.failed(['c']);
  assert.equal(await th.retryAfterSeconds(['address:x']), 0, 'evicted');
  assert.equal(await th.retryAfterSeconds(['c']), 1);
});

test('redis: two nodes share one budget; a key is forgotten by Redis itself after forgetMs', async () => {
  const namespace = `test-throttle-${randomUUID()}:`;
  const rules = { freeFailures: 2, baseMs: 1000, maxMs: 60_000, forgetMs: 1500, maxEntries: 100 };
  const nodeA = new LoginThrottle(rules, new RedisThrottleLedgers(redis, namespace).ledger('token', rules));
  const nodeB = new LoginThrottle(rules, new RedisThrottleLedgers(redis, namespace).ledger('token', rules));
  await nodeA.failed(['client:z']);
  await nodeB.failed(['client:z']);
  assert.equal(await nodeA.retryAfterSeconds(['client:z']), 0, 'two free failures, one on each node');
  await nodeA.failed(['client:z']);
  assert.equal(await nodeB.retryAfterSeconds(['client:z']), 1, 'the third, on A, locks B too');
  assert.ok((await redis.pttl(`${namespace}token:client:z`)) <= 1500, 'Redis forgets the key by itself');
  const other = new LoginThrottle(rules, new RedisThrottleLedgers(redis, namespace).ledger('console', rules));
  assert.equal(await other.retryAfterSeconds(['client:z']), 0, 'the console\'s throttle is another ledger');
});

test('redis: an unreachable Redis falls back to each node\'s memory, which still throttles', async () => {
  const down = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500, lazyConnect: true, retryStrategy: () => null });
  down.on('error', () => {});
  const rules = { freeFailures: 1, baseMs: 1000, maxMs: 60_000, forgetMs: 60_000, maxEntries: 100 };
  const th = new LoginThrottle(rules, new RedisThrottleLedgers(down, 'x:').ledger('token', rules));
  await th.failed(['client:q']);
  await th.failed(['client:q']);
  assert.equal(await th.retryAfterSeconds(['client:q']), 1, 'locked from memory');
  down.disconnect();
});
