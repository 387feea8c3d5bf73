import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createOrg, entraUser, patchOp, startHarness, type Harness, type Org } from '../../helpers/harness.ts';

let h: Harness;
let org: Org;
before(async () => {
  h = await startHarness();
  org = await createOrg(h);
});
after(() => h.close());

const audits = async (query: string) => (await call(h, { path: `/api/v2/audits?${query}`, token: org.token })).body;

test('a SCIM PATCH writes exactly one audit record with the diff of what changed', async () => {
  const u = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('audited@contoso.com', { title: 'Engineer' }) });
  const p = await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: org.token, headers: { 'x-request-id': 'req-audit-1' }, body: patchOp({ op: 'Replace', path: 'title', value: 'Lead' }, { op: 'Replace', path: 'password', value: 'Sup3r-secret!' }) });
  assert.equal(p.status, 200);
  const page = await audits(`resourceId=${u.body.id}`);
  assert.deepEqual(page.entities.map((e: { action: string }) => e.action), ['create', 'update']);
  const upd = page.entities[1];
  assert.equal(upd.requestId, 'req-audit-1');
  assert.equal(upd.clientId, org.clientId);
  assert.equal(upd.resourceType, 'User');
  assert.deepEqual(upd.changes.title, { before: 'Engineer', after: 'Lead' });
  assert.deepEqual(upd.changes.password, { after: '[redacted]' });
  assert.ok(!JSON.stringify(page).includes('Sup3r-secret!'));
  assert.deepEqual(Object.keys(upd.changes).sort(), ['password', 'title']);
  // A PATCH that changes nothing writes nothing.
  await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: org.token, body: patchOp({ op: 'Replace', path: 'title', value: 'Lead' }) });
  assert.equal((await audits(`resourceId=${u.body.id}`)).entities.length, 2);
});

test('an admin change writes exactly one record; secrets are redacted; rejected calls write none', async () => {
  const g = await call(h, { method: 'POST', path: '/api/v2/groups', token: org.token, body: { name: 'Audited', visibility: 'members' }, headers: { 'content-type': 'application/json' } });
  await call(h, { method: 'PUT', path: `/api/v2/groups/${g.body.id}`, token: org.token, body: { name: 'Audited', visibility: 'public' }, headers: { 'content-type': 'application/json' } });
  const page = await audits(`resourceId=${g.body.id}`);
  assert.deepEqual(page.entities.map((e: { action: string }) => e.action), ['create', 'update']);
  assert.deepEqual(page.entities[1].changes, { visibility: { before: 'members', after: 'public' } });
  const c = await call(h, { method: 'POST', path: '/api/v2/oauth/clients', token: org.token, body: { name: 'secretive' }, headers: { 'content-type': 'application/json' } });
  const cp = await audits(`resourceId=${c.body.id}`);
  assert.equal(cp.entities.length, 1);
  assert.ok(!JSON.stringify(cp).includes(c.body.secret));
  const before = (await audits('pageSize=500')).entities.length;
  await call(h, { method: 'POST', path: '/api/v2/groups', token: org.token, body: { name: 'audited' }, headers: { 'content-type': 'application/json' } }); // 409
  await call(h, { method: 'POST', path: '/Users', token: org.token, body: { userName: 'bad' } }); // 400
  assert.equal((await audits('pageSize=500')).entities.length, before);
});

test('group membership changes are audited by the ids touched', async () => {
  const g = await call(h, { method: 'POST', path: '/api/v2/groups', token: org.token, body: { name: 'Crew' }, headers: { 'content-type': 'application/json' } });
  const u = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('crew@contoso.com') });
  await call(h, { method: 'PATCH', path: `/Groups/${g.body.id}`, token: org.token, body: patchOp({ op: 'Add', path: 'members', value: [{ value: u.body.id }] }) });
  await call(h, { method: 'PATCH', path: `/Groups/${g.body.id}`, token: org.token, body: patchOp({ op: 'Add', path: 'members', value: [{ value: u.body.id }] }) });
  const page = await audits(`resourceId=${g.body.id}`);
  assert.equal(page.entities.length, 2, 'create + one membership change; the idempotent repeat writes nothing');
  assert.deepEqual(page.entities[1].changes, { 'members.added': { after: [u.body.id] } });
});

test('cursor paging and filters by client and time', async () => {
  const first = await audits('pageSize=2');
  assert.equal(first.entities.length, 2);
  assert.ok(first.cursor);
  const second = await audits(`pageSize=2&cursor=${first.cursor}`);
  assert.notEqual(second.entities[0].id, first.entities[0].id);
  assert.equal((await audits(`clientId=nobody`)).entities.length, 0);
  assert.equal((await audits(`from=2999-01-01T00:00:00Z`)).entities.length, 0);
  assert.equal((await call(h, { path: '/api/v2/audits?cursor=garbage', token: org.token })).status, 400);
  // Sealed: no readable position, and another organization's cursor opens nothing.
  assert.doesNotMatch(Buffer.from(first.cursor, 'base64url').toString('latin1'), /^a:\d/);
  assert.equal((await call(h, { path: `/api/v2/audits?cursor=${Buffer.from('a:1').toString('base64url')}`, token: org.token })).status, 400);
  const other = await createOrg(h);
  assert.equal((await call(h, { path: `/api/v2/audits?cursor=${first.cursor}`, token: other.token })).status, 400);
  assert.equal((await call(h, { path: '/api/v2/audits?from=yesterday', token: org.token })).status, 400);
});
