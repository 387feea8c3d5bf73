// Prometheus metrics: the figures move with traffic, labels stay bounded and name no tenant,
// and they are served on their own listener, never on the API port.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, createOrg, entraUser, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { freePort, startNode } from '../helpers/process.ts';
import { postgresSkipReason } from '../helpers/postgres.ts';

let h: Harness;
let org: Org;
before(async () => {
  h = await startHarness({ rateLimitPerMinute: 2 });
  org = await createOrg(h);
});
after(() => h.close());

const value = (text: string, name: string, labels: Record<string, string>) => {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && want.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').pop()) : 0;
};

test('request, SCIM operation, token and rate-limit figures move', async () => {
  const before = await h.app.metrics.registry.metrics();
  await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('metrics@contoso.com') });
  await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('metrics@contoso.com') });
  const limited = await call(h, { path: '/Users', token: org.token });
  assert.equal(limited.status, 429);
  await h.app.inject({ method: 'POST', url: '/oauth/token', payload: 'grant_type=client_credentials&client_id=x&client_secret=y', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const after = await h.app.metrics.registry.metrics();
  const delta = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
  assert.equal(delta('scimitar_scim_operations_total', { resource_type: 'User', operation: 'create', outcome: 'success' }), 1);
  assert.equal(delta('scimitar_scim_operations_total', { resource_type: 'User', operation: 'create', outcome: 'client_error' }), 1);
  assert.equal(delta('scimitar_http_requests_total', { route: '/api/v2/scim/v2/Users', method: 'POST', status: '2xx' }), 1);
  assert.ok(delta('scimitar_http_request_duration_seconds_count', { route: '/api/v2/scim/v2/Users', method: 'POST', status: '4xx' }) === 1);
  assert.equal(delta('scimitar_rate_limited_requests_total', {}), 1);
  assert.equal(delta('scimitar_oauth_tokens_total', { outcome: 'refused' }), 1);
  assert.ok(delta('scimitar_db_query_duration_seconds_count', { kind: 'write', dialect: 'sqlite' }) >= 2, 'the create wrote');
  assert.ok(delta('scimitar_db_query_duration_seconds_count', { kind: 'read', dialect: 'sqlite' }) >= 1);
  assert.ok(!after.includes('scimitar_db_pool_connections'), 'SQLite has no pool');
  assert.ok(delta('scimitar_db_transactions_total', { dialect: 'sqlite' }) >= 2, 'both creates ran a transaction');
  assert.ok(delta('scimitar_db_commits_total', { dialect: 'sqlite' }) >= 1, 'the successful create committed');
  assert.match(after, /nodejs_eventloop_lag_seconds/);
  assert.match(after, /process_resident_memory_bytes/);
  assert.ok(!after.includes(org.organization.id) && !after.includes(org.clientId), 'no organization or client in any label');
  await call(h, { path: '/no/such/path/with-an-id-1234' });
  assert.ok(!(await h.app.metrics.registry.metrics()).includes('with-an-id-1234'), 'unmatched paths share one label');
});

test('metrics are served on their own port, not on the API port', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scimitar-metrics-'));
  const port = await freePort();
  const node = await startNode({ SCIMITAR_DB: join(dir, 'm.db'), SCIMITAR_METRICS_PORT: String(port) });
  try {
    assert.match(node.output(), new RegExp(`Metrics    : http://127.0.0.1:${port}/metrics`));
    const scrape = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(scrape.status, 200);
    assert.match(await scrape.text(), /scimitar_http_requests_total|process_cpu_user_seconds_total/);
    assert.equal((await fetch(`${node.url}/metrics`)).status, 404);
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('on PostgreSQL: statement latency and pool figures', { skip: await postgresSkipReason() }, async () => {
  const pg = await startHarness({ dialect: 'postgres' });
  try {
    const o = await createOrg(pg);
    await call(pg, { method: 'POST', path: '/Users', token: o.token, body: entraUser('pgmetrics@contoso.com') });
    const text = await pg.app.metrics.registry.metrics();
    assert.ok(value(text, 'scimitar_db_query_duration_seconds_count', { kind: 'write', dialect: 'postgres' }) >= 2);
    assert.ok(value(text, 'scimitar_db_pool_connections', { state: 'total' }) >= 1, text.split('\n').filter((l) => l.includes('pool')).join('\n'));
    assert.ok(text.includes('scimitar_db_pool_connections{state="waiting"} 0'));
  } finally {
    await pg.close();
  }
});
