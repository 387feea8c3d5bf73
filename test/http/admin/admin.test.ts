import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, clientWith, createOrg, ENT, entraUser, patchOp, startHarness, tokenFor, type Harness, type Org } from '../../helpers/harness.ts';

let h: Harness;
let org: Org;
before(async () => {
  h = await startHarness();
  org = await createOrg(h);
});
after(() => h.close());

const api = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, token = org.token) =>
  call(h, { method, path: `/api/v2${path}`, token, body, headers: body !== undefined ? { 'content-type': 'application/json' } : {} });

test('divisions: create, list, get, rename, delete; Home and used divisions are kept', async () => {
  const c = await api('POST', '/authorization/divisions', { name: 'Support', description: 'Tier 1' });
  assert.equal(c.status, 201, c.raw);
  assert.equal(c.headers.location, `https://scim.example.test/api/v2/authorization/divisions/${c.body.id}`);
  assert.equal((await api('POST', '/authorization/divisions', { name: 'support' })).status, 409);
  const list = await api('GET', '/authorization/divisions?pageSize=1&pageNumber=2');
  assert.deepEqual([list.body.total, list.body.pageSize, list.body.pageNumber, list.body.pageCount, list.body.entities.length], [2, 1, 2, 2, 1]);
  assert.equal((await api('PUT', `/authorization/divisions/${c.body.id}`, { name: 'Support EU' })).body.name, 'Support EU');
  const home = (await api('GET', '/authorization/divisions')).body.entities.find((d: { homeDivision: boolean }) => d.homeDivision);
  const delHome = await api('DELETE', `/authorization/divisions/${home.id}`);
  assert.equal(delHome.status, 409);
  assert.deepEqual(Object.keys(delHome.body).sort(), ['code', 'contextId', 'message', 'status']);
  const u = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('in.support@contoso.com', { [ENT]: { division: 'Support EU' } }) });
  assert.equal(u.status, 201);
  const inUse = await api('DELETE', `/authorization/divisions/${c.body.id}`);
  assert.equal(inUse.status, 409);
  assert.match(inUse.body.message, /1 user/);
  await call(h, { method: 'DELETE', path: `/Users/${u.body.id}`, token: org.token });
  assert.equal((await api('DELETE', `/authorization/divisions/${c.body.id}`)).status, 204);
  assert.equal((await api('GET', `/authorization/divisions/${c.body.id}`)).status, 404);
});

test('groups: create with visibility; only public groups reach SCIM; members readable', async () => {
  const pub = await api('POST', '/groups', { name: 'Sales', type: 'official', visibility: 'public' });
  const priv = await api('POST', '/groups', { name: 'Board', visibility: 'members' });
  assert.equal(pub.status, 201);
  assert.equal((await api('POST', '/groups', { name: 'SALES' })).status, 409);
  assert.equal((await api('POST', '/groups', { name: 'X', visibility: 'secret' })).status, 400);
  const scim = await call(h, { path: '/Groups', token: org.token });
  assert.deepEqual(scim.body.Resources.map((g: { id: string }) => g.id), [pub.body.id]);
  const u = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('seller@contoso.com') });
  await call(h, { method: 'PATCH', path: `/Groups/${pub.body.id}`, token: org.token, body: patchOp({ op: 'Add', path: 'members', value: [{ value: u.body.id }] }) });
  const members = await api('GET', `/groups/${pub.body.id}/members`);
  assert.deepEqual(members.body.entities.map((m: { id: string }) => m.id), [u.body.id]);
  const made = await api('PUT', `/groups/${priv.body.id}`, { name: 'Board', visibility: 'public' });
  assert.equal(made.body.visibility, 'public');
  assert.equal((await call(h, { path: '/Groups', token: org.token })).body.totalResults, 2);
  assert.equal((await api('DELETE', `/groups/${priv.body.id}`)).status, 204);
});

test('roles: permission strings validated; a role in use cannot be deleted', async () => {
  assert.equal((await api('POST', '/authorization/roles', { name: 'Bad', permissions: ['not a permission'] })).status, 400);
  const r = await api('POST', '/authorization/roles', { name: 'Viewer', permissions: ['directory:user:view'] });
  assert.equal(r.status, 201);
  const home = (await api('GET', '/authorization/divisions')).body.entities.find((d: { homeDivision: boolean }) => d.homeDivision);
  const c = await api('POST', '/oauth/clients', { name: 'viewer', authorizedGrantType: 'CLIENT-CREDENTIALS', roleDivisions: [{ roleId: r.body.id, divisionId: home.id }] });
  const del = await api('DELETE', `/authorization/roles/${r.body.id}`);
  assert.equal(del.status, 409);
  assert.match(del.body.message, /viewer/);
  await api('DELETE', `/oauth/clients/${c.body.id}`);
  assert.equal((await api('DELETE', `/authorization/roles/${r.body.id}`)).status, 204);
});

test('OAuth clients: secret once; rotation and deletion revoke tokens; disabling too', async () => {
  const roles = (await api('GET', '/authorization/roles')).body.entities;
  const scimRole = roles.find((r: { name: string }) => r.name === 'SCIM Provisioning');
  const c = await api('POST', '/oauth/clients', { name: 'Entra', authorizedGrantType: 'CLIENT-CREDENTIALS', roleDivisions: [{ roleId: scimRole.id, divisionId: '*' }] });
  assert.equal(c.status, 201, c.raw);
  assert.ok(c.body.secret);
  assert.equal((await api('GET', `/oauth/clients/${c.body.id}`)).body.secret, undefined);
  const t1 = await tokenFor(h, c.body.id, c.body.secret);
  assert.equal((await call(h, { path: '/Users', token: t1 })).status, 200);
  assert.equal((await api('GET', '/authorization/divisions', undefined, t1)).status, 403, 'SCIM role grants no admin permission');
  const rotated = await api('POST', `/oauth/clients/${c.body.id}/secret`);
  assert.notEqual(rotated.body.secret, c.body.secret);
  assert.equal((await call(h, { path: '/Users', token: t1 })).status, 401, 'rotation revoked the old token');
  const t2 = await tokenFor(h, c.body.id, rotated.body.secret);
  const off = await api('PUT', `/oauth/clients/${c.body.id}`, { name: 'Entra', state: 'inactive' });
  assert.equal(off.body.state, 'inactive');
  assert.equal((await call(h, { path: '/Users', token: t2 })).status, 401, 'disabling revoked the token');
  assert.equal((await api('POST', '/oauth/clients', { name: 'x', roleDivisions: [{ roleId: 'nope', divisionId: '*' }] })).status, 400);
  assert.equal((await api('POST', '/oauth/clients', { name: 'x', authorizedGrantType: 'PASSWORD' })).status, 400);
  assert.equal((await api('DELETE', `/oauth/clients/${c.body.id}`)).status, 204);
  assert.equal((await api('GET', `/oauth/clients/${c.body.id}`)).status, 404);
});

test('routing skills and languages feed the SCIM Genesys extension', async () => {
  const s = await api('POST', '/routing/skills', { name: 'Billing' });
  assert.equal(s.status, 201);
  assert.equal((await api('POST', '/routing/skills', { name: 'Billing' })).status, 409);
  await api('POST', '/routing/languages', { name: 'French' });
  const u = await call(h, {
    method: 'POST', path: '/Users', token: org.token,
    body: entraUser('skilled@contoso.com', { 'urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User': { routingSkills: [{ name: 'Billing', proficiency: 4.5 }], routingLanguages: [{ name: 'French', proficiency: 3 }] } }),
  });
  assert.equal(u.status, 201, u.raw);
  assert.equal((await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('unskilled@contoso.com', { 'urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User': { routingSkills: [{ name: 'billing' }] } }) })).status, 400, 'skill names are case-sensitive');
  assert.deepEqual((await api('GET', '/routing/skills')).body.entities.map((e: { name: string }) => e.name), ['Billing']);
  assert.equal((await api('DELETE', `/routing/skills/${s.body.id}`)).status, 204);
  assert.equal((await api('DELETE', `/routing/skills/${s.body.id}`)).status, 404);
});

test('users are readable for the console; organizations/me tells the profile', async () => {
  await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('console@contoso.com', { title: 'Clerk' }) });
  const list = await api('GET', '/users?pageSize=500');
  const u = list.body.entities.find((x: { email: string }) => x.email === 'console@contoso.com');
  assert.equal(u.title, 'Clerk');
  assert.equal(u.division.name, 'Home');
  assert.equal((await api('GET', `/users/${u.id}`)).body.email, 'console@contoso.com');
  await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('quote"d@contoso.com', { displayName: 'Zed Console' }) });
  const found = await api('GET', '/users?q=CONSOLE&sortBy=userName');
  assert.deepEqual(found.body.entities.map((x: { email: string }) => x.email), ['console@contoso.com', 'quote"d@contoso.com'], 'case-insensitive, in userName or displayName, sorted');
  assert.deepEqual((await api('GET', `/users?q=${encodeURIComponent('quote"d')}`)).body.entities.length, 1, 'quotes are text');
  assert.deepEqual((await api('GET', `/users?filter=${encodeURIComponent('title eq "Clerk"')}`)).body.entities.map((x: { email: string }) => x.email), ['console@contoso.com']);
  const bad = await api('GET', `/users?filter=${encodeURIComponent('title eq')}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'bad.request');
  assert.equal((await api('GET', '/users?q=a&filter=active%20eq%20true')).status, 400);
  assert.deepEqual((await api('GET', '/organizations/me')).body, { id: org.organization.id, name: org.organization.name, scimProfile: 'genesys' });
});

test('users: disable, enable and delete through the admin API, audited like SCIM; members of any group added and removed', async () => {
  const a = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('actions.a@contoso.com') })).body.id as string;
  const b = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('actions.b@contoso.com') })).body.id as string;
  const off = await api('PATCH', `/users/${a}`, { state: 'inactive' });
  assert.equal(off.status, 200, off.raw);
  assert.equal(off.body.state, 'inactive');
  assert.equal((await call(h, { path: `/Users/${a}`, token: org.token })).body.active, false);
  assert.equal((await api('PATCH', `/users/${a}`, { state: 'active' })).body.state, 'active');
  assert.equal((await api('PATCH', `/users/${a}`, { state: 'gone' })).status, 400);
  assert.equal((await api('PATCH', `/users/${a}`, {})).status, 400);
  const audits = (await api('GET', `/audits?resourceId=${a}`)).body.entities;
  assert.deepEqual(audits.slice(0, 2).map((r: { changes: { active?: { after: boolean } } }) => r.changes.active?.after), [true, false], 'newest first: enabled, disabled');

  // A members-only group is invisible over SCIM; the admin API still manages its members.
  const board = (await api('POST', '/groups', { name: 'Actions Board', visibility: 'members' })).body.id as string;
  const add = await api('POST', `/groups/${board}/members`, { memberIds: [a, b] });
  assert.equal(add.status, 204, add.raw);
  assert.deepEqual((await api('GET', `/groups/${board}/members`)).body.entities.map((m: { id: string }) => m.id).sort(), [a, b].sort());
  assert.equal((await api('POST', `/groups/${board}/members`, { memberIds: ['no-such-user'] })).status, 400);
  assert.equal((await api('POST', `/groups/${board}/members`, { memberIds: 'x' })).status, 400);
  const nowhere = '00000000-0000-4000-8000-00000000dead';
  assert.equal((await api('POST', `/groups/${nowhere}/members`, { memberIds: [a] })).status, 404, 'a missing group');
  assert.equal((await api('POST', `/groups/${nowhere}/members`, { memberIds: ['no-such-user'] })).status, 404, 'a missing group, before its members');
  assert.equal((await api('DELETE', `/groups/${nowhere}/members?ids=${a}`)).status, 404);
  assert.equal((await api('DELETE', `/groups/${board}/members?ids=${a}`)).status, 204);
  assert.deepEqual((await api('GET', `/groups/${board}/members`)).body.entities.map((m: { id: string }) => m.id), [b]);
  const groupAudit = (await api('GET', `/audits?resourceId=${board}`)).body.entities;
  assert.ok(groupAudit.some((r: { changes: Record<string, unknown> }) => JSON.stringify(r.changes['members.removed']) === JSON.stringify({ before: [a] })), JSON.stringify(groupAudit));

  assert.equal((await api('DELETE', `/users/${b}`)).status, 204);
  assert.equal((await api('GET', `/users/${b}`)).status, 404);
  assert.equal((await api('DELETE', `/users/${b}`)).status, 404);
  assert.deepEqual((await api('GET', `/groups/${board}/members`)).body.entities, []);
  const limited = await clientWith(h, org, ['directory:user:view', 'directory:group:view']);
  assert.equal((await api('PATCH', `/users/${a}`, { state: 'inactive' }, limited)).status, 403);
  assert.equal((await api('DELETE', `/users/${a}`, undefined, limited)).status, 403);
  assert.equal((await api('POST', `/groups/${board}/members`, { memberIds: [a] }, limited)).status, 403);
});

test('every admin route checks its permission', async () => {
  const none = await clientWith(h, org, ['directory:user:view']);
  const routes: ['GET' | 'POST' | 'PUT' | 'DELETE', string, unknown?][] = [
    ['GET', '/authorization/divisions'], ['POST', '/authorization/divisions', { name: 'N' }], ['GET', '/groups'], ['POST', '/groups', { name: 'N' }],
    ['GET', '/authorization/roles'], ['POST', '/authorization/roles', { name: 'N', permissions: [] }], ['GET', '/oauth/clients'], ['POST', '/oauth/clients', { name: 'N' }],
    ['GET', '/routing/skills'], ['POST', '/routing/languages', { name: 'N' }], ['GET', '/audits'],
  ];
  for (const [m, p, b] of routes) {
    const r = await api(m, p, b, none);
    assert.equal(r.status, 403, `${m} ${p}: ${r.raw}`);
    assert.equal(r.body.code, 'missing.permissions');
  }
  assert.equal((await api('GET', '/users', undefined, none)).status, 200);
  assert.equal((await call(h, { path: '/api/v2/groups' })).status, 401);
});

test('organizations are isolated on every admin route', async () => {
  const other = await createOrg(h);
  const mine = await api('POST', '/groups', { name: 'Mine' });
  const div = await api('POST', '/authorization/divisions', { name: 'MyDiv' });
  const role = await api('POST', '/authorization/roles', { name: 'MyRole', permissions: ['*'] });
  const client = await api('POST', '/oauth/clients', { name: 'MyClient' });
  const skill = await api('POST', '/routing/skills', { name: 'MySkill' });
  for (const [m, p] of [
    ['GET', `/groups/${mine.body.id}`], ['PUT', `/groups/${mine.body.id}`], ['DELETE', `/groups/${mine.body.id}`], ['GET', `/groups/${mine.body.id}/members`],
    ['GET', `/authorization/divisions/${div.body.id}`], ['DELETE', `/authorization/divisions/${div.body.id}`], ['GET', `/authorization/roles/${role.body.id}`],
    ['DELETE', `/authorization/roles/${role.body.id}`], ['GET', `/oauth/clients/${client.body.id}`], ['DELETE', `/oauth/clients/${client.body.id}`],
    ['POST', `/oauth/clients/${client.body.id}/secret`], ['DELETE', `/routing/skills/${skill.body.id}`],
    ['POST', `/groups/${mine.body.id}/members`], ['DELETE', `/groups/${mine.body.id}/members?ids=x`],
    ...(await (async () => {
      const uid = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('isolated@contoso.com') })).body.id as string;
      return [['PATCH', `/users/${uid}`], ['DELETE', `/users/${uid}`], ['GET', `/users/${uid}/grants`], ['PUT', `/users/${uid}/grants`]] as const;
    })()),
  ] as const) {
    const r = await api(m, p, m === 'PUT' ? (p.endsWith('/grants') ? { grants: [] } : { name: 'Hijack' }) : m === 'PATCH' ? { state: 'inactive' } : m === 'POST' && p.endsWith('/members') ? { memberIds: [] } : undefined, other.token);
    assert.equal(r.status, 404, `${m} ${p}: ${r.raw}`);
  }
  const lists = await Promise.all(['/groups', '/authorization/divisions', '/authorization/roles', '/oauth/clients', '/routing/skills', '/users', '/audits'].map((p) => api('GET', p, undefined, other.token)));
  for (const l of lists) assert.ok(!JSON.stringify(l.body).includes('Mine') && !JSON.stringify(l.body).includes('MyDiv') && !JSON.stringify(l.body).includes('MySkill'));
  assert.equal((await api('POST', '/oauth/clients', { name: 'steal', roleDivisions: [{ roleId: role.body.id, divisionId: '*' }] }, other.token)).status, 400, "another org's role cannot be granted");
});

test('no privilege escalation: a client cannot grant or write into roles more than it holds', async () => {
  const roles = (await api('GET', '/authorization/roles')).body.entities;
  const adminRole = roles.find((r: { name: string }) => r.name === 'Admin');
  const scimRole = roles.find((r: { name: string }) => r.name === 'SCIM Provisioning');
  const home = (await api('GET', '/authorization/divisions')).body.entities.find((d: { homeDivision: boolean }) => d.homeDivision);
  // A client manager that holds the SCIM permissions on Home only.
  const manager = await clientWith(h, org, ['oauth:client:add', 'authorization:role:add', 'authorization:role:view', 'directory:user:*', 'directory:group:*', 'authorization:grant:*', 'routing:*:assign', 'telephony:extension:assign'], home.id);
  const escalate = await api('POST', '/oauth/clients', { name: 'evil', roleDivisions: [{ roleId: adminRole.id, divisionId: '*' }] }, manager);
  assert.equal(escalate.status, 403, escalate.raw);
  assert.match(escalate.body.message, /does not hold/);
  const wider = await api('POST', '/oauth/clients', { name: 'wider', roleDivisions: [{ roleId: scimRole.id, divisionId: '*' }] }, manager);
  assert.equal(wider.status, 403, 'holding a permission on Home does not allow granting it on every division');
  const ok = await api('POST', '/oauth/clients', { name: 'fine', roleDivisions: [{ roleId: scimRole.id, divisionId: home.id }] }, manager);
  assert.equal(ok.status, 201, ok.raw);
  const role = await api('POST', '/authorization/roles', { name: 'Sneaky', permissions: ['*'] }, manager);
  assert.equal(role.status, 403);
  // The organization's admin (every permission on every division) may do all of it.
  assert.equal((await api('POST', '/oauth/clients', { name: 'admin2', roleDivisions: [{ roleId: adminRole.id, divisionId: '*' }] })).status, 201);
});
