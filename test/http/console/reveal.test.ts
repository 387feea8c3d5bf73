// Every console form is POST-redirect-GET, the ones that make a secret too: the secret travels
// to /console/reveal in a short-lived sealed cookie bound to the session, is shown there once,
// and a reload neither shows it again nor repeats the action.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, consoleAdmin, createOrg, startHarness, type Harness, type Org } from '../../helpers/harness.ts';

let h: Harness;
let org: Org;
let cookie = '';
let other = '';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

before(async () => {
  h = await startHarness();
  org = await createOrg(h, 'genesys', 'Reveal Org');
  cookie = await consoleAdmin(h.app, org.organization.id, 'root@reveal.test');
  const again = await h.app.inject({ method: 'POST', url: '/console/sign-in', headers: FORM, payload: new URLSearchParams({ userName: 'root@reveal.test', password: 'a long admin password' }).toString() });
  other = String(again.headers['set-cookie']).split(';')[0];
});
after(() => h.close());

const csrf = async (c = cookie) => /name="_csrf" value="([^"]+)"/.exec((await h.app.inject({ url: '/console', headers: { cookie: c } })).body)![1];
const post = async (url: string, fields: Record<string, string>) =>
  h.app.inject({ method: 'POST', url, headers: { ...FORM, cookie }, payload: new URLSearchParams({ _csrf: await csrf(), ...fields }).toString() });
const revealCookie = (res: { headers: Record<string, unknown> }) => [res.headers['set-cookie']].flat().map(String).find((c) => c.startsWith('scimitar_reveal='));
const clientCount = async () => (await call(h, { path: '/api/v2/oauth/clients', token: org.token })).body.total as number;

test('a new client\'s secret is shown once after a redirect; a reload shows nothing and creates nothing', async () => {
  const before = await clientCount();
  const res = await post('/console/clients', { name: 'Entra PRG', roleId: org.scimRoleId, divisionId: '*', accessTokenValiditySeconds: '3600' });
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, '/console/reveal');
  const set = revealCookie(res)!;
  for (const flag of ['HttpOnly', 'SameSite=Strict', 'Path=/console/reveal', 'Max-Age=120']) assert.ok(set.includes(flag), set);
  assert.ok(!String(res.headers.location).includes('secret'), 'no secret in the URL');
  const shown = await h.app.inject({ url: '/console/reveal', headers: { cookie: `${cookie}; ${set.split(';')[0]}` } });
  const secret = /id="client-secret" class="secret">([^<]+)</.exec(shown.body)?.[1];
  const id = /id="client-id">([^<]+)</.exec(shown.body)?.[1];
  assert.ok(secret && id, shown.body);
  assert.match(String(shown.headers['set-cookie']), /scimitar_reveal=;.*Expires=Thu, 01 Jan 1970/, 'the page drops the cookie');
  assert.match(shown.body, /Token Endpoint/);
  const token = await h.app.inject({ method: 'POST', url: '/oauth/token', headers: FORM, payload: `grant_type=client_credentials&client_id=${id}&client_secret=${encodeURIComponent(secret!)}` });
  assert.equal(token.json().expires_in, 3600, 'the secret shown is the client\'s, with its lifetime');
  // Reloading the page (the browser dropped the cookie): nothing, and no second client.
  const reload = await h.app.inject({ url: '/console/reveal', headers: { cookie } });
  assert.equal(reload.statusCode, 200);
  assert.match(reload.body, /shown once/);
  assert.ok(!reload.body.includes(secret!));
  assert.equal(await clientCount(), before + 1);
  // Another session (even of the same user) cannot open the cookie.
  const stolen = await h.app.inject({ url: '/console/reveal', headers: { cookie: `${other}; ${set.split(';')[0]}` } });
  assert.ok(!stolen.body.includes(secret!), 'bound to the session it was made for');
});

test('a secret token is issued from the Connect page, shown once, works over SCIM, and is revoked from there', async () => {
  const client = (await call(h, { path: '/api/v2/oauth/clients', token: org.token })).body.entities.find((c: { name: string }) => c.name === 'Entra PRG');
  const res = await post('/console/secret-tokens', { clientId: client.id, expiresInDays: '90' });
  assert.equal(res.statusCode, 303, res.body);
  const shown = await h.app.inject({ url: '/console/reveal', headers: { cookie: `${cookie}; ${revealCookie(res)!.split(';')[0]}` } });
  const value = /id="secret-token" class="secret">([^<]+)</.exec(shown.body)?.[1];
  assert.ok(value, shown.body);
  assert.match(shown.body, /Bearer Authentication/);
  assert.equal((await call(h, { path: '/Users', token: value })).status, 200);
  const connect = (await h.app.inject({ url: '/console', headers: { cookie } })).body;
  assert.match(connect, /Secret tokens, soonest to expire first/);
  assert.ok(!connect.includes(value!), 'listed without its value');
  const tokenId = (await call(h, { path: `/api/v2/oauth/clients/${client.id}/tokens`, token: org.token })).body.entities[0].id;
  const revoke = await post(`/console/clients/${client.id}/tokens/${tokenId}/revoke`, {});
  assert.equal(revoke.statusCode, 303);
  assert.match((await h.app.inject({ url: String(revoke.headers.location), headers: { cookie } })).body, /Secret token revoked/);
  assert.equal((await call(h, { path: '/Users', token: value })).status, 401);
  // A refused issue (bad lifetime) comes back to the page with the reason, and issues nothing.
  const bad = await post('/console/secret-tokens', { clientId: client.id, expiresInDays: '999' });
  assert.equal(bad.statusCode, 303);
  assert.match((await h.app.inject({ url: String(bad.headers.location), headers: { cookie } })).body, /expiresInDays must be a whole number of days from 1 to 365/);
  assert.deepEqual((await call(h, { path: `/api/v2/oauth/clients/${client.id}/tokens`, token: org.token })).body.entities, []);
});

test('a refused user filter is shown on the users page with the filter kept; renaming a division is a step of its own', async () => {
  const bad = await h.app.inject({ url: `/console/users?filter=${encodeURIComponent('title zz "x"')}`, headers: { cookie } });
  assert.equal(bad.statusCode, 200);
  assert.match(bad.body, /role="alert" id="filter-error">[^<]*zz/);
  assert.match(bad.body, /id="filter" name="filter" value="title zz &quot;x&quot;"[^>]*aria-invalid="true"/);
  const divisions = await h.app.inject({ url: '/console/divisions', headers: { cookie } });
  assert.doesNotMatch(divisions.body, /action="\/console\/divisions\/[^"]+\/rename"/, 'no rename form until asked for');
  const home = /href="\/console\/divisions\?edit=([^"]+)" aria-label="Rename Home"/.exec(divisions.body)?.[1];
  assert.ok(home, divisions.body);
  const editing = await h.app.inject({ url: `/console/divisions?edit=${home}`, headers: { cookie } });
  assert.match(editing.body, new RegExp(`action="/console/divisions/${home}/rename"`));
  assert.match(editing.body, /users it provisions into "Home" are refused until its mapping uses the new name/);
});

test('the Connect page shows the directory at a glance: users (active and inactive), groups, clients', async () => {
  await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: 'glance.one@reveal.test', displayName: 'One' } });
  await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: 'glance.two@reveal.test', displayName: 'Two', active: false } });
  const page = (await h.app.inject({ url: '/console', headers: { cookie } })).body;
  const users = (await call(h, { path: '/api/v2/users?pageSize=1', token: org.token })).body.total as number;
  assert.match(page, new RegExp(`<strong>${users}</strong> users</a> <span class="badge ok">${users - 1} active</span> <span class="badge">1 inactive</span>`));
  assert.match(page, /<strong>\d+<\/strong> groups/);
  assert.match(page, /<strong>\d+<\/strong> OAuth clients/);
});

test('a refused form comes back with the reason and what was typed (never a password)', async () => {
  const res = await post('/console/divisions', { name: 'Home', description: 'typed by hand' });
  assert.equal(res.statusCode, 303);
  const back = (await h.app.inject({ url: String(res.headers.location), headers: { cookie } })).body;
  assert.match(back, /role="alert">[^<]*Home/);
  assert.match(back, /id="division-name" name="name" required maxlength="255" value="Home"/);
  assert.match(back, /id="division-description" name="description" maxlength="1024" value="typed by hand"/);
  const role = await h.app.inject({ method: 'POST', url: '/console/roles', headers: { ...FORM, cookie }, payload: `_csrf=${await csrf()}&name=Admin&permissions=directory%3Auser%3Aview&permissions=directory%3Agroup%3Aview` });
  const roles = (await h.app.inject({ url: String(role.headers.location), headers: { cookie } })).body;
  assert.match(roles, /value="directory:user:view" checked/);
  assert.match(roles, /value="directory:group:view" checked/);
  assert.doesNotMatch(roles, /value="directory:user:add" checked/);
  const users = (await call(h, { path: '/api/v2/users?pageSize=1', token: org.token })).body.entities as { id: string }[];
  const pw = await post(`/console/users/${users[0].id}/password`, { password: 'short' });
  const sealedLink = String(pw.headers.location);
  assert.ok(!sealedLink.includes('short'));
  const page = (await h.app.inject({ url: sealedLink, headers: { cookie } })).body;
  assert.doesNotMatch(page, /value="short"/, 'a password is never put back');
});

test('a page with several forms shows a refusal inside the form that caused it, with what was typed', async () => {
  const divisions = (await call(h, { path: '/api/v2/authorization/divisions', token: org.token })).body.entities as { id: string; name: string }[];
  const sales = divisions.find((d) => d.name !== 'Home') ?? (await call(h, { method: 'POST', path: '/api/v2/authorization/divisions', token: org.token, body: { name: 'Sales' } })).body;
  const formOf = (page: string, action: string) => new RegExp(`<form method="post" action="${action}"[\\s\\S]*?</form>`).exec(page)?.[0] ?? '';
  const topAlert = (page: string) => /<h1>[^<]*<\/h1><p class="notice error"/.test(page);

  // The Connect page's client form: a lifetime out of range comes back there, not to Clients.
  const before = await clientCount();
  const made = await post('/console/clients', { _form: 'client', _page: '/console', name: 'Typed name', roleId: org.scimRoleId, divisionId: sales.id, accessTokenValiditySeconds: '100' });
  assert.equal(made.statusCode, 303);
  assert.match(String(made.headers.location), /^\/console\?error=/);
  const connect = (await h.app.inject({ url: String(made.headers.location), headers: { cookie } })).body;
  const clientForm = formOf(connect, '/console/clients');
  assert.match(clientForm, /role="alert">[^<]*accessTokenValiditySeconds/);
  assert.match(clientForm, /name="name" value="Typed name"/);
  assert.match(clientForm, new RegExp(`value="${sales.id}" selected`));
  assert.match(clientForm, /name="accessTokenValiditySeconds"[^>]*value="100"/);
  assert.ok(!topAlert(connect), 'shown on the form, not at the top');
  assert.doesNotMatch(formOf(connect, '/console/federation'), /role="alert"/, 'and on no other form');
  assert.equal(await clientCount(), before);

  // The federation form keeps issuer and subject.
  const client = (await call(h, { path: '/api/v2/oauth/clients', token: org.token })).body.entities[0] as { id: string };
  const fed = await post('/console/federation', { _form: 'federation', clientId: client.id, issuer: 'http://not-https.example', subject: 'typed-subject' });
  const fedPage = (await h.app.inject({ url: String(fed.headers.location), headers: { cookie } })).body;
  const fedForm = formOf(fedPage, '/console/federation');
  assert.match(fedForm, /role="alert"/);
  assert.match(fedForm, /value="http:\/\/not-https\.example"/);
  assert.match(fedForm, /value="typed-subject"/);

  // A user page: the password form's refusal sits in the password form; the password is not put back.
  const user = (await call(h, { path: '/api/v2/users?pageSize=1', token: org.token })).body.entities[0] as { id: string };
  const pw = await post(`/console/users/${user.id}/password`, { _form: 'password', password: 'short' });
  const userPage = (await h.app.inject({ url: String(pw.headers.location), headers: { cookie } })).body;
  assert.match(formOf(userPage, `/console/users/${user.id}/password`), /role="alert">[^<]*12/);
  assert.doesNotMatch(formOf(userPage, `/console/users/${user.id}/grants`), /role="alert"/);
  assert.ok(!topAlert(userPage));

  // A group page: an unknown member's email comes back in the add form.
  const group = await call(h, { method: 'POST', path: '/api/v2/groups', token: org.token, body: { name: 'Typed Group', type: 'official', visibility: 'public' } });
  const add = await post(`/console/groups/${group.body.id}/members`, { _form: 'add-member', userName: 'nobody@reveal.test' });
  const groupPage = (await h.app.inject({ url: String(add.headers.location), headers: { cookie } })).body;
  const addForm = formOf(groupPage, `/console/groups/${group.body.id}/members`);
  assert.match(addForm, /role="alert"/);
  assert.match(addForm, /value="nobody@reveal\.test"/);
});
