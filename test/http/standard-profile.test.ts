import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createOrg, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';

let h: Harness;
let org: Org;
before(async () => {
  h = await startHarness();
  org = await createOrg(h, 'standard');
});
after(() => h.close());

test('any userName, any email/phone type, no displayName required', async () => {
  const r = await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: 'bjensen', emails: [{ type: 'custom', value: 'b@x' }], phoneNumbers: [{ type: 'fax', value: '555-555-5555' }] } });
  assert.equal(r.status, 201, r.raw);
  assert.equal(r.body.phoneNumbers[0].value, '555-555-5555', 'phones are not rewritten');
  assert.ok(!r.body.emails.some((e: { type: string }) => e.type === 'other'), 'no mirrored email');
});

test('groups can be created, renamed and deleted over SCIM', async () => {
  const u = await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: 'member' } });
  const g = await call(h, { method: 'POST', path: '/Groups', token: org.token, body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group', 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'], externalId: 'e1', displayName: 'Team', meta: { resourceType: 'Group' }, members: [{ value: u.body.id }] } });
  assert.equal(g.status, 201, g.raw);
  assert.equal(g.body.members[0].value, u.body.id);
  const dup = await call(h, { method: 'POST', path: '/Groups', token: org.token, body: { displayName: 'team' } });
  assert.equal(dup.status, 409);
  const rename = await call(h, { method: 'PATCH', path: `/Groups/${g.body.id}?attributes=displayName`, token: org.token, body: patchOp({ op: 'Replace', path: 'displayName', value: 'Team 2' }) });
  assert.equal(rename.body.displayName, 'Team 2');
  assert.equal((await call(h, { method: 'DELETE', path: `/Groups/${g.body.id}`, token: org.token })).status, 204);
  assert.equal((await call(h, { path: `/Groups/${g.body.id}`, token: org.token })).status, 404);
});

test('the unfiltered user list includes inactive users (plain RFC)', async () => {
  const u = await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: 'sleepy', active: false } });
  const all = await call(h, { path: '/Users?count=100', token: org.token });
  assert.ok(all.body.Resources.some((x: { id: string }) => x.id === u.body.id));
});
