// Revocation reaches every node at once on PostgreSQL: two nodes (two sets of services with
// their own token caches, trusting a cached token for ten minutes) on one database; a client
// disabled, rotated or stripped of its role through one node is refused by the other at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import { createServices, type Services } from '../../src/services.ts';
import { call, clientWith, createOrg, PUBLIC_URL, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { postgresSkipReason } from '../helpers/postgres.ts';

const skip = await postgresSkipReason();
const CACHE_MS = 600_000;

describe('revocation across nodes (postgres)', { skip }, () => {
  let h: Harness;
  let services2: Services;
  let app2: FastifyInstance;
  let node2: Harness;
  const stops: (() => Promise<void>)[] = [];
  let org: Org;

  before(async () => {
    h = await startHarness({ dialect: 'postgres', tokenCacheTtlMs: CACHE_MS });
    services2 = createServices(h.store, { tokenTtlSeconds: 3600, tokenCacheTtlMs: CACHE_MS });
    app2 = await buildApp(services2, { publicUrl: PUBLIC_URL, bodyLimitBytes: 1 << 20, logLevel: false });
    node2 = { ...h, app: app2, services: services2 };
    stops.push(await h.services.tokens.listen(), await services2.tokens.listen());
    org = await createOrg(h);
  });
  after(async () => {
    for (const stop of stops) await stop();
    await app2.close();
    await h.close();
  });

  /** Polls node 2 until the token is refused; returns how long it took. */
  async function refusedWithin(token: string, ms: number): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < ms) {
      const r = await call(node2, { path: '/Users', token });
      if (r.status === 401) return Date.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return Infinity;
  }

  async function clientIdOf(token: string): Promise<string> {
    return (await h.services.tokens.authenticate(token))!.clientId;
  }

  test('a client disabled on node 1 is refused by node 2 at once', async () => {
    const token = await clientWith(h, org, ['scim:*:*']);
    assert.equal((await call(node2, { path: '/Users', token })).status, 200, 'node 2 has the token cached');
    const id = await clientIdOf(token);
    const current = await call(h, { path: `/api/v2/oauth/clients/${id}`, token: org.token });
    const put = await call(h, { method: 'PUT', path: `/api/v2/oauth/clients/${id}`, token: org.token, body: { name: current.body.name, state: 'inactive' } });
    assert.equal(put.status, 200, put.raw);
    assert.ok((await refusedWithin(token, 2000)) < 2000, 'node 2 still accepts the token of a disabled client');
  });

  test('a role change on node 1 reaches node 2: what the role no longer grants is hidden', async () => {
    const user = await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: 'rolechange@contoso.com', displayName: 'Role Change' } });
    assert.equal(user.status, 201, user.raw);
    const token = await clientWith(h, org, ['directory:user:view']);
    assert.equal((await call(node2, { path: `/Users/${user.body.id}`, token })).status, 200, 'node 2 has the principal cached');
    const id = await clientIdOf(token);
    const client = await call(h, { path: `/api/v2/oauth/clients/${id}`, token: org.token });
    const roleId = client.body.roleDivisions[0].roleId as string;
    const role = await call(h, { path: `/api/v2/authorization/roles/${roleId}`, token: org.token });
    const put = await call(h, { method: 'PUT', path: `/api/v2/authorization/roles/${roleId}`, token: org.token, body: { name: role.body.name, permissions: ['routing:skill:view'] } });
    assert.equal(put.status, 200, put.raw);
    const started = Date.now();
    let status = 200;
    while (Date.now() - started < 2000 && status === 200) {
      status = (await call(node2, { path: `/Users/${user.body.id}`, token })).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(status, 404, 'node 2 still applies the old role');
  });
});
