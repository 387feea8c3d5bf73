// Organizations never see each other: every SCIM route, called with another org's token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { addGroup, call, createOrg, entraUser, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';

let h: Harness;
let a: Org;
let b: Org;
let userA: string;
let groupA: string;
before(async () => {
  h = await startHarness();
  a = await createOrg(h);
  b = await createOrg(h);
  userA = (await call(h, { method: 'POST', path: '/Users', token: a.token, body: entraUser('alice@a.com', { externalId: 'shared-ext' }) })).body.id;
  groupA = await addGroup(h, a, 'Shared Name');
  await call(h, { method: 'PATCH', path: `/Groups/${groupA}`, token: a.token, body: patchOp({ op: 'Add', path: 'members', value: [{ value: userA }] }) });
  await addGroup(h, b, 'Shared Name');
});
after(() => h.close());

test('reads of another organization find nothing', async () => {
  assert.equal((await call(h, { path: `/Users/${userA}`, token: b.token })).status, 404);
  assert.equal((await call(h, { path: `/Groups/${groupA}`, token: b.token })).status, 404);
  for (const f of ['userName eq "alice@a.com"', `id eq "${userA}"`, 'externalId eq "shared-ext"']) {
    assert.equal((await call(h, { path: `/Users?filter=${encodeURIComponent(f)}`, token: b.token })).body.totalResults, 0, f);
  }
  const groups = await call(h, { path: '/Groups?filter=displayName eq "Shared Name"', token: b.token });
  assert.equal(groups.body.totalResults, 1);
  assert.notEqual(groups.body.Resources[0].id, groupA);
  assert.equal((await call(h, { path: `/Groups?filter=${encodeURIComponent(`members[value eq "${userA}"]`)}`, token: b.token })).body.totalResults, 0);
});

test('writes to another organization fail and change nothing', async () => {
  const r = [
    await call(h, { method: 'PATCH', path: `/Users/${userA}`, token: b.token, body: patchOp({ op: 'Replace', path: 'title', value: 'pwned' }) }),
    await call(h, { method: 'PUT', path: `/Users/${userA}`, token: b.token, body: entraUser('alice@a.com') }),
    await call(h, { method: 'DELETE', path: `/Users/${userA}`, token: b.token }),
    await call(h, { method: 'PATCH', path: `/Groups/${groupA}`, token: b.token, body: patchOp({ op: 'Remove', path: 'members' }) }),
    await call(h, { method: 'PUT', path: `/Groups/${groupA}`, token: b.token, body: { displayName: 'Shared Name' } }),
  ];
  assert.deepEqual(r.map((x) => x.status), [404, 404, 404, 404, 404]);
  const user = await call(h, { path: `/Users/${userA}`, token: a.token });
  assert.equal(user.body.title, undefined);
  const group = await call(h, { path: `/Groups/${groupA}`, token: a.token });
  assert.equal(group.body.members.length, 1);
});

test('another organization\'s user can be neither a manager nor a member', async () => {
  const bUser = (await call(h, { method: 'POST', path: '/Users', token: b.token, body: entraUser('bob@b.com') })).body.id;
  const m = await call(h, { method: 'PATCH', path: `/Users/${bUser}`, token: b.token, body: patchOp({ op: 'Add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', value: userA }) });
  assert.equal(m.status, 400);
  const bGroup = (await call(h, { path: '/Groups?filter=displayName eq "Shared Name"', token: b.token })).body.Resources[0].id;
  const g = await call(h, { method: 'PATCH', path: `/Groups/${bGroup}`, token: b.token, body: patchOp({ op: 'Add', path: 'members', value: [{ value: userA }] }) });
  assert.equal(g.status, 400);
});

test('the same userName lives independently in two organizations', async () => {
  const r = await call(h, { method: 'POST', path: '/Users', token: b.token, body: entraUser('alice@a.com') });
  assert.equal(r.status, 201);
  assert.notEqual(r.body.id, userA);
});

test('search, root queries and Bulk of another organization find and change nothing', async () => {
  const search = { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: `id eq "${userA}" or externalId eq "shared-ext"` };
  for (const path of ['/.search', '/Users/.search']) {
    const r = await call(h, { method: 'POST', path, token: b.token, body: search });
    assert.equal(r.status, 200, r.raw);
    assert.equal(r.body.totalResults, 0, path);
  }
  const groups = await call(h, { method: 'POST', path: '/Groups/.search', token: b.token, body: { schemas: search.schemas, filter: `members[value eq "${userA}"]` } });
  assert.equal(groups.body.totalResults, 0);
  assert.equal((await call(h, { path: `/?filter=${encodeURIComponent(`id eq "${userA}"`)}`, token: b.token })).body.totalResults, 0);
  const bulk = await call(h, {
    method: 'POST', path: '/Bulk', token: b.token,
    body: {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [
        { method: 'PATCH', path: `/Users/${userA}`, data: patchOp({ op: 'Replace', path: 'title', value: 'pwned' }) },
        { method: 'DELETE', path: `/Users/${userA}` },
        { method: 'PATCH', path: `/Groups/${groupA}`, data: patchOp({ op: 'Remove', path: 'members' }) },
      ],
    },
  });
  assert.deepEqual(bulk.body.Operations.map((o: { status: string }) => o.status), ['404', '404', '404']);
  const user = await call(h, { path: `/Users/${userA}`, token: a.token });
  assert.equal(user.body.title, undefined);
  assert.equal((await call(h, { path: `/Groups/${groupA}`, token: a.token })).body.members.length, 1);
});
