import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from '../../src/auth/login-throttle.ts';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('free failures cost nothing; each one after doubles the backoff up to the bound', () => {
  const c = clock();
  const th = new LoginThrottle({ freeFailures: 3, baseMs: 1000, maxMs: 8000, forgetMs: 60_000, maxEntries: 10, now: c.now });
  const waits: number[] = [];
  for (let i = 0; i < 8; i++) {
    th.failed(['k']);
    waits.push(th.retryAfterSeconds(['k']));
  }
  assert.deepEqual(waits, [0, 0, 0, 1, 2, 4, 8, 8]);
  c.advance(8000);
  assert.equal(th.retryAfterSeconds(['k']), 0, 'never locked for longer than the backoff');
});

test('a success clears only its own key; failures are forgotten after a quiet period', () => {
  const c = clock();
  const th = new LoginThrottle({ freeFailures: 0, baseMs: 1000, maxMs: 60_000, forgetMs: 10_000, maxEntries: 10, now: c.now });
  th.failed(['client:a', 'address:x']);
  assert.equal(th.retryAfterSeconds(['client:a']), 1);
  th.succeeded('client:a');
  assert.equal(th.retryAfterSeconds(['client:a']), 0);
  assert.equal(th.retryAfterSeconds(['address:x']), 1);
  th.failed(['address:x']);
  c.advance(10_001);
  th.failed(['address:x']);
  assert.equal(th.retryAfterSeconds(['address:x']), 1, 'the count started afresh');
});

test('memory is bounded: the oldest key goes first', () => {
  const th = new LoginThrottle({ freeFailures: 0, baseMs: 1000, maxMs: 1000, forgetMs: 60_000, maxEntries: 2 });
  th.failed(['a']);
  th.failed(['b']);
  th.failed(['c']);
  assert.equal(th.retryAfterSeconds(['a']), 0);
  assert.equal(th.retryAfterSeconds(['c']), 1);
});

test('attempts in flight count: a burst of 40 failing guesses is checked no more often than 40 in a row', async () => {
  const c = clock();
  const th = new LoginThrottle({ freeFailures: 5, baseMs: 1000, maxMs: 60_000, forgetMs: 60_000, maxEntries: 100, now: c.now });
  let checked = 0;
  const guess = async () => {
    const wait = await th.begin(['client:a', 'address:x']);
    if (wait > 0) return 'throttled';
    try {
      checked++;
      await new Promise((resolve) => setTimeout(resolve, 2)); // the secret check takes a while
      th.failed(['client:a', 'address:x']);
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
  const th = new LoginThrottle({ freeFailures: 5, baseMs: 1000, maxMs: 60_000, forgetMs: 60_000, maxEntries: 100 });
  let inFlight = 0;
  let most = 0;
  const ask = async () => {
    const wait = await th.begin(['client:b', 'address:y']);
    if (wait > 0) return false;
    try {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      th.succeeded('client:b');
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
