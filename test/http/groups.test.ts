import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { addGroup, call, clientWith, createOrg, entraUser, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';

let h: Harness;
let org: Org;
let users: string[];
before(async () => {
  h = await startHarness();
  org = await createOrg(h);
  users = [];
  for (let i = 0; i < 5; i++) {
    const r = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`member${i}@contoso.com`, { displayName: `Member ${i}` }) });
    users.push(r.body.id);
  }
});
after(() => h.close());

const members = async (id: string) => ((await call(h, { path: `/Groups/${id}`, token: org.token })).body.members ?? []).map((m: { value: string }) => m.value).sort();

test('only public groups are visible; found by displayName case-insensitively, members excluded on request', async () => {
  const sales = await addGroup(h, org, 'Sales');
  await addGroup(h, org, 'Secret', 'members');
  const r = await call(h, { path: '/Groups?excludedAttributes=members&filter=displayName eq "SALES"', token: org.token });
  assert.equal(r.status, 200);
  assert.equal(r.body.totalResults, 1);
  assert.equal(r.body.Resources[0].id, sales);
  assert.equal(r.body.Resources[0].members, undefined);
  const hidden = await call(h, { path: '/Groups?filter=displayName eq "Secret"', token: org.token });
  assert.equal(hidden.body.totalResults, 0);
  const all = await call(h, { path: '/Groups', token: org.token });
  assert.ok(all.body.Resources.every((g: { displayName: string }) => g.displayName !== 'Secret'));
});

test('a membership PATCH to a group that is not there, or not visible, is 404 before anything about its members', async () => {
  const secret = await addGroup(h, org, 'Hidden members', 'members');
  const missing = '00000000-0000-4000-8000-00000000dead';
  for (const [group, value] of [[missing, users[0]], [missing, 'no-such-user'], [secret, users[0]], [secret, 'no-such-user']]) {
    for (const op of ['Add', 'Remove']) {
      const r = await call(h, { method: 'PATCH', path: `/Groups/${group}`, token: org.token, body: patchOp({ op, path: 'members', value: [{ value }] }) });
      assert.equal(r.status, 404, `${op} ${value} to ${group === missing ? 'a missing' : 'a members-only'} group: ${r.raw}`);
    }
  }
  assert.deepEqual((await h.store.listMembers(secret)).map((m) => m.userId), [], 'the hidden group is untouched');
  assert.deepEqual((await h.store.queryAudits(org.organization.id, { resourceId: secret, limit: 5 })).entities, []);
  const sales = await addGroup(h, org, 'Visible');
  const unknown = await call(h, { method: 'PATCH', path: `/Groups/${sales}`, token: org.token, body: patchOp({ op: 'Add', path: 'members', value: [{ value: 'no-such-user' }] }) });
  assert.equal(unknown.status, 400, 'an existing group with an unknown member: 400');
  const pinned = await call(h, { method: 'PATCH', path: `/Groups/${missing}`, token: org.token, headers: { 'if-match': '"1"' }, body: patchOp({ op: 'Add', path: 'members', value: [{ value: users[0] }] }) });
  assert.equal(pinned.status, 404, 'with If-Match too');
});

test('Entra membership: Add with $ref null, Remove by value list, Remove by filter, all idempotent; PATCH answers 204', async () => {
  const g = await addGroup(h, org, 'Engineering');
  const add = await call(h, { method: 'PATCH', path: `/Groups/${g}`, token: org.token, body: patchOp({ op: 'Add', path: 'members', value: [{ $ref: null, value: users[0] }, { value: users[1] }, { value: users[2] }] }) });
  assert.equal(add.status, 204, add.raw);
  assert.equal(add.raw, '');
  assert.deepEqual(await members(g), [users[0], users[1], users[2]].sort());
  await call(h, { method: 'PATCH', path: `/Groups/${g}`, token: org.token, body: patchOp({ op: 'Add', path: 'members', value: [{ value: users[0] }] }) });
  assert.equal((await members(g)).length, 3, 'adding an existing member is a no-op');
  await call(h, { method: 'PATCH', path: `/Groups/${g}`, token: org.token, body: patchOp({ op: 'Remove', path: 'members', value: [{ $ref: null, value: users[1] }] }) });
  assert.deepEqual(await members(g), [users[0], users[2]].sort(), 'Remove with a value list removes only those');
  await call(h, { method: 'PATCH', path: `/Groups/${g}`, token: org.token, body: patchOp({ op: 'remove', path: `members[value eq "${users[2]}"]` }) });
  assert.deepEqual(await members(g), [users[0]]);
  const again = await call(h, { method: 'PATCH', path: `/Groups/${g}`, token: org.token, body: patchOp({ op: 'remove', path: `members[value eq "${users[2]}"]` }) });
  assert.equal(again.status, 204);
  const full = await call(h, { method: 'PATCH', path: `/Groups/${g}?excludedAttributes=members`, token: org.token, body: patchOp({ op: 'add', path: 'members', value: [{ value: users[3] }] }) });
  assert.equal(full.status, 200);
  assert.equal(full.body.displayName, 'Engineering');
  assert.equal(full.body.members, undefined);
  await call(h, { method: 'PATCH', path: `/Groups/${g}`, token: org.token, body: patchOp({ op: 'remove', path: 'members' }) });
  assert.deepEqual(await members(g), []);
});

test('membership check filter: id eq "g" and members[value eq "u"]', async () => {
  const g = await addGroup(h, org, 'Checkers');
  await call(h, { method: 'PATCH', path: `/Groups/${g}`, token: org.token, body: patchOp({ op: 'Add', path: 'members', value: [{ value: users[4] }] }) });
  const yes = await call(h, { path: `/Groups?filter=${encodeURIComponent(`id eq "${g}" and members[value eq "${users[4]}"]`)}&excludedAttributes=members`, token: org.token });
  assert.equal(yes.body.totalResults, 1);
  const no = await call(h, { path: `/Groups?filter=${encodeURIComponent(`id eq "${g}" and members[value eq "${users[0]}"]`)}&excludedAttributes=members`, token: org.token });
  assert.equal(no.body.totalResults, 0);
  const short = await call(h, { path: `/Groups?filter=${encodeURIComponent(`members eq "${users[4]}"`)}`, token: org.token });
  assert.equal(short.body.totalResults, 1);
  const inMemory = await call(h, { path: `/Groups?filter=${encodeURIComponent(`externalId co "zz" or members[value eq "${users[4]}"]`)}`, token: org.token });
  assert.equal(inMemory.body.totalResults, 1, 'the evaluator sees members when SQL cannot decide');
  const user = await call(h, { path: `/Users/${users[4]}`, token: org.token });
  assert.deepEqual(user.body.groups.map((x: { display: string }) => x.display), ['Checkers']);
});

test('groups are never created, deleted or renamed over SCIM (genesys profile)', async () => {
  const post = await call(h, { method: 'POST', path: '/Groups', token: org.token, body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'New' } });
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET');
  assert.match(post.body.detail, /never created/);
  const g = await addGroup(h, org, 'Stable');
  const del = await call(h, { method: 'DELETE', path: `/Groups/${g}`, token: org.token });
  assert.equal(del.status, 405);
  const rename = await call(h, { method: 'PATCH', path: `/Groups/${g}`, token: org.token, body: patchOp({ op: 'Replace', path: 'displayName', value: 'Renamed' }) });
  assert.equal(rename.status, 400);
  assert.equal(rename.body.scimType, 'mutability');
  const ext = await call(h, { method: 'PATCH', path: `/Groups/${g}?attributes=externalId`, token: org.token, body: patchOp({ op: 'Replace', path: 'externalId', value: 'ext-1' }) });
  assert.equal(ext.status, 200, ext.raw);
  assert.equal(ext.body.externalId, 'ext-1');
  assert.equal(ext.headers.etag, '"2"');
});

test('members must be users of the same organization; nothing is written otherwise', async () => {
  const g = await addGroup(h, org, 'Strict');
  const other = await createOrg(h);
  const stranger = await call(h, { method: 'POST', path: '/Users', token: other.token, body: entraUser('stranger@contoso.com') });
  const r = await call(h, { method: 'PATCH', path: `/Groups/${g}`, token: org.token, body: patchOp({ op: 'Add', path: 'members', value: [{ value: users[0] }] }, { op: 'Add', path: 'members', value: [{ value: stranger.body.id }] }) });
  assert.equal(r.status, 400);
  assert.equal(r.body.scimType, 'invalidValue');
  assert.deepEqual(await members(g), [], 'the first operation was rolled back');
});

test('PUT replaces the membership; If-Match guards group writes', async () => {
  const g = await addGroup(h, org, 'Replaced');
  const r = await call(h, { method: 'PUT', path: `/Groups/${g}`, token: org.token, body: { displayName: 'Replaced', members: [{ value: users[1] }, { value: users[2] }] } });
  assert.equal(r.status, 200, r.raw);
  assert.deepEqual(r.body.members.map((m: { value: string }) => m.value).sort(), [users[1], users[2]].sort());
  assert.deepEqual(r.body.members[0].type, 'User');
  const stale = await call(h, { method: 'PATCH', path: `/Groups/${g}`, token: org.token, headers: { 'if-match': '"1"' }, body: patchOp({ op: 'Add', path: 'members', value: [{ value: users[3] }] }) });
  assert.equal(stale.status, 400);
  assert.equal(stale.body.scimType, 'invalidVers');
});

test('concurrent PATCHes to one group lose no member', async () => {
  const g = await addGroup(h, org, 'Busy');
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) ids.push((await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`busy${i}@contoso.com`) })).body.id);
  const results = await Promise.all(ids.map((id) => call(h, { method: 'PATCH', path: `/Groups/${g}`, token: org.token, body: patchOp({ op: 'Add', path: 'members', value: [{ value: id }] }) })));
  assert.ok(results.every((r) => r.status === 204));
  assert.equal((await members(g)).length, 40);
});

test('group routes need directory:group:edit', async () => {
  const g = await addGroup(h, org, 'Guarded');
  const userOnly = await clientWith(h, org, ['directory:user:*']);
  for (const c of [{ path: '/Groups' }, { path: `/Groups/${g}` }, { method: 'PATCH' as const, path: `/Groups/${g}`, body: patchOp({ op: 'Add', path: 'members', value: [{ value: users[0] }] }) }, { method: 'PUT' as const, path: `/Groups/${g}`, body: { displayName: 'Guarded' } }]) {
    const r = await call(h, { ...c, token: userOnly });
    assert.equal(r.status, 403, `${c.path}: ${r.raw}`);
  }
});
