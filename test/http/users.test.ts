import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { addDivision, addGroup, call, clientWith, createOrg, ENT, entraUser, GEN, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';

let h: Harness;
let org: Org;
before(async () => {
  h = await startHarness({ bodyLimitBytes: 64 * 1024 });
  org = await createOrg(h);
});
after(() => h.close());

const create = (body: unknown, token = org.token) => call(h, { method: 'POST', path: '/Users', token, body });

test('POST creates a user: 201, Location, ETag, the resource with id', async () => {
  const r = await create(entraUser('create1@contoso.com', { title: 'Engineer', phoneNumbers: [{ type: 'work', value: 'tel:+13175550123;ext=1234' }], [ENT]: { department: 'Sales', division: 'Home' } }));
  assert.equal(r.status, 201, r.raw);
  assert.ok(r.body.id);
  assert.equal(r.headers.location, `https://scim.example.test/api/v2/scim/v2/Users/${r.body.id}`);
  assert.equal(r.headers.etag, '"1"');
  assert.equal(r.body.meta.version, '"1"');
  assert.equal(r.headers['content-type'], 'application/scim+json; charset=utf-8');
  assert.equal(r.body[ENT].division, 'Home');
  assert.equal(r.body[ENT].department, 'Sales');
  assert.equal(r.body.password, undefined);
  assert.deepEqual(r.body.emails.find((e: { type: string }) => e.type === 'other'), { value: 'create1@contoso.com', type: 'other', primary: false });
  const got = await call(h, { path: `/Users/${r.body.id}`, token: org.token });
  assert.equal(got.status, 200);
  assert.deepEqual(got.body, r.body);
});

test('userName is unique per organization, case-insensitively (409 uniqueness)', async () => {
  assert.equal((await create(entraUser('dup@contoso.com'))).status, 201);
  const r = await create(entraUser('DUP@Contoso.com'));
  assert.equal(r.status, 409);
  assert.equal(r.body.scimType, 'uniqueness');
  assert.equal(r.body.status, '409');
  const other = await createOrg(h);
  assert.equal((await create(entraUser('dup@contoso.com'), other.token)).status, 201, 'another organization may use the same userName');
});

test('genesys rules on create: email userName, required displayName, phones, division, manager, roles', async () => {
  const bad: [unknown, number, string | undefined, RegExp][] = [
    [{ userName: 'not-an-email', displayName: 'X' }, 400, 'invalidValue', /email/],
    [{ userName: 'nodisplay@contoso.com' }, 400, 'invalidValue', /displayName/],
    [entraUser('p1@contoso.com', { phoneNumbers: [{ type: 'work', value: '555-1234' }] }), 400, 'invalidValue', /E\.164/],
    [entraUser('p2@contoso.com', { phoneNumbers: [{ type: 'pager', value: '+15555550123' }] }), 400, 'invalidValue', /type/],
    [entraUser('p3@contoso.com', { phoneNumbers: [{ type: 'work', value: '+15550001' }, { type: 'work', value: '+15550002' }] }), 400, 'invalidValue', /one phone number of type/],
    [entraUser('d1@contoso.com', { [ENT]: { division: 'Atlantis' } }), 400, 'invalidValue', /Atlantis/],
    [entraUser('m1@contoso.com', { [ENT]: { manager: { value: 'no-such-user' } } }), 400, 'invalidValue', /Manager/],
    [entraUser('r1@contoso.com', { roles: [{ value: 'Wizard' }] }), 400, 'invalidValue', /Unknown role/],
    [entraUser('s1@contoso.com', { [GEN]: { routingSkills: [{ name: 'Juggling', proficiency: 3 }] } }), 400, 'invalidValue', /routing skill/],
    [entraUser('e1@contoso.com', { emails: [{ type: 'other', value: 'someone.else@contoso.com' }] }), 400, 'mutability', /read-only/],
    [entraUser('h1@contoso.com', { [ENT]: { dateHire: 'yesterday' } }), 400, 'invalidValue', /dateHire/],
  ];
  for (const [body, status, scimType, detail] of bad) {
    const r = await create(body);
    assert.equal(r.status, status, `${JSON.stringify(body)} -> ${r.raw}`);
    assert.equal(r.body.scimType, scimType, r.raw);
    assert.match(r.body.detail, detail);
  }
  const total = await call(h, { path: '/Users?filter=userName sw "p" or userName sw "d1" or userName sw "m1"&count=0', token: org.token });
  assert.equal(total.body.totalResults, 0, 'nothing was written by rejected requests');
});

test('phone numbers: E.164, tel: with extension, extension only, normalised; UC types are looser', async () => {
  const r = await create(entraUser('phones@contoso.com', {
    phoneNumbers: [
      { type: 'work', value: '+1 (317) 555-0123' },
      { type: 'work2', value: 'tel:+13175550199;ext=42' },
      { type: 'work3', value: 'tel:;ext=1234' },
      { type: 'microsoftteams', value: '13175550100' },
    ],
  }));
  assert.equal(r.status, 201, r.raw);
  assert.deepEqual(r.body.phoneNumbers.map((p: { value: string }) => p.value), ['+13175550123', 'tel:+13175550199;ext=42', 'tel:;ext=1234', '13175550100']);
});

test('division by name: absent -> Home, named -> that one, outside the caller\'s divisions -> 403', async () => {
  const sales = await addDivision(h, org, 'Sales');
  const r = await create(entraUser('div1@contoso.com', { [ENT]: { division: 'sales' } }));
  assert.equal(r.status, 201, r.raw);
  assert.equal(r.body[ENT].division, 'Sales');
  const homeOnly = await clientWith(h, org, ['directory:user:*'], org.homeDivisionId);
  const denied = await create(entraUser('div2@contoso.com', { [ENT]: { division: 'Sales' } }), homeOnly);
  assert.equal(denied.status, 403, denied.raw);
  assert.match(denied.body.detail, /Sales/);
  const ok = await create(entraUser('div3@contoso.com'), homeOnly);
  assert.equal(ok.status, 201);
  assert.equal(ok.body[ENT].division, 'Home');
  // Reads are scoped too: the Home-only client cannot see the Sales user.
  assert.equal((await call(h, { path: `/Users/${r.body.id}`, token: homeOnly })).status, 404);
  const list = await call(h, { path: '/Users?filter=userName sw "div"', token: homeOnly });
  assert.deepEqual(list.body.Resources.map((u: { userName: string }) => u.userName), ['div3@contoso.com']);
  // Moving a user into a division outside the caller's scope is refused.
  const move = await call(h, { method: 'PATCH', path: `/Users/${ok.body.id}`, token: homeOnly, body: patchOp({ op: 'Replace', path: `${ENT}:division`, value: 'Sales' }) });
  assert.equal(move.status, 403);
  void sales;
});

test('manager: set by bare id, returned as {value, $ref, displayName}; filterable; cleared by remove', async () => {
  const boss = await create(entraUser('boss@contoso.com', { displayName: 'The Boss' }));
  const emp = await create(entraUser('emp@contoso.com'));
  const p = await call(h, { method: 'PATCH', path: `/Users/${emp.body.id}`, token: org.token, body: patchOp({ op: 'Add', path: `${ENT}:manager`, value: boss.body.id }) });
  assert.equal(p.status, 200, p.raw);
  assert.deepEqual(p.body[ENT].manager, { value: boss.body.id, $ref: `https://scim.example.test/api/v2/scim/v2/Users/${boss.body.id}`, displayName: 'The Boss' });
  const f = await call(h, { path: `/Users?filter=manager eq "${boss.body.id}"`, token: org.token });
  assert.deepEqual(f.body.Resources.map((u: { id: string }) => u.id), [emp.body.id]);
  const check = await call(h, { path: `/Users?filter=id eq "${emp.body.id}" and manager eq "${boss.body.id}"&attributes=id`, token: org.token });
  assert.equal(check.body.totalResults, 1);
  const self = await call(h, { method: 'PATCH', path: `/Users/${emp.body.id}`, token: org.token, body: patchOp({ op: 'Replace', path: `${ENT}:manager`, value: emp.body.id }) });
  assert.equal(self.status, 400);
  const cleared = await call(h, { method: 'PATCH', path: `/Users/${emp.body.id}`, token: org.token, body: patchOp({ op: 'Remove', path: `${ENT}:manager` }) });
  assert.equal(cleared.body[ENT].manager, undefined);
});

test('PATCH: Entra update, version bumps, no-op PATCH keeps the version', async () => {
  const u = await create(entraUser('patch1@contoso.com'));
  const r = await call(h, {
    method: 'PATCH', path: `/Users/${u.body.id}`, token: org.token,
    body: patchOp(
      { op: 'Replace', path: 'displayName', value: 'Jane Q. Doe' },
      { op: 'Add', path: 'emails[type eq "work"].value', value: 'jq@contoso.com' },
      { op: 'Replace', path: 'name.familyName', value: 'Doe-Smith' },
      { op: 'Add', path: 'phoneNumbers[type eq "work2"].value', value: '+13175550199' },
      { op: 'Add', path: `${ENT}:department`, value: 'Support' },
    ),
  });
  assert.equal(r.status, 200, r.raw);
  assert.equal(r.body.displayName, 'Jane Q. Doe');
  assert.equal(r.body.emails.find((e: { type: string }) => e.type === 'work').value, 'jq@contoso.com');
  assert.equal(r.body.name.familyName, 'Doe-Smith');
  assert.equal(r.body[ENT].department, 'Support');
  assert.equal(r.headers.etag, '"2"');
  const same = await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: org.token, body: patchOp({ op: 'Replace', path: 'displayName', value: 'Jane Q. Doe' }) });
  assert.equal(same.headers.etag, '"2"');
  const empty = await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: org.token, body: patchOp() });
  assert.equal(empty.status, 200);
});

test('the other email and the SCIM external id are read-only through PATCH', async () => {
  const u = await create(entraUser('ro@contoso.com'));
  const a = await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: org.token, body: patchOp({ op: 'Replace', path: 'emails[type eq "other"].value', value: 'x@contoso.com' }) });
  assert.equal(a.status, 400);
  assert.equal(a.body.scimType, 'mutability');
  const b = await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: org.token, body: patchOp({ op: 'Remove', path: `${GEN}:externalIds[authority eq "x-pc:scimv2:v1"]` }) });
  assert.equal(b.status, 400);
  // Changing userName moves the mirror with it.
  const c = await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: org.token, body: patchOp({ op: 'Replace', path: 'userName', value: 'ro2@contoso.com' }) });
  assert.equal(c.status, 200, c.raw);
  assert.equal(c.body.emails.find((e: { type: string }) => e.type === 'other').value, 'ro2@contoso.com');
});

test('Microsoft Teams mappings: settable by PATCH and searchable by filter', async () => {
  const u = await create(entraUser('teams@contoso.com'));
  const r = await call(h, {
    method: 'PATCH', path: `/Users/${u.body.id}`, token: org.token,
    body: patchOp(
      { op: 'Add', path: 'phoneNumbers[type eq "microsoftteams"].value', value: '+13175550111' },
      { op: 'Add', path: `${GEN}:externalIds[authority eq "microsoftteams"].value`, value: 'aad-object-id-1' },
    ),
  });
  assert.equal(r.status, 200, r.raw);
  const f = await call(h, { path: `/Users?filter=${encodeURIComponent(`${GEN}:externalIds[authority eq "microsoftteams" and value eq "aad-object-id-1"]`)}`, token: org.token });
  assert.deepEqual(f.body.Resources.map((x: { id: string }) => x.id), [u.body.id]);
  const scim = await call(h, { path: `/Users?filter=${encodeURIComponent(`${GEN}:externalIds[authority eq "x-pc:scimv2:v1" and value eq "${u.body.externalId}"]`)}`, token: org.token });
  assert.equal(scim.body.totalResults, 1);
  const phone = await call(h, { path: `/Users?filter=${encodeURIComponent('phoneNumbers[type eq "microsoftteams"].value eq "+13175550111"')}`, token: org.token });
  assert.equal(phone.body.totalResults, 1);
});

test('disable with "False", inactive users leave the unfiltered list, active eq false finds them', async () => {
  const u = await create(entraUser('disable@contoso.com'));
  const r = await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: org.token, body: patchOp({ op: 'Replace', path: 'active', value: 'False' }) });
  assert.equal(r.body.active, false);
  const all = await call(h, { path: '/Users?count=1000', token: org.token });
  assert.ok(!all.body.Resources.some((x: { id: string }) => x.id === u.body.id));
  const inactive = await call(h, { path: '/Users?filter=active eq false', token: org.token });
  assert.ok(inactive.body.Resources.some((x: { id: string }) => x.id === u.body.id));
});

test('DELETE: 204, then 404, and the userName is free again', async () => {
  const u = await create(entraUser('gone@contoso.com'));
  assert.equal((await call(h, { method: 'DELETE', path: `/Users/${u.body.id}`, token: org.token })).status, 204);
  assert.equal((await call(h, { path: `/Users/${u.body.id}`, token: org.token })).status, 404);
  assert.equal((await call(h, { method: 'DELETE', path: `/Users/${u.body.id}`, token: org.token })).status, 404);
  assert.equal((await create(entraUser('gone@contoso.com'))).status, 201);
});

test('ETags: If-Match mismatch -> 400 invalidVers, match -> applied; If-None-Match current -> 304', async () => {
  const u = await create(entraUser('etag@contoso.com'));
  const stale = await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: org.token, headers: { 'if-match': '"7"' }, body: patchOp({ op: 'Replace', path: 'title', value: 'X' }) });
  assert.equal(stale.status, 400);
  assert.equal(stale.body.scimType, 'invalidVers');
  const ok = await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: org.token, headers: { 'if-match': 'W/"1"' }, body: patchOp({ op: 'Replace', path: 'title', value: 'X' }) });
  assert.equal(ok.status, 200);
  const notModified = await call(h, { path: `/Users/${u.body.id}`, token: org.token, headers: { 'if-none-match': '"2"' } });
  assert.equal(notModified.status, 304);
  assert.equal(notModified.raw, '');
  const modified = await call(h, { path: `/Users/${u.body.id}`, token: org.token, headers: { 'if-none-match': '"1"' } });
  assert.equal(modified.status, 200);
  const del = await call(h, { method: 'DELETE', path: `/Users/${u.body.id}`, token: org.token, headers: { 'if-match': '"1"' } });
  assert.equal(del.status, 400);
});

test('PUT replaces the user; the division stays when absent', async () => {
  const u = await create(entraUser('put@contoso.com', { title: 'Old' }));
  const r = await call(h, { method: 'PUT', path: `/Users/${u.body.id}`, token: org.token, body: { userName: 'put@contoso.com', displayName: 'Put', active: true } });
  assert.equal(r.status, 200, r.raw);
  assert.equal(r.body.title, undefined);
  assert.equal(r.body.externalId, undefined);
  assert.equal(r.body[ENT].division, 'Home');
});

test('attributes and excludedAttributes on GET and list; pagination', async () => {
  const u = await create(entraUser('proj@contoso.com'));
  const a = await call(h, { path: `/Users/${u.body.id}?attributes=userName`, token: org.token });
  assert.deepEqual(Object.keys(a.body).sort(), ['id', 'meta', 'schemas', 'userName']);
  const e = await call(h, { path: `/Users/${u.body.id}?excludedAttributes=emails,${ENT}`, token: org.token });
  assert.equal(e.body.emails, undefined);
  assert.equal(e.body[ENT], undefined);
  for (let i = 0; i < 7; i++) await create(entraUser(`page${i}@contoso.com`));
  const p1 = await call(h, { path: '/Users?filter=userName sw "page"&startIndex=1&count=3', token: org.token });
  const p3 = await call(h, { path: '/Users?filter=userName sw "page"&startIndex=7&count=3', token: org.token });
  assert.equal(p1.body.totalResults, 7);
  assert.equal(p1.body.itemsPerPage, 3);
  assert.equal(p3.body.startIndex, 7);
  assert.deepEqual(p3.body.Resources.map((x: { userName: string }) => x.userName), ['page6@contoso.com']);
  const totals = await call(h, { path: '/Users?filter=userName sw "page"&count=0', token: org.token });
  assert.deepEqual([totals.body.totalResults, totals.body.Resources.length], [7, 0]);
  const sorted = await call(h, { path: '/Users?filter=userName sw "page"&sortBy=userName&sortOrder=descending&count=2', token: org.token });
  assert.deepEqual(sorted.body.Resources.map((x: { userName: string }) => x.userName), ['page6@contoso.com', 'page5@contoso.com']);
  const inMemory = await call(h, { path: '/Users?filter=emails.value co "work.page"&sortBy=title&count=2&startIndex=2', token: org.token });
  assert.equal(inMemory.body.totalResults, 7);
  assert.equal(inMemory.body.Resources.length, 2);
});

test('filters: quoted and unquoted, case-insensitive userName, invalid filters -> 400 invalidFilter', async () => {
  await create(entraUser('Filter.Me@contoso.com'));
  for (const f of ['userName eq "filter.me@contoso.com"', 'userName eq Filter.Me@contoso.com', 'USERNAME EQ "FILTER.ME@CONTOSO.COM"', 'emails[type eq "work"].value eq "work.Filter.Me@contoso.com"']) {
    const r = await call(h, { path: `/Users?filter=${encodeURIComponent(f)}`, token: org.token });
    assert.equal(r.body.totalResults, 1, f);
  }
  for (const f of ['userName eq', 'nosuch eq "x"', 'userName eq "a" and', '((((']) {
    const r = await call(h, { path: `/Users?filter=${encodeURIComponent(f)}`, token: org.token });
    assert.equal(r.status, 400, f);
    assert.equal(r.body.scimType, 'invalidFilter', f);
  }
});

test('bad input gets SCIM errors, never a 500: JSON, media type, size, ids, bodies', async () => {
  const cases: [Parameters<typeof call>[1], number, string | undefined][] = [
    [{ method: 'POST', path: '/Users', body: '{"userName":', token: org.token }, 400, 'invalidSyntax'],
    [{ method: 'POST', path: '/Users', body: '[]', token: org.token }, 400, 'invalidSyntax'],
    [{ method: 'POST', path: '/Users', body: 'null', token: org.token }, 400, 'invalidSyntax'],
    [{ method: 'POST', path: '/Users', body: '{"__proto__":{"x":1},"userName":"a@b.c","displayName":"A"}', token: org.token }, 400, 'invalidSyntax'],
    [{ method: 'POST', path: '/Users', body: 'userName=x', headers: { 'content-type': 'text/csv' }, token: org.token }, 415, undefined],
    [{ method: 'POST', path: '/Users', body: { userName: 'big@contoso.com', displayName: 'x'.repeat(70 * 1024) }, token: org.token }, 413, undefined],
    [{ method: 'PATCH', path: '/Users/nope', body: patchOp({ op: 'add', path: 'title', value: 'x' }), token: org.token }, 404, undefined],
    [{ method: 'PATCH', path: '/Users/x', body: { Operations: 'no' }, token: org.token }, 400, 'invalidSyntax'],
    [{ path: '/Users?count=abc', token: org.token }, 400, 'invalidValue'],
    [{ path: '/Nowhere', token: org.token }, 404, undefined],
    [{ method: 'POST', path: '/Users', body: '', headers: { 'content-type': 'application/scim+json' }, token: org.token }, 400, 'invalidSyntax'],
  ];
  for (const [c, status, scimType] of cases) {
    const r = await call(h, c);
    assert.equal(r.status, status, `${c.method} ${c.path}: ${r.raw.slice(0, 200)}`);
    assert.deepEqual(r.body?.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'], r.raw.slice(0, 200));
    assert.equal(r.body.scimType, scimType, r.raw.slice(0, 200));
    assert.ok(!/at .*\.ts:\d+/.test(r.raw), 'no stack traces');
  }
});

test('routes are case-insensitive and served under the legacy base too; application/json works', async () => {
  const u = await create(entraUser('paths@contoso.com'));
  for (const path of [`/api/v2/scim/v2/users/${u.body.id}`, `/api/v2/scim/v2/USERS/${u.body.id}`, `/api/v2/scim/Users/${u.body.id}`, `/api/v2/scim/users/${u.body.id}`]) {
    assert.equal((await call(h, { path, token: org.token })).status, 200, path);
  }
  const r = await call(h, { method: 'POST', path: '/api/v2/scim/users', token: org.token, headers: { 'content-type': 'application/json' }, body: entraUser('json@contoso.com') });
  assert.equal(r.status, 201);
});

test('every user route checks its permission', async () => {
  const u = await create(entraUser('perm@contoso.com'));
  const viewOnly = await clientWith(h, org, ['directory:user:view']);
  const nothing = await clientWith(h, org, ['routing:skill:manage']);
  assert.equal((await call(h, { path: `/Users/${u.body.id}`, token: viewOnly })).status, 200);
  assert.equal((await call(h, { path: `/Users/${u.body.id}`, token: nothing })).status, 404);
  assert.equal((await call(h, { path: '/Users', token: nothing })).body.totalResults, 0);
  assert.equal((await create(entraUser('perm2@contoso.com'), viewOnly)).status, 403);
  assert.equal((await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: viewOnly, body: patchOp({ op: 'Replace', path: 'title', value: 'x' }) })).status, 403);
  assert.equal((await call(h, { method: 'PUT', path: `/Users/${u.body.id}`, token: viewOnly, body: { userName: 'perm@contoso.com', displayName: 'P' } })).status, 403);
  assert.equal((await call(h, { method: 'DELETE', path: `/Users/${u.body.id}`, token: viewOnly })).status, 403);
  const editor = await clientWith(h, org, ['directory:user:edit']);
  const pw = await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: editor, body: patchOp({ op: 'Replace', path: 'password', value: 'N3w-passw0rd!' }) });
  assert.equal(pw.status, 403, 'setting a password needs directory:user:setPassword');
  const pwOk = await call(h, { method: 'PATCH', path: `/Users/${u.body.id}`, token: org.token, body: patchOp({ op: 'Replace', path: 'password', value: 'N3w-passw0rd!' }) });
  assert.equal(pwOk.status, 200);
  assert.equal(pwOk.body.password, undefined);
  const row = await h.store.getUser(org.organization.id, u.body.id);
  assert.match(row!.passwordHash!, /^scrypt\$/);
});

test('filters on a user\'s groups match membership (public groups only in the genesys profile)', async () => {
  const inGroup = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('grouped@contoso.com') })).body.id;
  const other = (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('ungrouped@contoso.com') })).body.id;
  const pub = await addGroup(h, org, 'Filter Public');
  const hidden = await addGroup(h, org, 'Filter Hidden', 'members');
  await call(h, { method: 'PATCH', path: `/Groups/${pub}`, token: org.token, body: patchOp({ op: 'add', path: 'members', value: [{ value: inGroup }] }) });
  await h.store.addMembers(hidden, [other]);
  const ids = async (f: string) => ((await call(h, { path: `/Users?count=1000&filter=${encodeURIComponent(f)}`, token: org.token })).body.Resources as { id: string }[]).map((r) => r.id);
  assert.deepEqual(await ids(`groups.value eq "${pub}"`), [inGroup]);
  assert.deepEqual(await ids(`groups[display eq "filter public"]`), [inGroup]);
  assert.deepEqual(await ids(`groups.value eq "${hidden}"`), [], 'a group SCIM cannot see matches nobody');
  const withGroups = await ids('groups pr');
  assert.ok(withGroups.includes(inGroup) && !withGroups.includes(other));
  const without = await ids('not (groups pr)');
  assert.ok(without.includes(other) && !without.includes(inGroup), 'not (...) is the complement, not everyone');
});
