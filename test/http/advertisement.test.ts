// What /ServiceProviderConfig, /ResourceTypes and /Schemas advertise is what each profile
// does: every flag is checked against behaviour.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createOrg, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';

for (const profile of ['genesys', 'standard'] as const) {
  describe(`advertisement matches behaviour (${profile})`, () => {
    let h: Harness;
    let org: Org;
    let spc: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a discovery document, read field by field
    const users: string[] = [];
    before(async () => {
      h = await startHarness();
      org = await createOrg(h, profile);
      spc = (await call(h, { path: '/ServiceProviderConfig', token: org.token })).body;
      for (let i = 0; i < 30; i++) {
        const r = await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: `adv${String(i).padStart(2, '0')}@contoso.com`, displayName: `Adv ${29 - i}` } });
        users.push(r.body.id);
      }
    });
    after(() => h.close());

    test('patch, changePassword and etag', async () => {
      assert.equal(spc.patch.supported, true);
      const p = await call(h, { method: 'PATCH', path: `/Users/${users[0]}`, token: org.token, body: patchOp({ op: 'replace', path: 'title', value: 'T' }) });
      assert.equal(p.status, 200);
      assert.equal(spc.changePassword.supported, true);
      const pw = await call(h, { method: 'PATCH', path: `/Users/${users[0]}`, token: org.token, body: patchOp({ op: 'replace', path: 'password', value: 'N3w-secret-pass!' }) });
      assert.equal(pw.status, 200, pw.raw);
      assert.equal(pw.body.password, undefined, 'returned: never');
      assert.equal(spc.etag.supported, true);
      const g = await call(h, { path: `/Users/${users[0]}`, token: org.token });
      assert.match(g.headers.etag as string, /^"\d+"$/);
      assert.equal((await call(h, { path: `/Users/${users[0]}`, token: org.token, headers: { 'if-none-match': g.headers.etag as string } })).status, 304);
    });

    test('filter maxResults, sort, index and cursor paging, default page size', async () => {
      assert.equal(spc.filter.supported, true);
      const max = spc.filter.maxResults as number;
      const many = await call(h, { path: `/Users?count=${max + 500}&attributes=id`, token: org.token });
      assert.ok(many.body.itemsPerPage <= max);
      assert.equal(spc.sort.supported, true);
      const sorted = await call(h, { path: '/Users?sortBy=displayName&count=3&attributes=displayName', token: org.token });
      assert.deepEqual(sorted.body.Resources.map((r: { displayName: string }) => r.displayName), ['Adv 0', 'Adv 1', 'Adv 10']);
      assert.equal(spc.pagination.index, true);
      assert.equal((await call(h, { path: '/Users?startIndex=29&count=5', token: org.token })).body.Resources.length, 2);
      assert.equal(spc.pagination.cursor, true);
      const c = await call(h, { path: '/Users?cursor=&count=20', token: org.token });
      assert.ok(c.body.nextCursor);
      assert.equal(spc.pagination.defaultPageSize, (await call(h, { path: '/Users', token: org.token })).body.itemsPerPage);
      assert.equal(spc.pagination.maxPageSize, max);
    });

    test('bulk limits', async () => {
      assert.equal(spc.bulk.supported, true);
      const ops = (n: number) => Array.from({ length: n }, (_, i) => ({ method: 'DELETE', path: `/Users/none-${i}` }));
      const body = (n: number) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: ops(n) });
      assert.equal((await call(h, { method: 'POST', path: '/Bulk', token: org.token, body: body(spc.bulk.maxOperations) })).status, 200);
      assert.equal((await call(h, { method: 'POST', path: '/Bulk', token: org.token, body: body(spc.bulk.maxOperations + 1) })).status, 413);
      const big = JSON.stringify({ ...body(1), pad: 'x'.repeat(spc.bulk.maxPayloadSize) });
      assert.equal((await call(h, { method: 'POST', path: '/Bulk', token: org.token, body: big })).status, 413);
    });

    test('every advertised resource type answers at its endpoint; every advertised attribute can be asked for', async () => {
      const rts = (await call(h, { path: '/ResourceTypes', token: org.token })).body.Resources as { endpoint: string; schema: string; schemaExtensions: { schema: string }[] }[];
      for (const rt of rts) {
        assert.equal((await call(h, { path: `${rt.endpoint}?count=1`, token: org.token })).status, 200, rt.endpoint);
        for (const id of [rt.schema, ...rt.schemaExtensions.map((e) => e.schema)]) {
          const schema = (await call(h, { path: `/Schemas/${id}`, token: org.token })).body;
          assert.equal(schema.id, id);
          for (const a of schema.attributes as { name: string }[]) {
            const name = id === rt.schema ? a.name : `${id}:${a.name}`;
            const r = await call(h, { path: `${rt.endpoint}?count=1&attributes=${encodeURIComponent(name)}`, token: org.token });
            assert.equal(r.status, 200, `${rt.endpoint} attributes=${name}: ${r.raw}`);
          }
        }
      }
      const advertised = (await call(h, { path: '/Schemas', token: org.token })).body.Resources.map((s: { id: string }) => s.id);
      assert.equal(advertised.includes('urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User'), profile === 'genesys');
      assert.match(spc.authenticationSchemes[0].description, /\/Me answers 501/);
      assert.equal((await call(h, { path: '/Me', token: org.token })).status, 501);
    });
  });
}
