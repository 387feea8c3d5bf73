// Inputs that once answered 500: a startIndex past 2^63, an `Origin: null` on the forms before
// sign-in, CR/LF in a console id; and members without a value, which once read as "no members"
// (204, and a replace emptied the group). Each gets a clear answer on both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.ts';
import { call, consoleAdmin, createOrg, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';

for (const { name: dialect, skip } of DIALECTS) {
  describe(`edge errors (${dialect})`, async () => {
    let h: Harness;
    let app: FastifyInstance;
    let org: Org;
    let userId: string;
    before(async () => {
      if (skip) return;
      h = await startHarness({ dialect });
      app = await buildApp(h.services, { publicUrl: 'https://scim.example.test', bodyLimitBytes: 1 << 20, logLevel: false });
      org = await createOrg(h, 'standard');
      userId = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: 'one@edge.test' } })).body.id;
    });
    after(async () => {
      if (skip) return;
      await app.close();
      await h.close();
    });

    test('a startIndex at or past 2^63 is an empty page, not a 500', { skip }, async () => {
      for (const si of ['9223372036854775807', '9223372036854775808', '18446744073709551616', '9'.repeat(40)]) {
        for (const path of [`/Users?startIndex=${si}`, `/Groups?startIndex=${si}`, `/Users?startIndex=${si}&filter=${encodeURIComponent('userName sw "o"')}`]) {
          const r = await call(h, { path, token: org.token });
          assert.equal(r.status, 200, `${path}: ${r.raw}`);
          assert.deepEqual(r.body.Resources ?? [], []);
          assert.equal(r.body.totalResults, path.includes('Users') ? 1 : 0);
        }
      }
    });

    test('Origin: null on sign-in and setup is refused with 403', { skip }, async () => {
      for (const url of ['/console/sign-in', '/console/setup']) {
        const r = await app.inject({ method: 'POST', url, headers: { origin: 'null', 'content-type': 'application/x-www-form-urlencoded' }, payload: 'userName=a&password=b&token=x' });
        assert.equal(r.statusCode, 403, `${url}: ${r.body.slice(0, 200)}`);
        assert.match(r.body, /sent from another site/);
      }
    });

    test('CR and LF in a console id answer as an unknown id, never a broken header', { skip }, async () => {
      const cookie = await consoleAdmin(app, org.organization.id, 'r@edge.test');
      const csrf = /name="_csrf" value="([^"]+)"/.exec((await app.inject({ url: '/console/users', headers: { cookie } })).body)![1];
      for (const route of app.routeTable.filter((r) => r.url.startsWith('/console') && r.url.includes(':id'))) {
        const url = route.url.replace(':id', 'a%0D%0ASet-Cookie:%20x=1');
        const r = await app.inject({ method: route.method as 'GET' | 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: route.method === 'POST' ? `_csrf=${csrf}&state=inactive&name=x&password=123456789012345` : undefined });
        assert.ok(r.statusCode < 500, `${route.method} ${route.url}: ${r.statusCode}`);
        assert.equal(r.headers['set-cookie'], undefined, `${route.method} ${route.url} let a header through`);
      }
    });

    test('a member without a value is refused (400 invalidValue) by PATCH, PUT and POST, and the group is untouched', { skip }, async () => {
      const made = await call(h, { method: 'POST', path: '/Groups', token: org.token, body: { displayName: 'Kept', members: [{ value: userId }] } });
      assert.equal(made.status, 201, made.raw);
      const id = made.body.id as string;
      const before = await call(h, { path: `/Groups/${id}`, token: org.token });
      const nameless = [[{}], [{ display: 'Someone' }], [{ value: null }], {}, [{ value: userId }, {}]];
      const patch = (op: object) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [op] });
      const attempts: { method: 'PATCH' | 'PUT' | 'POST'; path: string; body: unknown }[] = [];
      for (const value of nameless) {
        for (const op of ['Add', 'Remove', 'Replace']) attempts.push({ method: 'PATCH', path: `/Groups/${id}`, body: patch({ op, path: 'members', value }) });
        attempts.push({ method: 'PATCH', path: `/Groups/${id}`, body: patch({ op: 'Replace', value: { Members: value } }) });
        attempts.push({ method: 'PUT', path: `/Groups/${id}`, body: { displayName: 'Kept', members: value } });
        attempts.push({ method: 'POST', path: '/Groups', body: { displayName: `New ${attempts.length}`, members: value } });
      }
      for (const a of attempts) {
        const r = await call(h, { method: a.method, path: a.path, token: org.token, body: a.body });
        assert.equal(r.status, 400, `${a.method} ${JSON.stringify(a.body)}: ${r.raw}`);
        assert.equal(r.body.scimType, 'invalidValue');
        assert.match(r.body.detail, /needs a "value"/);
      }
      const after = await call(h, { path: `/Groups/${id}`, token: org.token });
      assert.deepEqual(after.body.members.map((m: { value: string }) => m.value), [userId]);
      assert.equal(after.headers.etag, before.headers.etag, 'no write happened');
      assert.equal((await call(h, { path: `/Groups?filter=${encodeURIComponent('displayName sw "New"')}`, token: org.token })).body.totalResults, 0);
      // Null items are skipped (legacy Entra bodies carry them); an empty list adds nothing.
      for (const value of [[null], []]) {
        const r = await call(h, { method: 'PATCH', path: `/Groups/${id}`, token: org.token, body: patch({ op: 'Add', path: 'members', value }) });
        assert.equal(r.status, 204, r.raw);
      }
    });
  });
}
