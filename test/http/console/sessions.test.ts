// The console's sign-in, sessions and grants over HTTP (the browser test covers the pages):
// throttled and audited sign-in, idle and absolute expiry, sign-out, single-use setup
// links, security headers, and the grant rule (nobody gives a role they do not hold; SCIM
// `roles` grant nothing).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/http/app.ts';
import { call, clientWith, createOrg, entraUser, startHarness, type Harness, type Org } from '../../helpers/harness.ts';
import { ABSOLUTE_MS, IDLE_MS } from '../../../src/directory/console-users.ts';

let h: Harness;
let app: FastifyInstance;
let org: Org;
let now = Date.now();
const PUBLIC = 'https://scim.example.test';

before(async () => {
  h = await startHarness();
  app = await buildApp(h.services, { publicUrl: PUBLIC, bodyLimitBytes: 1 << 20, logLevel: false, consoleNow: () => now, consoleLoginThrottle: { freeFailures: 3, baseMs: 1000, maxMs: 60_000, forgetMs: 900_000, maxEntries: 1000 } });
  org = await createOrg(h, 'genesys', 'Fabrikam');
});
after(async () => {
  await app.close();
  await h.close();
});

const form = (fields: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded', payload: new URLSearchParams(fields).toString() });
async function post(path: string, fields: Record<string, string>, cookie?: string) {
  const { payload, ...headers } = form(fields);
  return app.inject({ method: 'POST', url: path, headers: { ...headers, ...(cookie ? { cookie } : {}) }, payload });
}
const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie'] ?? '').split(';')[0];

async function setupAdmin(): Promise<string> {
  const token = await app.consoleAuth.createSetupToken(org.organization.id);
  const res = await post('/console/setup', { token, userName: 'root@fabrikam.com', displayName: 'Root', password: 'a long admin password' });
  assert.equal(res.statusCode, 303, res.body);
  return cookieOf(res);
}

test('security headers on console pages: CSP without inline scripts, no framing, no sniffing; cookies HttpOnly, Secure, SameSite=Strict', async () => {
  const res = await app.inject({ url: '/console/sign-in' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-security-policy']), /default-src 'self';script-src 'self';style-src 'self'/);
  assert.doesNotMatch(String(res.headers['content-security-policy']), /unsafe/);
  assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.match(String(res.headers['strict-transport-security']), /max-age=/, 'behind https');
  assert.doesNotMatch(res.body, /<script>|<style>| on[a-z]+="/i, 'no inline script or style');
  const token = await app.consoleAuth.createSetupToken(org.organization.id);
  const setup = await post('/console/setup', { token, userName: 'first@fabrikam.com', displayName: 'First', password: 'a long admin password' });
  const set = String(setup.headers['set-cookie']);
  for (const flag of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/console']) assert.ok(set.includes(flag), set);
  // The API is not under the console's CSP (it serves no HTML).
  assert.equal((await app.inject({ url: '/healthz' })).headers['content-security-policy'], undefined);
});

test('a setup link works once, expires, and a cross-site form is refused', async () => {
  const token = await app.consoleAuth.createSetupToken(org.organization.id);
  const [a, b] = await Promise.all([
    post('/console/setup', { token, userName: 'race1@fabrikam.com', displayName: 'R1', password: 'a long admin password' }),
    post('/console/setup', { token, userName: 'race2@fabrikam.com', displayName: 'R2', password: 'a long admin password' }),
  ]);
  assert.deepEqual([a.statusCode, b.statusCode].sort(), [303, 400], 'one of two simultaneous uses wins');
  const old = await app.consoleAuth.createSetupToken(org.organization.id);
  now += 25 * 3600_000;
  assert.equal((await post('/console/setup', { token: old, userName: 'late@fabrikam.com', displayName: 'Late', password: 'a long admin password' })).statusCode, 400);
  now = Date.now();
  const fresh = await app.consoleAuth.createSetupToken(org.organization.id);
  const cross = await app.inject({ method: 'POST', url: '/console/setup', headers: { ...form({}), origin: 'https://evil.example' }, payload: new URLSearchParams({ token: fresh, userName: 'x@fabrikam.com', displayName: 'X', password: 'a long admin password' }).toString() });
  assert.equal(cross.statusCode, 403);
  const short = await post('/console/setup', { token: fresh, userName: 'short@fabrikam.com', displayName: 'S', password: 'short' });
  assert.equal(short.statusCode, 400);
  assert.match(short.body, /at least 12 characters/);
});

test('sign-in: wrong passwords back off and are audited; idle and absolute expiry; sign-out ends the session', async () => {
  await setupAdmin();
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await post('/console/sign-in', { organization: 'Fabrikam', userName: 'root@fabrikam.com', password: `wrong ${i}` })).statusCode);
  assert.deepEqual(statuses, [401, 401, 401, 401, 429], 'three free failures; the fourth starts the backoff');
  const throttled = await post('/console/sign-in', { organization: 'Fabrikam', userName: 'root@fabrikam.com', password: 'a long admin password' });
  assert.equal(throttled.statusCode, 429, 'even the right password waits out the backoff');
  assert.ok(Number(throttled.headers['retry-after']) >= 1);
  now += 61_000;
  const ok = await post('/console/sign-in', { organization: 'fabrikam', userName: 'root@fabrikam.com', password: 'a long admin password' });
  assert.equal(ok.statusCode, 303);
  const cookie = cookieOf(ok);
  const failures = (await call(h, { path: '/api/v2/audits?order=desc&pageSize=50', token: org.token })).body.entities.filter((r: { action: string }) => r.action === 'console.signIn.failed');
  assert.equal(failures.length, 4, 'every evaluated failure is audited (throttled attempts are not evaluated)');
  assert.ok(!JSON.stringify(failures).includes('wrong 1'));

  assert.equal((await app.inject({ url: '/console/users', headers: { cookie } })).statusCode, 200);
  now += IDLE_MS - 1000;
  assert.equal((await app.inject({ url: '/console/users', headers: { cookie } })).statusCode, 200, 'in use: the idle clock restarts');
  now += IDLE_MS + 1000;
  assert.equal((await app.inject({ url: '/console/users', headers: { cookie } })).statusCode, 303, 'idle too long');

  now += 1000;
  const again = cookieOf(await post('/console/sign-in', { organization: 'Fabrikam', userName: 'root@fabrikam.com', password: 'a long admin password' }));
  for (let t = 0; t < ABSOLUTE_MS; t += IDLE_MS - 60_000) {
    now += IDLE_MS - 60_000;
    await app.inject({ url: '/console/users', headers: { cookie: again } });
  }
  assert.equal((await app.inject({ url: '/console/users', headers: { cookie: again } })).statusCode, 303, 'absolute expiry');

  now += 1000;
  const third = cookieOf(await post('/console/sign-in', { organization: 'Fabrikam', userName: 'root@fabrikam.com', password: 'a long admin password' }));
  const page = await app.inject({ url: '/console/users', headers: { cookie: third } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
  assert.equal((await post('/console/sign-out', { _csrf: 'wrong' }, third)).statusCode, 403, 'sign-out needs the CSRF token too');
  assert.equal((await post('/console/sign-out', { _csrf: csrf }, third)).statusCode, 303);
  assert.equal((await app.inject({ url: '/console/users', headers: { cookie: third } })).statusCode, 303, 'the session is gone');
});

test('grants: only roles the caller holds, on divisions it holds them; SCIM roles grant no console access', async () => {
  // A user provisioned over SCIM with roles [Admin] and a password cannot sign in to the console.
  const scimAdmin = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('sneaky@fabrikam.com', { password: 'a long user password', roles: [{ value: 'Admin' }] }) });
  assert.equal(scimAdmin.status, 201, scimAdmin.raw);
  const refused = await post('/console/sign-in', { organization: 'Fabrikam', userName: 'sneaky@fabrikam.com', password: 'a long user password' });
  assert.equal(refused.statusCode, 401);
  assert.match(refused.body, /no console role/);

  const roles = (await call(h, { path: '/api/v2/authorization/roles', token: org.token })).body.entities as { id: string; name: string }[];
  const adminRole = roles.find((r) => r.name === 'Admin')!;
  const scimRole = roles.find((r) => r.name === 'SCIM Provisioning')!;
  // The provisioning client holds SCIM permissions only: it can grant neither Admin nor anything without grant:add.
  const provisioner = await clientWith(h, org, ['directory:*:*', 'authorization:grant:add']);
  const escalate = await call(h, { method: 'PUT', path: `/api/v2/users/${scimAdmin.body.id}/grants`, token: provisioner, body: { grants: [{ roleId: adminRole.id, divisionId: '*' }] } });
  assert.equal(escalate.status, 403, escalate.raw);
  assert.match(escalate.body.message, /Role "Admin" grants \*/);
  const noGrant = await clientWith(h, org, ['directory:*:*']);
  assert.equal((await call(h, { method: 'PUT', path: `/api/v2/users/${scimAdmin.body.id}/grants`, token: noGrant, body: { grants: [{ roleId: scimRole.id, divisionId: '*' }] } })).status, 403);
  assert.deepEqual((await call(h, { path: `/api/v2/users/${scimAdmin.body.id}/grants`, token: org.token })).body.grants, []);
  // The administrator can; the user then signs in with those permissions only.
  const granted = await call(h, { method: 'PUT', path: `/api/v2/users/${scimAdmin.body.id}/grants`, token: org.token, body: { grants: [{ roleId: scimRole.id, divisionId: '*' }] } });
  assert.equal(granted.status, 200, granted.raw);
  const session = cookieOf(await post('/console/sign-in', { organization: 'Fabrikam', userName: 'sneaky@fabrikam.com', password: 'a long user password' }));
  assert.equal((await app.inject({ url: '/console/users', headers: { cookie: session } })).statusCode, 200);
  assert.equal((await app.inject({ url: '/console/clients', headers: { cookie: session } })).statusCode, 403, 'no oauth:client:view in that role');
  const audit = (await call(h, { path: `/api/v2/audits?resourceId=${scimAdmin.body.id}&order=desc`, token: org.token })).body.entities;
  assert.ok(audit.some((r: { changes: Record<string, unknown> }) => 'grants' in r.changes), 'grant changes are audited');
  // A role granted to a console user cannot be deleted from under it.
  assert.equal((await call(h, { method: 'DELETE', path: `/api/v2/authorization/roles/${scimRole.id}`, token: org.token })).status, 409);
});

test('the console\'s alert says only what the console wrote: codes for successes, refusals sealed to the organization and short-lived', async () => {
  now = Date.now();
  const cookie = cookieOf(await post('/console/sign-in', { organization: 'Fabrikam', userName: 'root@fabrikam.com', password: 'a long admin password' }));
  const get = (url: string, c = cookie) => app.inject({ url, headers: { cookie: c } });
  const alert = (body: string) => /<p class="notice (?:ok|error)" role="(?:alert|status)">([^<]*)<\/p>/.exec(body)?.[1];
  // Text in the query is never shown, on signed-in pages or at sign-in.
  for (const q of ['ok=Your%20account%20is%20locked%3A%20call%20%2B1%20555%200100', 'error=Your%20password%20expired%3A%20visit%20evil.example', 'ok=toString', 'ok=__proto__']) {
    assert.equal(alert((await get(`/console/users?${q}`)).body), undefined, q);
    assert.equal(alert((await app.inject({ url: `/console/sign-in?${q}` })).body), undefined, q);
  }
  assert.equal(alert((await get('/console/users?ok=user-deleted')).body), 'User deleted.');
  assert.equal(alert((await app.inject({ url: '/console/sign-in?ok=signed-out' })).body), 'Signed out.');

  // A real refusal carries its message over the redirect.
  const page = await get('/console/divisions');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
  const refused = await post('/console/divisions', { _csrf: csrf, name: 'Home' }, cookie);
  assert.equal(refused.statusCode, 303);
  const location = String(refused.headers.location);
  assert.match(location, /^\/console\/divisions\?error=[A-Za-z0-9_-]+$/);
  assert.doesNotMatch(location, /Home|exist/i, 'the message is not readable in the link');
  const shown = alert((await get(location)).body);
  assert.match(shown ?? '', /Home/, 'the refusal is shown where it happened');
  // ...to this organization only, and only for a while.
  const other = await createOrg(h, 'genesys', 'Contoso');
  const token = await app.consoleAuth.createSetupToken(other.organization.id);
  const theirs = cookieOf(await post('/console/setup', { token, userName: 'root@contoso.com', displayName: 'Root', password: 'a long admin password' }));
  assert.equal((await get('/console/users', theirs)).statusCode, 200);
  assert.equal(alert((await get(location, theirs)).body), undefined, 'another organization\'s session shows nothing');
  now += 301_000;
  const later = cookieOf(await post('/console/sign-in', { organization: 'Fabrikam', userName: 'root@fabrikam.com', password: 'a long admin password' }));
  assert.equal(alert((await get(location, later)).body), undefined, 'an old link shows nothing');
  now = Date.now();
});

test('a deep link survives sign-in; next cannot lead off the console; / leads to the console; a favicon is served', async () => {
  now = Date.now();
  const deep = await app.inject({ url: '/console/users?q=root' });
  assert.equal(deep.statusCode, 303);
  assert.equal(deep.headers.location, `/console/sign-in?next=${encodeURIComponent('/console/users?q=root')}`);
  const form = await app.inject({ url: String(deep.headers.location) });
  assert.match(form.body, /name="next" value="\/console\/users\?q=root"/);
  const signIn = await post('/console/sign-in', { organization: 'Fabrikam', userName: 'root@fabrikam.com', password: 'a long admin password', next: '/console/users?q=root' });
  assert.equal(signIn.statusCode, 303);
  assert.equal(signIn.headers.location, '/console/users?q=root');
  for (const next of ['https://evil.example/console', '//evil.example/console', '/console\\\\evil', '/consolefoo', '/console/../api', '/console/%0d%0aSet-Cookie:x', '/console/sign-in', 'javascript:alert(1)']) {
    const r = await post('/console/sign-in', { organization: 'Fabrikam', userName: 'root@fabrikam.com', password: 'a long admin password', next });
    assert.equal(r.headers.location, next === '/console/%0d%0aSet-Cookie:x' ? next : '/console', next);
  }
  const root = await app.inject({ url: '/' });
  assert.equal(root.statusCode, 302);
  assert.equal(root.headers.location, '/console');
  const icon = await app.inject({ url: '/console/assets/favicon.svg' });
  assert.equal(icon.statusCode, 200);
  assert.match(String(icon.headers['content-type']), /image\/svg\+xml/);
  assert.match((await app.inject({ url: '/console/sign-in' })).body, /rel="icon" href="\/console\/assets\/favicon\.svg"/);
});
