// The per-client limit over HTTP: 429 with Retry-After and a SCIM error body; with Redis the
// budget is shared by every node (two apps on one SQLite file here); an unreachable Redis
// lets requests through instead of refusing them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { buildApp } from '../../src/http/app.ts';
import { call, createOrg, PUBLIC_URL, startHarness, type Harness } from '../helpers/harness.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

test('per node: 429 with Retry-After and a SCIM error body; other clients keep their budget', async () => {
  const h = await startHarness({ rateLimitPerMinute: 3 });
  try {
    const org = await createOrg(h);
    const other = await createOrg(h);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await call(h, { path: '/Users', token: org.token }));
    assert.deepEqual(statuses.map((r) => r.status), [200, 200, 200, 429]);
    assert.ok(Number(statuses[3].headers['retry-after']) >= 1);
    assert.equal(statuses[3].body.status, '429');
    assert.match(statuses[3].body.detail, /Rate limit/);
    assert.equal((await call(h, { path: '/Users', token: other.token })).status, 200);
    // The admin API shares the budget and answers in its own error shape.
    const admin = await call(h, { path: '/api/v2/authorization/divisions', token: org.token });
    assert.equal(admin.status, 429);
    assert.equal(admin.body.code, 'too.many.requests');
  } finally {
    await h.close();
  }
});

test('with Redis the limit holds across nodes', async () => {
  const namespace = `scimitar-test-${randomUUID()}:`;
  const node1 = await startHarness({ rateLimitPerMinute: 4, redisUrl: REDIS_URL, rateLimitNamespace: namespace });
  // A second node on the same store and the same Redis.
  const app2 = await buildApp(node1.services, { publicUrl: PUBLIC_URL, bodyLimitBytes: 1 << 20, logLevel: false, rateLimitPerMinute: 4, redisUrl: REDIS_URL, rateLimitNamespace: namespace });
  const node2: Harness = { ...node1, app: app2 };
  try {
    const org = await createOrg(node1);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(i % 2 === 0 ? node1 : node2, { path: '/Users', token: org.token })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429], 'four requests in all, whichever node took them');
  } finally {
    await app2.close();
    await node1.close();
  }
});

test('an unreachable Redis lets requests through, quickly', async () => {
  const h = await startHarness({ rateLimitPerMinute: 2, redisUrl: 'redis://127.0.0.1:1', rateLimitNamespace: `scimitar-test-${randomUUID()}:` });
  try {
    const org = await createOrg(h);
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(h, { path: '/Users', token: org.token })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  } finally {
    await h.close();
  }
});

test('a hung Redis (SIGSTOP) opens the circuit breaker: one request waits the timeout, the next ones do not', async () => {
  const { spawn } = await import('node:child_process');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const redis = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], { stdio: 'ignore' });
  try {
    // Wait for it to accept connections.
    const { createConnection } = await import('node:net');
    for (let i = 0; i < 50; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const s = createConnection({ port, host: '127.0.0.1' }, () => { s.end(); resolve(true); });
        s.on('error', () => resolve(false));
      });
      if (up) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const h = await startHarness({ rateLimitPerMinute: 1000, redisUrl: `redis://127.0.0.1:${port}`, rateLimitNamespace: `scimitar-test-${randomUUID()}:` });
    try {
      const org = await createOrg(h);
      assert.equal((await call(h, { path: '/Users', token: org.token })).status, 200);
      redis.kill('SIGSTOP');
      const times: number[] = [];
      for (let i = 0; i < 6; i++) {
        const t = Date.now();
        assert.equal((await call(h, { path: '/Users', token: org.token })).status, 200, 'fails open');
        times.push(Date.now() - t);
      }
      assert.ok(times[0] >= 400, `the first request waited the command timeout (${times[0]} ms)`);
      assert.ok(times.slice(1).every((ms) => ms < 300), `the next ones did not wait: ${times.join(', ')} ms`);
      assert.match(await h.app.metrics.registry.metrics(), /scimitar_redis_breaker_open_total 1\b/);
    } finally {
      redis.kill('SIGCONT');
      await h.close();
    }
  } finally {
    redis.kill('SIGKILL');
  }
});
