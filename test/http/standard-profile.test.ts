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

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

test('enterprise extension as RFC 7643 4.3: division is free text, manager.value any id (linked when a user)', async () => {
  const boss = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: 'boss', displayName: 'The Boss' } })).body.id;
  const a = await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: 'rfc-a', [ENT]: { division: 'Not A Scimitar Division', manager: { value: 'external-42' } } } });
  assert.equal(a.status, 201, a.raw);
  assert.deepEqual(a.body[ENT], { division: 'Not A Scimitar Division', manager: { value: 'external-42' } });
  const b = await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: 'rfc-b', [ENT]: { manager: { value: boss } } } });
  assert.equal(b.body[ENT].manager.displayName, 'The Boss');
  assert.match(b.body[ENT].manager.$ref, new RegExp(`/Users/${boss}$`));
  // A write that leaves the manager alone answers with the manager's name as before (no read-back).
  const patched = await call(h, { method: 'PATCH', path: `/Users/${b.body.id}`, token: org.token, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'Lead' }] } });
  assert.equal(patched.status, 200, patched.raw);
  assert.equal(patched.body.title, 'Lead');
  assert.deepEqual(patched.body[ENT].manager, (await call(h, { path: `/Users/${b.body.id}`, token: org.token })).body[ENT].manager);
  assert.equal(patched.body[ENT].manager.displayName, 'The Boss');
  const byDivision = await call(h, { path: `/Users?filter=${encodeURIComponent(`${ENT}:division eq "not a scimitar division"`)}`, token: org.token });
  assert.deepEqual(byDivision.body.Resources.map((r: { id: string }) => r.id), [a.body.id]);
  const byManager = await call(h, { path: `/Users?filter=${encodeURIComponent(`${ENT}:manager.value eq "external-42"`)}`, token: org.token });
  assert.deepEqual(byManager.body.Resources.map((r: { id: string }) => r.id), [a.body.id]);
  const none = await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: 'rfc-c' } });
  assert.equal(none.body[ENT], undefined, 'no empty extension object');
});

test('Genesys-only attributes are neither advertised nor stored', async () => {
  const schemas = (await call(h, { path: '/Schemas', token: org.token })).body.Resources.map((s: { id: string }) => s.id);
  assert.ok(!schemas.includes('urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User'));
  const ent = (await call(h, { path: `/Schemas/${ENT}`, token: org.token })).body;
  assert.ok(!ent.attributes.some((x: { name: string }) => x.name === 'dateHire'));
  const r = await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: 'hired', [ENT]: { dateHire: '2020-01-01' } } });
  assert.equal(r.status, 201, 'ignored, as every attribute the schemas lack in this profile');
  assert.equal(r.body[ENT], undefined);
});

test('active is always assigned: PATCH remove (or replace with null) is 400 mutability in both profiles, and the user is unchanged', async () => {
  const genesys = await createOrg(h, 'genesys');
  for (const [o, body] of [[org, { userName: 'always.active' }], [genesys, { userName: 'always.active@contoso.com', displayName: 'Always' }]] as const) {
    const u = await call(h, { method: 'POST', path: '/Users', token: o.token, body });
    assert.equal(u.status, 201, u.raw);
    assert.equal(u.body.active, true, 'assigned on create');
    for (const op of [{ op: 'remove', path: 'active' }, { op: 'Remove', path: 'urn:ietf:params:scim:schemas:core:2.0:User:active' }, { op: 'replace', path: 'active', value: null }, { op: 'replace', value: { active: null } }]) {
      const r = await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: o.token, body: patchOp(op) });
      assert.equal(r.status, 400, `${JSON.stringify(op)}: ${r.raw}`);
      assert.equal(r.body.scimType, 'mutability');
      assert.match(r.body.detail, /"active" cannot be removed.*replace it with false/);
    }
    const now = await call(h, { path: `/Users/${u.body.id}`, token: o.token });
    assert.equal(now.body.active, true);
    assert.equal(now.headers.etag, u.headers.etag, 'nothing was written');
    // Disabling is a replace, as before.
    assert.equal((await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: o.token, body: patchOp({ op: 'replace', path: 'active', value: false }) })).body.active, false);
  }
});
