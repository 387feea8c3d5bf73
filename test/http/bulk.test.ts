// POST /Bulk (RFC 7644 3.7): the RFC's examples adapted to what this server holds (groups
// contain users), cross-references in any order, cycles, failOnErrors, limits, and each
// operation obeying the rules of its single request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, clientWith, createOrg, ENT, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';

const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
for (const { name: dialect, skip } of DIALECTS) {
  describe(`bulk (${dialect})`, async () => {
    let h: Harness;
    let std: Org;
    let gen: Org;
    before(async () => {
      if (skip) return;
      h = await startHarness({ dialect });
      std = await createOrg(h, 'standard');
      gen = await createOrg(h, 'genesys');
    });
    after(async () => {
      if (!skip) await h.close();
    });

    const bulk = (org: Org, Operations: unknown[], extra: Record<string, unknown> = {}, token = org.token) =>
      call(h, { method: 'POST', path: '/Bulk', token, body: { schemas: [BULK], Operations, ...extra } });

    test('RFC 7644 3.7.3: POST, PUT, PATCH and DELETE in one request, each with its own status and location', { skip }, async () => {
      const existing = (await call(h, { method: 'POST', path: '/Users', token: std.token, body: { userName: 'existing@x.com' } })).body;
      const doomed = (await call(h, { method: 'POST', path: '/Users', token: std.token, body: { userName: 'doomed@x.com' } })).body.id;
      const r = await bulk(std, [
        { method: 'POST', path: '/Users', bulkId: 'qwerty', data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'Alice' } },
        { method: 'PUT', path: `/Users/${existing.id}`, version: existing.meta.version, data: { userName: 'existing@x.com', displayName: 'Put' } },
        { method: 'PATCH', path: `/Users/${existing.id}`, data: { schemas: [PATCH], Operations: [{ op: 'add', path: 'nickName', value: 'Babs' }] } },
        { method: 'DELETE', path: `/Users/${doomed}` },
      ]);
      assert.equal(r.status, 200, r.raw);
      assert.deepEqual(r.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:BulkResponse']);
      assert.deepEqual(r.body.Operations.map((o: { status: string }) => o.status), ['201', '200', '200', '204']);
      const created = r.body.Operations[0];
      assert.equal(created.bulkId, 'qwerty');
      assert.match(created.location, /\/Users\/[0-9a-f-]{36}$/);
      assert.equal((await call(h, { path: created.location.replace(/^.*\/api\/v2\/scim\/v2/, ''), token: std.token })).body.userName, 'Alice');
      const after = (await call(h, { path: `/Users/${existing.id}`, token: std.token })).body;
      assert.deepEqual([after.displayName, after.nickName], ['Put', 'Babs']);
      assert.equal(after.meta.version, r.body.Operations[2].version);
      assert.equal((await call(h, { path: `/Users/${doomed}`, token: std.token })).status, 404);
    });

    test('bulkId references resolve in any order: a group listing users created after it', { skip }, async () => {
      const r = await bulk(std, [
        { method: 'POST', path: '/Groups', bulkId: 'team', data: { displayName: 'Bulk Team', members: [{ type: 'User', value: 'bulkId:u1' }, { type: 'User', value: 'bulkId:u2' }] } },
        { method: 'POST', path: '/Users', bulkId: 'u1', data: { userName: 'u1@bulk.test' } },
        { method: 'POST', path: '/Users', bulkId: 'u2', data: { userName: 'u2@bulk.test', [ENT]: { manager: { value: 'bulkId:u1' } } } },
      ]);
      assert.deepEqual(r.body.Operations.map((o: { status: string }) => o.status), ['201', '201', '201']);
      const id = (i: number) => r.body.Operations[i].location.split('/').pop();
      const group = (await call(h, { path: `/Groups/${id(0)}`, token: std.token })).body;
      assert.deepEqual(group.members.map((m: { value: string }) => m.value).sort(), [id(1), id(2)].sort());
      assert.equal((await call(h, { path: `/Users/${id(2)}`, token: std.token })).body[ENT].manager.value, id(1));
    });

    test('RFC 7644 3.7.1: a cycle of references is created, then completed by a PATCH', { skip }, async () => {
      const r = await bulk(std, [
        { method: 'POST', path: '/Users', bulkId: 'a', data: { userName: 'a@cycle.test', [ENT]: { manager: { value: 'bulkId:b' }, department: 'A' } } },
        { method: 'POST', path: '/Users', bulkId: 'b', data: { userName: 'b@cycle.test', [ENT]: { manager: { value: 'bulkId:a' } } } },
      ]);
      assert.deepEqual(r.body.Operations.map((o: { status: string }) => o.status), ['201', '201'], r.raw);
      const [a, b] = r.body.Operations.map((o: { location: string }) => o.location.split('/').pop());
      const ua = (await call(h, { path: `/Users/${a}`, token: std.token })).body;
      const ub = (await call(h, { path: `/Users/${b}`, token: std.token })).body;
      assert.equal(ua[ENT].manager.value, b);
      assert.equal(ua[ENT].department, 'A');
      assert.equal(ub[ENT].manager.value, a);
      assert.equal(r.body.Operations[0].version, ua.meta.version, 'the reported version includes the completing PATCH');
    });

    test('failOnErrors stops the run; a reference to a failed operation fails with 409', { skip }, async () => {
      const r = await bulk(std, [
        { method: 'POST', path: '/Users', bulkId: 'bad', data: { userName: '' } },
        { method: 'POST', path: '/Groups', bulkId: 'g', data: { displayName: 'Refers to bad', members: [{ value: 'bulkId:bad' }] } },
        { method: 'POST', path: '/Users', bulkId: 'never', data: { userName: 'never@x.com' } },
      ], { failOnErrors: 2 });
      assert.deepEqual(r.body.Operations.map((o: { status: string }) => o.status), ['400', '409']);
      assert.equal(r.body.Operations[0].response.scimType, 'invalidValue');
      assert.equal((await call(h, { path: `/Users?filter=${encodeURIComponent('userName eq "never@x.com"')}`, token: std.token })).body.totalResults, 0);
      const all = await bulk(std, [{ method: 'POST', path: '/Users', bulkId: 'x', data: { userName: 'dup@x.com' } }, { method: 'POST', path: '/Users', bulkId: 'y', data: { userName: 'dup@x.com' } }]);
      assert.deepEqual(all.body.Operations.map((o: { status: string }) => o.status), ['201', '409'], 'without failOnErrors every operation runs');
    });

    test('each operation obeys its single request: profile rules, permissions, If-Match, audit', { skip }, async () => {
      const g = await bulk(gen, [
        { method: 'POST', path: '/Groups', bulkId: 'g', data: { displayName: 'Not over SCIM' } },
        { method: 'POST', path: '/Users', bulkId: 'u', data: { userName: 'bulk.user@contoso.com', displayName: 'Bulk User' } },
      ]);
      assert.deepEqual(g.body.Operations.map((o: { status: string }) => o.status), ['405', '201']);
      const readOnly = await clientWith(h, gen, ['directory:user:view']);
      const denied = await bulk(gen, [{ method: 'POST', path: '/Users', bulkId: 'v', data: { userName: 'denied@contoso.com', displayName: 'D' } }], {}, readOnly);
      assert.equal(denied.body.Operations[0].status, '403');
      const u = g.body.Operations[1].location.split('/').pop();
      const stale = await bulk(gen, [{ method: 'PATCH', path: `/Users/${u}`, version: '"999"', data: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 'x' }] } }]);
      assert.equal(stale.body.Operations[0].response.scimType, 'invalidVers');
      const audits = await h.store.queryAudits(gen.organization.id, { resourceId: u, limit: 10 });
      assert.deepEqual(audits.entities.map((a) => a.action), ['create']);
      assert.match(audits.entities[0].requestId ?? '', /#1$/, 'each operation has its own request id within the bulk request');
    });

    test('limits are advertised and enforced with the RFC error shape', { skip }, async () => {
      const spc = (await call(h, { path: '/ServiceProviderConfig', token: std.token })).body;
      assert.deepEqual(spc.bulk, { supported: true, maxOperations: 1000, maxPayloadSize: 1024 * 1024 });
      const many = Array.from({ length: 1001 }, (_, i) => ({ method: 'DELETE', path: `/Users/x${i}` }));
      const r = await bulk(std, many);
      assert.equal(r.status, 413);
      assert.deepEqual(r.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
      assert.match(r.body.detail, /1001 operations; the maximum is 1000/);
      const big = await bulk(std, [{ method: 'POST', path: '/Users', bulkId: 'big', data: { userName: 'big@x.com', title: 'x'.repeat(1_100_000) } }]);
      assert.equal(big.status, 413);
      for (const body of [{ Operations: [] }, { schemas: [BULK], Operations: [{ method: 'GET', path: '/Users' }] }, { schemas: [BULK], Operations: [{ method: 'POST', path: '/Users', data: {} }] }]) {
        const bad = await call(h, { method: 'POST', path: '/Bulk', token: std.token, body });
        assert.equal(bad.status, 400, JSON.stringify(body));
      }
    });
  });
}
