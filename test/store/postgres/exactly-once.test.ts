// A write that changed nothing was not a write: racing conditional writes on two nodes of one
// PostgreSQL database give one success and one audit record, the rest a clear refusal.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/http/app.ts';
import { createServices } from '../../../src/services.ts';
import { createOrganization, type CreatedOrganization } from '../../../src/directory/organizations.ts';
import type { Store } from '../../../src/store/contract.ts';
import { openTestPostgres, postgresSkipReason } from '../../helpers/postgres.ts';

const skip = await postgresSkipReason();

describe('exactly once on two nodes', { skip }, () => {
  let stores: { store: Store; cleanup(): Promise<void> }[] = [];
  let nodes: FastifyInstance[] = [];
  let org: CreatedOrganization;
  let token: string;
  before(async () => {
    const first = await openTestPostgres();
    const second = await openTestPostgres({ schema: first.schema });
    stores = [first, { store: second.store, cleanup: () => second.store.close() }];
    nodes = await Promise.all(stores.map((s) => buildApp(createServices(s.store, { tokenTtlSeconds: 3600, tokenCacheTtlMs: 5000 }), { publicUrl: 'http://x', bodyLimitBytes: 1 << 20, logLevel: false })));
    org = await createOrganization(first.store, { name: 'once', scimProfile: 'standard' });
    token = (await nodes[0].inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `grant_type=client_credentials&client_id=${org.clientId}&client_secret=${org.clientSecret}` })).json().access_token;
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    for (const s of [...stores].reverse()) await s.cleanup();
  });

  const send = (i: number, method: 'POST' | 'DELETE' | 'PUT', url: string, payload?: unknown) =>
    nodes[i % 2].inject({ method, url, headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json' } : {}) }, payload: payload as object });
  const auditsOf = async (id: string) => (await stores[0].store.queryAudits(org.organization.id, { resourceId: id, limit: 100 })).entities.map((a) => a.action);

  test('ten concurrent DELETEs of one user: one 204, nine 404, one audit record', async () => {
    for (let round = 0; round < 3; round++) {
      const id = (await send(0, 'POST', '/api/v2/scim/v2/Users', { userName: `gone${round}@x.com` })).json().id;
      const res = await Promise.all(Array.from({ length: 10 }, (_, i) => send(i, 'DELETE', `/api/v2/scim/v2/Users/${id}`)));
      assert.deepEqual(res.map((r) => r.statusCode).sort(), [204, ...Array(9).fill(404)], `round ${round}`);
      assert.deepEqual(await auditsOf(id), ['create', 'delete']);
    }
  });

  test('concurrent DELETEs of a group, a division and a role: one success each', async () => {
    const group = (await send(0, 'POST', '/api/v2/scim/v2/Groups', { displayName: 'Doomed' })).json().id;
    const division = (await send(0, 'POST', '/api/v2/authorization/divisions', { name: 'Doomed' })).json().id;
    const role = (await send(0, 'POST', '/api/v2/authorization/roles', { name: 'Doomed', permissions: ['directory:user:view'] })).json().id;
    for (const url of [`/api/v2/scim/v2/Groups/${group}`, `/api/v2/authorization/divisions/${division}`, `/api/v2/authorization/roles/${role}`]) {
      const res = await Promise.all(Array.from({ length: 6 }, (_, i) => send(i, 'DELETE', url)));
      assert.deepEqual(res.map((r) => r.statusCode).sort(), [204, 404, 404, 404, 404, 404], url);
    }
    for (const id of [group, division, role]) assert.equal((await auditsOf(id)).filter((a) => a === 'delete').length, 1);
  });

  test('concurrent If-Match replaces of one version: one 200, the rest invalidVers', async () => {
    const created = await send(0, 'POST', '/api/v2/scim/v2/Users', { userName: 'versioned@x.com' });
    const id = created.json().id;
    const res = await Promise.all(Array.from({ length: 6 }, (_, i) => nodes[i % 2].inject({
      method: 'PUT', url: `/api/v2/scim/v2/Users/${id}`, payload: { userName: 'versioned@x.com', title: `t${i}` },
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', 'if-match': created.headers.etag as string },
    })));
    assert.deepEqual(res.map((r) => r.statusCode).sort(), [200, 400, 400, 400, 400, 400]);
    assert.ok(res.filter((r) => r.statusCode === 400).every((r) => r.json().scimType === 'invalidVers'));
    assert.deepEqual(await auditsOf(id), ['create', 'update']);
  });

  test('two nodes removing the last two administrators at once: one of them stays', async () => {
    const tokenOf = async (id: string, secret: string) =>
      (await nodes[0].inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}` })).json().access_token as string;
    for (let round = 0; round < 3; round++) {
      const org2 = await createOrganization(stores[0].store, { name: `admins${round}`, scimProfile: 'genesys' });
      const t1 = await tokenOf(org2.clientId, org2.clientSecret);
      const b = (await nodes[0].inject({ method: 'POST', url: '/api/v2/oauth/clients', headers: { authorization: `Bearer ${t1}`, 'content-type': 'application/json' }, payload: { name: 'B', roleDivisions: [{ roleId: org2.adminRoleId, divisionId: '*' }] } })).json();
      const t2 = await tokenOf(b.id, b.secret);
      const res = await Promise.all([
        nodes[0].inject({ method: 'DELETE', url: `/api/v2/oauth/clients/${b.id}`, headers: { authorization: `Bearer ${t1}` } }),
        nodes[1].inject({ method: 'DELETE', url: `/api/v2/oauth/clients/${org2.clientId}`, headers: { authorization: `Bearer ${t2}` } }),
      ]);
      assert.equal(res.filter((r) => r.statusCode === 204).length, 1, res.map((r) => `${r.statusCode} ${r.body}`).join('\n'));
      assert.equal((await stores[0].store.listClients(org2.organization.id)).length, 1, 'an administrator remains');
    }
  });
});
