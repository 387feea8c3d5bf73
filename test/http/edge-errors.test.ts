// Inputs that once answered 500: a startIndex past 2^63, an `Origin: null` on the forms before
// sign-in, CR/LF in a console id. Each gets a clear answer on both stores.
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
    before(async () => {
      if (skip) return;
      h = await startHarness({ dialect });
      app = await buildApp(h.services, { publicUrl: 'https://scim.example.test', bodyLimitBytes: 1 << 20, logLevel: false });
      org = await createOrg(h, 'standard');
      await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: 'one@edge.test' } });
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
  });
}
