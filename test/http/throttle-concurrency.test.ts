// Throttles under concurrency: 40 wrong secrets or passwords sent at once are checked no more
// often than 40 sent one after another (five free failures and the one that locks), on the
// token endpoint and the console's sign-in, on both stores; and two nodes on one Redis share
// one budget.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { buildApp } from '../../src/http/app.ts';
import { createServices } from '../../src/services.ts';
import { openThrottleRedis, RedisThrottleLedgers } from '../../src/auth/throttle-ledger.ts';
import { consoleAdmin, createOrg, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';

for (const { name: dialect, skip } of DIALECTS) {
  describe(`throttles under concurrency (${dialect})`, async () => {
    let h: Harness;
    let app: FastifyInstance;
    let org: Org;
    before(async () => {
      if (skip) return;
      h = await startHarness({ dialect });
      app = await buildApp(h.services, { publicUrl: 'https://scim.example.test', bodyLimitBytes: 1 << 20, logLevel: false });
      org = await createOrg(h);
      await consoleAdmin(app, org.organization.id, 'root@x.test');
    });
    after(async () => {
      if (skip) return;
      await app.close();
      await h.close();
    });

    test('40 wrong client secrets at once: six are checked, the rest are 429', { skip }, async () => {
      const res = await Promise.all(Array.from({ length: 40 }, () => h.app.inject({
        method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `grant_type=client_credentials&client_id=${org.clientId}&client_secret=wrong`,
      })));
      const statuses = res.map((r) => r.statusCode);
      assert.equal(statuses.filter((s) => s === 401).length, 6, statuses.join(','));
      assert.equal(statuses.filter((s) => s === 429).length, 34);
    });

    test('40 wrong console passwords at once: six are checked, the rest are told to wait', { skip }, async () => {
      const res = await Promise.all(Array.from({ length: 40 }, () => app.inject({
        method: 'POST', url: '/console/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ organization: org.organization.name, userName: 'root@x.test', password: 'not the password' }).toString(),
      })));
      const wrong = res.filter((r) => r.body.includes('Wrong email or password')).length;
      const throttled = res.filter((r) => r.body.includes('Too many failed sign-ins')).length;
      assert.equal(wrong, 6, res.map((r) => r.statusCode).join(','));
      assert.equal(throttled, 34);
    });
  });
}

describe('throttles shared by two nodes on one Redis', () => {
  const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  let h: Harness;
  let org: Org;
  let redis: Redis;
  const nodes: FastifyInstance[] = [];
  before(async () => {
    h = await startHarness();
    org = await createOrg(h);
    redis = openThrottleRedis(REDIS_URL, () => {});
    await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
    // Two nodes: their own services and app over one store, throttling in one Redis namespace.
    const throttles = new RedisThrottleLedgers(redis, `test-nodes-${randomUUID()}:`);
    for (let i = 0; i < 2; i++) {
      const services = createServices(h.store, { tokenTtlSeconds: 3600, tokenCacheTtlMs: 0, throttles });
      nodes.push(await buildApp(services, { publicUrl: 'https://scim.example.test', bodyLimitBytes: 1 << 20, logLevel: false }));
    }
    await consoleAdmin(nodes[0], org.organization.id, 'root@x.test');
  });
  after(async () => {
    for (const n of nodes) await n.close();
    redis.disconnect();
    await h.close();
  });

  test('wrong secrets alternating between the nodes meet one budget: the sixth locks both', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await nodes[i % 2].inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `grant_type=client_credentials&client_id=${org.clientId}&client_secret=wrong${i}` });
      statuses.push(r.statusCode);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429, 429], 'per node, each would have allowed five free failures');
    const right = await nodes[1].inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `grant_type=client_credentials&client_id=${org.clientId}&client_secret=${org.clientSecret}` });
    assert.equal(right.statusCode, 429, 'even the right secret waits out the lock the other node set');
  });

  test('wrong console passwords alternating between the nodes meet one budget', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await nodes[i % 2].inject({ method: 'POST', url: '/console/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ userName: 'root@x.test', password: `wrong ${i}` }).toString() });
      statuses.push(r.statusCode);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429, 429]);
  });
});
