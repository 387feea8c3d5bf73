import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../src/auth/rate-limit.ts';
import { call, createOrg, startHarness } from '../helpers/harness.ts';

test('a token bucket per client: bursts up to the limit, refills evenly, says when to retry', () => {
  let now = 0;
  const rl = new RateLimiter(60, () => now);
  for (let i = 0; i < 60; i++) assert.equal(rl.take('a').allowed, true);
  const refused = rl.take('a');
  assert.equal(refused.allowed, false);
  assert.equal(refused.retryAfterSeconds, 1);
  assert.equal(rl.take('b').allowed, true, 'clients have their own buckets');
  now += 1000;
  assert.equal(rl.take('a').allowed, true);
  assert.equal(new RateLimiter(0).enabled, false);
});

test('over HTTP: 429 with Retry-After and a SCIM error body', async () => {
  const h = await startHarness({ rateLimitPerMinute: 3 });
  try {
    const org = await createOrg(h);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await call(h, { path: '/Users', token: org.token }));
    assert.deepEqual(statuses.map((r) => r.status), [200, 200, 200, 429]);
    assert.ok(Number(statuses[3].headers['retry-after']) >= 1);
    assert.equal(statuses[3].body.status, '429');
  } finally {
    await h.close();
  }
});
