import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createOrg, GEN, startHarness, type Harness, type Org } from '../helpers/harness.ts';

let h: Harness;
let org: Org;
before(async () => {
  h = await startHarness();
  org = await createOrg(h);
});
after(() => h.close());

test('ServiceProviderConfig says what is supported, from the registry', async () => {
  const r = await call(h, { path: '/ServiceProviderConfig', token: org.token });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.schemas, ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'], 'no URN a strict client could not resolve');
  assert.ok(!Object.keys(r.body).some((k) => k.startsWith('urn:')), 'no extension attributes either');
  assert.equal(r.body.patch.supported, true);
  assert.deepEqual(r.body.bulk, { supported: true, maxOperations: 1000, maxPayloadSize: 1024 * 1024 });
  assert.deepEqual(r.body.pagination, { cursor: true, index: true, defaultPaginationMethod: 'index', defaultPageSize: 25, maxPageSize: 1000, cursorTimeout: 3600 });
  assert.equal(r.body.filter.maxResults, 1000);
  assert.equal(r.body.etag.supported, true);
  assert.match(r.body.authenticationSchemes[0].description, /genesys/);
});

test('ResourceTypes and Schemas list and fetch by id; filters on them are refused with 403', async () => {
  const rts = await call(h, { path: '/ResourceTypes', token: org.token });
  assert.deepEqual(rts.body.Resources.map((r: { id: string }) => r.id), ['User', 'Group']);
  assert.deepEqual(rts.body.Resources[0].schemaExtensions.map((e: { schema: string }) => e.schema), ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', GEN]);
  assert.equal((await call(h, { path: '/ResourceTypes/User', token: org.token })).body.endpoint, '/Users');
  assert.equal((await call(h, { path: '/resourcetypes/group', token: org.token })).body.id, 'Group');
  assert.equal((await call(h, { path: '/ResourceTypes/Nope', token: org.token })).status, 404);
  const schemas = await call(h, { path: '/Schemas', token: org.token });
  assert.equal(schemas.body.totalResults, 4);
  const gen = await call(h, { path: `/Schemas/${GEN}`, token: org.token });
  assert.deepEqual(gen.body.attributes.map((a: { name: string }) => a.name), ['routingSkills', 'routingLanguages', 'externalIds']);
  assert.equal((await call(h, { path: '/Schemas?filter=id eq "x"', token: org.token })).status, 403);
  assert.equal((await call(h, { path: '/ResourceTypes?filter=id eq "x"', token: org.token })).status, 403);
});

test('the standard profile publishes no Genesys extension', async () => {
  const std = await createOrg(h, 'standard');
  const schemas = await call(h, { path: '/Schemas', token: std.token });
  assert.ok(!schemas.body.Resources.some((s: { id: string }) => s.id === GEN));
  assert.equal((await call(h, { path: `/Schemas/${GEN}`, token: std.token })).status, 404);
});

test('health and readiness', async () => {
  assert.deepEqual((await call(h, { path: '/healthz' })).body, { status: 'ok' });
  assert.deepEqual((await call(h, { path: '/readyz' })).body, { status: 'ready' });
});

test('strict clients can resolve every schema URN discovery names (as scim2-client requires)', async () => {
  // RFC 7643 section 8.7: the three discovery documents are described by these; every other
  // URN a document or resource type names must be served at /Schemas.
  const META = new Set(['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig', 'urn:ietf:params:scim:schemas:core:2.0:ResourceType', 'urn:ietf:params:scim:schemas:core:2.0:Schema']);
  const served = new Set(((await call(h, { path: '/Schemas', token: org.token })).body.Resources as { id: string }[]).map((x) => x.id));
  const named: string[] = [];
  const spc = (await call(h, { path: '/ServiceProviderConfig', token: org.token })).body;
  named.push(...spc.schemas);
  for (const t of (await call(h, { path: '/ResourceTypes', token: org.token })).body.Resources as { schemas: string[]; schema: string; schemaExtensions?: { schema: string }[] }[]) {
    named.push(...t.schemas, t.schema, ...(t.schemaExtensions ?? []).map((e) => e.schema));
  }
  for (const x of (await call(h, { path: '/Schemas', token: org.token })).body.Resources as { schemas: string[] }[]) named.push(...x.schemas);
  const unresolved = [...new Set(named)].filter((urn) => !META.has(urn) && !served.has(urn));
  assert.deepEqual(unresolved, []);
});

test('the core User and Group schemas list externalId (Microsoft\'s Schema_Discoverability looks for it), in both profiles', async () => {
  const std = await createOrg(h, 'standard');
  for (const o of [org, std]) {
    for (const id of ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:core:2.0:Group']) {
      const s = await call(h, { path: `/Schemas/${id}`, token: o.token });
      const ext = (s.body.attributes as { name: string; mutability: string; caseExact: boolean }[]).filter((a) => a.name === 'externalId');
      assert.equal(ext.length, 1, `${id}: externalId listed once`);
      assert.equal(ext[0].caseExact, true);
    }
  }
});
