// Search by POST (RFC 7644 3.4.3), queries at the root (3.4.2.1), /Me (3.11) and the
// edges conformance suites hit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addGroup, call, clientWith, createOrg, ENT, entraUser, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';

const SR = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
for (const { name: dialect, skip } of DIALECTS) {
  describe(`search (${dialect})`, async () => {
    let h: Harness;
    let org: Org;
    let groupId: string;
    before(async () => {
      if (skip) return;
      h = await startHarness({ dialect });
      org = await createOrg(h, 'standard');
      for (let i = 0; i < 12; i++) {
        await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: `searcher${i}@contoso.com`, displayName: `Searcher ${i % 4}`, title: i % 2 ? 'Agent' : 'Lead', emails: [{ value: `s${i}@contoso.com`, type: 'work' }] } });
      }
      groupId = await addGroup(h, org, 'Searchers');
    });
    after(async () => {
      if (!skip) await h.close();
    });

    const get = (path: string) => call(h, { path, token: org.token });
    const search = (path: string, body: unknown) => call(h, { method: 'POST', path, token: org.token, body });

    test('POST /Users/.search and /Groups/.search answer as the GET form does', { skip }, async () => {
      const r = await search('/Users/.search', { schemas: [SR], filter: 'title eq "Agent"', attributes: ['userName'], sortBy: 'userName', startIndex: 2, count: 3 });
      assert.equal(r.status, 200, r.raw);
      const g = await get(`/Users?filter=${encodeURIComponent('title eq "Agent"')}&attributes=userName&sortBy=userName&startIndex=2&count=3`);
      assert.deepEqual(r.body, g.body);
      assert.equal(r.body.Resources.length, 3);
      const groups = await search('/Groups/.search', { schemas: [SR], filter: 'displayName eq "searchers"' });
      assert.deepEqual(groups.body.Resources.map((x: { id: string }) => x.id), [groupId]);
      const bad = await search('/Users/.search', { schemas: [SR], filter: 'nope eq 1' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.scimType, 'invalidFilter');
    });

    test('GET and POST .search return identical pages for generated queries', { skip }, async () => {
      const arb = fc.record({
        filter: fc.option(fc.constantFrom('title eq "Agent"', 'displayName sw "Searcher 1"', 'userName co "1"', 'emails[type eq "work"]', 'not (title eq "Lead")', 'title pr and displayName ew "3"'), { nil: undefined }),
        sortBy: fc.option(fc.constantFrom('userName', 'displayName', 'title', 'meta.created'), { nil: undefined }),
        sortOrder: fc.option(fc.constantFrom('ascending', 'descending'), { nil: undefined }),
        startIndex: fc.option(fc.integer({ min: -1, max: 14 }), { nil: undefined }),
        count: fc.option(fc.integer({ min: -1, max: 14 }), { nil: undefined }),
        attributes: fc.option(fc.subarray(['userName', 'title', 'emails', 'displayName'], { minLength: 1 }), { nil: undefined }),
      });
      await fc.assert(
        fc.asyncProperty(arb, async (q) => {
          const qs = Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${encodeURIComponent(Array.isArray(v) ? v.join(',') : String(v))}`).join('&');
          const viaGet = await get(`/Users?${qs}`);
          const viaPost = await search('/Users/.search', { schemas: [SR], ...Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) });
          assert.equal(viaPost.status, viaGet.status, qs);
          assert.deepEqual(viaPost.body, viaGet.body, qs);
        }),
        { numRuns: 200, seed: 3_4_3 },
      );
    });

    test('a query at the root spans Users and Groups, paged as one list', { skip }, async () => {
      const all = await search('/.search', { schemas: [SR], filter: 'displayName sw "Searche"', count: 100 });
      assert.equal(all.status, 200, all.raw);
      assert.equal(all.body.totalResults, 13);
      assert.deepEqual([...new Set(all.body.Resources.map((r: { meta: { resourceType: string } }) => r.meta.resourceType))], ['User', 'Group']);
      const page = await search('/.search', { schemas: [SR], filter: 'displayName sw "Searche"', startIndex: 12, count: 5 });
      assert.deepEqual(page.body.Resources.map((r: { meta: { resourceType: string } }) => r.meta.resourceType), ['User', 'Group']);
      assert.equal(page.body.totalResults, 13);
      const viaGet = await get(`/?filter=${encodeURIComponent('displayName sw "Searche"')}&startIndex=12&count=5`);
      assert.deepEqual(viaGet.body, page.body);
      // userName exists on Users only: Groups contribute nothing, rather than an error.
      const users = await search('/.search', { schemas: [SR], filter: 'userName sw "searcher1"' });
      assert.equal(users.body.totalResults, 3);
      assert.equal((await search('/.search', { schemas: [SR], filter: 'nope pr' })).body.scimType, 'invalidFilter');
      assert.equal((await get('/')).status, 404);
      // Only what the caller may read: a client without group permissions gets users only.
      const usersOnly = await clientWith(h, org, ['directory:user:view']);
      const scoped = await call(h, { method: 'POST', path: '/.search', token: usersOnly, body: { schemas: [SR], filter: 'displayName sw "Searche"', count: 100 } });
      assert.equal(scoped.body.totalResults, 12);
      // Root queries page by index: a cursor is refused with a message about the cursor.
      for (const r of [
        await search('/.search', { schemas: [SR], filter: 'displayName sw "Searche"', cursor: '' }),
        await get(`/?filter=${encodeURIComponent('displayName sw "Searche"')}&cursor=`),
      ]) {
        assert.equal(r.status, 400, r.raw);
        assert.equal(r.body.scimType, 'invalidValue');
        assert.match(r.body.detail, /root page by startIndex, not by cursor/);
        assert.doesNotMatch(r.body.detail, /either/);
      }
    });

    test('/Me answers 501: the caller is an OAuth client, not a user', { skip }, async () => {
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
        const r = await call(h, { method, path: '/Me', token: org.token, ...(method === 'PUT' || method === 'PATCH' ? { body: {} } : {}) });
        assert.equal(r.status, 501, method);
        assert.match(r.body.detail, /OAuth client/);
      }
    });

    test('edges: a value filter in attributes names the attribute; an extension PATCH value may carry schemas', { skip }, async () => {
      const u = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('edge@contoso.com') })).body.id;
      const r = await get(`/Users/${u}?attributes=${encodeURIComponent('emails[type eq "work"]')}`);
      assert.equal(r.status, 200, r.raw);
      assert.ok(r.body.emails && r.body.id && !r.body.displayName, r.raw);
      const p = await call(h, { method: 'PATCH', path: `/Users/${u}`, token: org.token, body: patchOp({ op: 'replace', path: ENT, value: { schemas: [ENT], department: 'Ops' } }) });
      assert.equal(p.status, 200, p.raw);
      assert.equal(p.body[ENT].department, 'Ops');
    });
  });
}
