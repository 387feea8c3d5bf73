// A provisioning token is no administrator's key: setting the password of a user who holds
// console grants needs the right to grant every one of them, on every path that sets one
// (SCIM PATCH and PUT, Bulk, the console's form); disabling and deleting stay open to the
// identity provider; every password change ends the user's sessions; the default
// provisioning role holds neither setPassword nor grant rights. Both stores.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/http/app.ts';
import { call, clientWith, createOrg, entraUser, patchOp, startHarness, type Harness, type Org } from '../../helpers/harness.ts';
import { passwordMatches } from '../../../src/auth/secrets.ts';
import { SCIM_PROVISIONING_PERMISSIONS } from '../../../src/directory/organizations.ts';
import { DIALECTS } from '../../helpers/dialects.ts';

const PUBLIC = 'https://scim.example.test';
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie'] ?? '').split(';')[0];

for (const { name: dialect, skip } of DIALECTS) {
  describe(`console takeover (${dialect})`, async () => {
    let h: Harness;
    let app: FastifyInstance;
    let org: Org;
    let adminId: string;
    const ADMIN = 'root@fabrikam.com';
    const ADMIN_PASSWORD = 'a long admin password';

    const post = (path: string, fields: Record<string, string>, cookie?: string) =>
      app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) }, payload: form(fields) });
    const signIn = async (userName: string, password: string) => {
      const res = await post('/console/sign-in', { organization: org.organization.name, userName, password });
      return res.statusCode === 303 ? cookieOf(res) : undefined;
    };
    const pageOk = async (cookie: string) => (await app.inject({ url: '/console/users', headers: { cookie } })).statusCode === 200;
    const csrfOf = async (cookie: string, path: string) => /name="_csrf" value="([^"]+)"/.exec((await app.inject({ url: path, headers: { cookie } })).body)![1];

    before(async () => {
      if (skip) return;
      h = await startHarness({ dialect });
      app = await buildApp(h.services, { publicUrl: PUBLIC, bodyLimitBytes: 1 << 20, logLevel: false });
      org = await createOrg(h, 'genesys');
      const token = await app.consoleAuth.createSetupToken(org.organization.id);
      const res = await post('/console/setup', { token, userName: ADMIN, displayName: 'Root', password: ADMIN_PASSWORD });
      assert.equal(res.statusCode, 303, res.body);
      adminId = (await call(h, { path: `/Users?filter=${encodeURIComponent(`userName eq "${ADMIN}"`)}`, token: org.token })).body.Resources[0].id;
    });
    after(async () => {
      if (skip) return;
      await app.close();
      await h.close();
    });

    test('a provisioning client with every user permission on Home cannot set an administrator\'s password on any SCIM path', { skip }, async () => {
      const entra = await clientWith(h, org, ['directory:user:*', 'directory:group:*'], org.homeDivisionId);
      const patch = await call(h, { method: 'PATCH', path: `/Users/${adminId}`, token: entra, body: patchOp({ op: 'replace', path: 'password', value: 'attacker chosen pass' }) });
      assert.equal(patch.status, 403, patch.raw);
      assert.match(patch.body.detail, /root@fabrikam\.com.*holds console rights \(Admin on every division\) that you could not grant yourself/);
      const current = (await call(h, { path: `/Users/${adminId}`, token: org.token })).body;
      const put = await call(h, { method: 'PUT', path: `/Users/${adminId}`, token: entra, body: { ...current, password: 'attacker chosen pass' } });
      assert.equal(put.status, 403, put.raw);
      const bulk = await call(h, { method: 'POST', path: '/Bulk', token: entra, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [{ method: 'PATCH', path: `/Users/${adminId}`, data: patchOp({ op: 'replace', path: 'password', value: 'attacker chosen pass' }) }] } });
      assert.equal(bulk.body.Operations[0].status, '403', bulk.raw);
      // Validate-only answers the same and changes nothing.
      const dry = await call(h, { method: 'PATCH', path: `/Users/${adminId}`, token: entra, headers: { prefer: 'return=minimal, validate-only' }, body: patchOp({ op: 'replace', path: 'password', value: 'attacker chosen pass' }) });
      assert.equal(dry.status, 403, dry.raw);
      assert.equal(await signIn(ADMIN, 'attacker chosen pass'), undefined, 'the attacker\'s password does not open the console');
      assert.ok(await signIn(ADMIN, ADMIN_PASSWORD), 'the administrator\'s own password still works');
    });

    test('the same client still offboards: it may disable and delete a console user, and set passwords of users without console rights', { skip }, async () => {
      const entra = await clientWith(h, org, ['directory:user:*'], org.homeDivisionId);
      const plain = await call(h, { method: 'POST', path: '/Users', token: entra, body: entraUser('plain@fabrikam.com') });
      const setPlain = await call(h, { method: 'PATCH', path: `/Users/${plain.body.id}`, token: entra, body: patchOp({ op: 'replace', path: 'password', value: 'a long user password' }) });
      assert.equal(setPlain.status, 200, setPlain.raw);
      // A second console administrator, offboarded by the identity provider.
      const roles = (await call(h, { path: '/api/v2/authorization/roles', token: org.token })).body.entities as { id: string; name: string }[];
      const leaver = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('leaver@fabrikam.com', { password: 'a long leaver password' }) });
      assert.equal((await call(h, { method: 'PUT', path: `/api/v2/users/${leaver.body.id}/grants`, token: org.token, body: { grants: [{ roleId: roles.find((r) => r.name === 'Admin')!.id, divisionId: '*' }] } })).status, 200);
      const session = (await signIn('leaver@fabrikam.com', 'a long leaver password'))!;
      assert.ok(await pageOk(session));
      const disable = await call(h, { method: 'PATCH', path: `/Users/${leaver.body.id}`, token: entra, body: patchOp({ op: 'Replace', path: 'active', value: 'False' }) });
      assert.equal(disable.status, 200, disable.raw);
      assert.equal(await pageOk(session), false, 'a disabled user\'s session no longer opens the console');
      assert.equal((await call(h, { method: 'DELETE', path: `/Users/${leaver.body.id}`, token: entra })).status, 204);
    });

    test('a password set by one who may grant everything the user holds works, and ends the user\'s sessions', { skip }, async () => {
      const session = (await signIn(ADMIN, ADMIN_PASSWORD))!;
      assert.ok(await pageOk(session));
      const admin = await clientWith(h, org, ['*']);
      const set = await call(h, { method: 'PATCH', path: `/Users/${adminId}`, token: admin, body: patchOp({ op: 'replace', path: 'password', value: 'a rotated admin password' }) });
      assert.equal(set.status, 200, set.raw);
      assert.equal(await pageOk(session), false, 'the password change over SCIM ended the session');
      const again = (await signIn(ADMIN, 'a rotated admin password'))!;
      assert.ok(again);
      // Back to the original, by the administrator's own console form (its own password: allowed).
      const own = await post(`/console/users/${adminId}/password`, { _csrf: await csrfOf(again, `/console/users/${adminId}`), password: ADMIN_PASSWORD }, again);
      assert.equal(own.statusCode, 303);
      assert.equal(await pageOk(again), false, 'setting one\'s own password ends one\'s sessions too');
      assert.ok(await signIn(ADMIN, ADMIN_PASSWORD));
    });

    test('a Helpdesk console user with every user permission on Home cannot take the administrator\'s password from the console', { skip }, async () => {
      const helpdeskRole = await call(h, { method: 'POST', path: '/api/v2/authorization/roles', token: org.token, body: { name: `Helpdesk ${dialect}`, permissions: ['directory:user:*'] } });
      assert.equal(helpdeskRole.status, 201, helpdeskRole.raw);
      const desk = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`desk.${dialect}@fabrikam.com`, { password: 'a long helpdesk password' }) });
      assert.equal((await call(h, { method: 'PUT', path: `/api/v2/users/${desk.body.id}/grants`, token: org.token, body: { grants: [{ roleId: helpdeskRole.body.id, divisionId: org.homeDivisionId }] } })).status, 200);
      const session = (await signIn(`desk.${dialect}@fabrikam.com`, 'a long helpdesk password'))!;
      const res = await post(`/console/users/${adminId}/password`, { _csrf: await csrfOf(session, `/console/users/${adminId}`), password: 'helpdesk chosen pass' }, session);
      assert.equal(res.statusCode, 303);
      const shown = await app.inject({ url: String(res.headers.location), headers: { cookie: session } });
      assert.match(shown.body, /role="alert">[^<]*holds console rights \(Admin on every division\)/);
      assert.equal(await signIn(ADMIN, 'helpdesk chosen pass'), undefined);
      assert.ok(await signIn(ADMIN, ADMIN_PASSWORD));
    });

    test('route walk: no write route sets an administrator\'s password for a caller that could not grant its rights', { skip }, async () => {
      const ATTACK = 'walk chosen password';
      const entra = await clientWith(h, org, ['directory:user:*', 'directory:group:*', 'authorization:grant:*'], org.homeDivisionId);
      const deskRole = await call(h, { method: 'POST', path: '/api/v2/authorization/roles', token: org.token, body: { name: `Walk desk ${dialect}`, permissions: ['directory:user:*'] } });
      const desk = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`walk.${dialect}@fabrikam.com`, { password: 'a long helpdesk password' }) });
      await call(h, { method: 'PUT', path: `/api/v2/users/${desk.body.id}/grants`, token: org.token, body: { grants: [{ roleId: deskRole.body.id, divisionId: org.homeDivisionId }] } });
      const session = (await signIn(`walk.${dialect}@fabrikam.com`, 'a long helpdesk password'))!;
      const csrf = await csrfOf(session, `/console/users/${adminId}`);
      const current = (await call(h, { path: `/Users/${adminId}`, token: org.token })).body;
      const patchBody = patchOp({ op: 'replace', path: 'password', value: ATTACK });
      const jsonBody = (url: string, method: string) => /\/bulk$/i.test(url)
        ? { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [{ method: 'PATCH', path: `/Users/${adminId}`, data: patchBody }, { method: 'PUT', path: `/Users/${adminId}`, data: { ...current, password: ATTACK } }] }
        : method === 'PATCH' ? { ...patchBody, password: ATTACK, state: 'active' } : { ...current, password: ATTACK, state: 'active', grants: [] };
      const tried: string[] = [];
      for (const r of app.routeTable) {
        // Deleting stays open (offboarding); it would end the walk, so it is not walked here.
        if (r.method === 'GET' || r.method === 'DELETE' || r.url.endsWith('/delete') || r.url === '/console/sign-out' || r.url === '/console/sign-in' || r.url === '/console/setup' || r.url === '/oauth/token') continue;
        const url = r.url.replace(':id', adminId).replace(':name', 'x');
        tried.push(`${r.method} ${r.url}`);
        const res = r.url.startsWith('/console')
          ? await app.inject({ method: r.method as 'POST', url, headers: { cookie: session, 'content-type': 'application/x-www-form-urlencoded' }, payload: form({ _csrf: csrf, password: ATTACK, state: 'active' }) })
          : await app.inject({ method: r.method as 'POST', url, headers: { authorization: `Bearer ${entra}`, 'content-type': 'application/scim+json' }, payload: JSON.stringify(jsonBody(r.url, r.method)) });
        assert.ok(res.statusCode < 500 || (res.statusCode === 501 && r.url.endsWith("/Me")), `${r.method} ${r.url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        // Read from the store: signing in after every route would trip the sign-in throttle.
        assert.equal(await passwordMatches(ATTACK, (await h.store.getUser(org.organization.id, adminId))!.passwordHash!), false, `${r.method} ${r.url} set the administrator's password (${res.statusCode})`);
      }
      for (const route of ['PATCH /api/v2/scim/v2/Users/:id', 'PUT /api/v2/scim/v2/Users/:id', 'POST /api/v2/scim/v2/Bulk', 'POST /console/users/:id/password']) assert.ok(tried.includes(route), `the walk reached ${route}`);
      const admin = (await h.store.getUser(org.organization.id, adminId))!;
      assert.ok(admin.active && (await passwordMatches(ADMIN_PASSWORD, admin.passwordHash!)), 'the administrator\'s own password still works');
    });

    test('the default SCIM Provisioning role holds what Entra needs and neither setPassword nor grant rights', { skip }, async () => {
      const roles = (await call(h, { path: '/api/v2/authorization/roles', token: org.token })).body.entities as { id: string; name: string; permissions: string[] }[];
      const scim = roles.find((r) => r.name === 'SCIM Provisioning')!;
      assert.deepEqual(scim.permissions, [...SCIM_PROVISIONING_PERMISSIONS]);
      for (const p of scim.permissions) assert.doesNotMatch(p, /^authorization:|setPassword|^directory:user:\*$|^\*$/);
      const entra = await clientWith(h, org, [...SCIM_PROVISIONING_PERMISSIONS], org.homeDivisionId);
      const u = await call(h, { method: 'POST', path: '/Users', token: entra, body: entraUser('mapped@fabrikam.com', { title: 'Engineer' }) });
      assert.equal(u.status, 201, u.raw);
      assert.equal((await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: entra, body: patchOp({ op: 'Replace', path: 'title', value: 'Lead' }) })).status, 200);
      const pw = await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: entra, body: patchOp({ op: 'replace', path: 'password', value: 'a long user password' }) });
      assert.equal(pw.status, 403);
      assert.match(pw.body.detail, /directory:user:setPassword/);
    });
  });
}
