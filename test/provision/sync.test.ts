// End to end: a Graph-shaped directory of 300 users and 2 groups synced into a real Scimitar
// server started by the test, then changed and synced again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addGroup, call, createOrg, entraUser, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { compileMappings, loadMappings, MappingError } from '../../src/provision/mappings.ts';
import { ScimClient } from '../../src/provision/scim-client.ts';
import type { Directory } from '../../src/provision/source.ts';
import { readDirectory } from '../../src/provision/source.ts';
import { emptyState, ESCROW_BASE_MS, runSync, type SyncState } from '../../src/provision/sync.ts';
import { StateStore } from '../../src/provision/state.ts';
import { htmlReport } from '../../src/provision/report.ts';

let h: Harness;
let org: Org;
let url: string;
let dir: string;
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function graphUsers(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `src-${i}`,
    userPrincipalName: `person${i}@contoso.com`,
    displayName: `Person ${i}`,
    jobTitle: 'Agent',
    mail: `person${i}.mail@contoso.com`,
    department: i % 2 ? 'Sales' : 'Support',
    telephoneNumber: `+1 317 555 ${String(1000 + i)}`,
    // Managers point both ways: some are created later in the same cycle (second pass).
    ...(i > 0 ? { manager: { id: `src-${i % 10 === 0 ? i + 1 : i - 1}` } } : {}),
  }));
}

function directoryFrom(users: Record<string, unknown>[], groups: { id: string; displayName: string; members: { id: string }[] }[]): Directory {
  const f = join(dir, `u-${Math.random()}.json`);
  const g = join(dir, `g-${Math.random()}.json`);
  writeFileSync(f, JSON.stringify({ value: users }));
  writeFileSync(g, JSON.stringify({ value: groups }));
  return readDirectory({ users: f, groups: g });
}

const sync = (directory: Directory, state: SyncState, extra: Partial<Parameters<typeof runSync>[0]> = {}) => {
  const client = new ScimClient({ baseUrl: url, token: org.token, dryRun: extra.dryRun ?? false });
  return runSync({ client, mappings: compileMappings({}), directory, scope: { mode: 'all' }, profile: 'entra', dryRun: false, clearEmpty: false, deprovision: 'delete', concurrency: 8, state, ...extra });
};

const target = async (userName: string) => {
  const r = await fetch(`${url}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, { headers: { authorization: `Bearer ${org.token}` } });
  return ((await r.json()) as { Resources: Record<string, any>[] }).Resources[0]; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the server
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scimitar-sync-'));
  h = await startHarness();
  org = await createOrg(h);
  await addGroup(h, org, 'Engineering');
  await addGroup(h, org, 'Sales');
  url = `${await h.app.listen({ port: 0, host: '127.0.0.1' })}/api/v2/scim/v2`;
});
after(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

test('initial cycle creates everyone, resolves managers, fills groups; a second cycle sends nothing; changes send only the changes', async () => {
  const users = graphUsers(300);
  const groups = [
    { id: 'grp-eng', displayName: 'Engineering', members: users.slice(0, 150).map((u) => ({ id: u.id as string })) },
    { id: 'grp-sales', displayName: 'sales', members: users.slice(150, 300).map((u) => ({ id: u.id as string })) },
  ];
  const state = emptyState();
  const first = await sync(directoryFrom(users, groups), state);
  assert.equal(first.summary.create, 300, JSON.stringify(first.objects.filter((o) => o.action === 'fail').slice(0, 3)));
  assert.equal(first.summary.fail, 0);
  const p5 = await target('person5@contoso.com');
  assert.equal(p5.title, 'Agent');
  assert.equal(p5.phoneNumbers[0].value, '+13175551005');
  assert.equal(p5.emails.find((e: { type: string }) => e.type === 'work').value, 'person5.mail@contoso.com');
  const p4 = await target('person4@contoso.com');
  assert.equal(p5[ENT].manager.value, p4.id);
  const p11 = await target('person11@contoso.com');
  const p10 = await target('person10@contoso.com');
  assert.equal(p10[ENT].manager.value, p11.id, 'a manager created later in the cycle is set in the second pass');
  const eng = first.objects.find((o) => o.kind === 'group' && o.name === 'Engineering')!;
  const g = await (await fetch(`${url}/Groups/${eng.targetId}`, { headers: { authorization: `Bearer ${org.token}` } })).json() as { members: unknown[] };
  assert.equal(g.members.length, 150);

  const second = await sync(directoryFrom(users, groups), state);
  assert.equal(second.summary.requests, 0, 'nothing changed: nothing sent');
  assert.equal(second.summary.skip, 302);

  // Changes in the source.
  const changed = users.map((u) => ({ ...u }));
  for (const i of [1, 2, 3]) changed[i].jobTitle = 'Lead';
  changed[7].IsSoftDeleted = true;
  changed[8].manager = { id: 'src-20' };
  changed.splice(299, 1); // hard-deleted
  const groups2 = [{ ...groups[0], members: groups[0].members.filter((m) => m.id !== 'src-0') }, { ...groups[1], members: groups[1].members.filter((m) => m.id !== 'src-299') }];
  const third = await sync(directoryFrom(changed, groups2), state);
  const actions = Object.fromEntries(third.objects.filter((o) => o.action !== 'skip').map((o) => [o.name, o.action]));
  assert.deepEqual(actions, {
    'person1@contoso.com': 'update', 'person2@contoso.com': 'update', 'person3@contoso.com': 'update',
    'person7@contoso.com': 'disable', 'person8@contoso.com': 'update', 'src-299': 'delete', Engineering: 'update', sales: 'update',
  });
  const upd = third.objects.find((o) => o.name === 'person1@contoso.com')!;
  assert.deepEqual(upd.changes, [{ path: 'title', before: 'Agent', after: 'Lead' }], 'only the changed attribute is sent');
  assert.equal((await target('person1@contoso.com')).title, 'Lead');
  assert.equal((await target('person7@contoso.com')).active, false);
  assert.equal((await target('person8@contoso.com'))[ENT].manager.value, (await target('person20@contoso.com')).id);
  assert.equal(await target('person299@contoso.com'), undefined);
  // 3 title edits + 1 disable + 1 manager: GET+PATCH each; 1 DELETE; 2 group PATCHes.
  assert.ok(third.summary.requests <= 13, `requests: ${third.summary.requests}`);
  // The target's audit trail confirms each PATCH carried only the change.
  const audit = await h.store.queryAudits(org.organization.id, { resourceId: upd.targetId, limit: 10 });
  assert.deepEqual(Object.keys(audit.entities[audit.entities.length - 1].changes), ['title']);
});

test('dry run writes nothing and reports what it would do; --only pilots a few users', async () => {
  const users = graphUsers(5).map((u) => ({ ...u, id: `dry-${u.id}`, userPrincipalName: `dry.${u.userPrincipalName}` }));
  const dirDry = directoryFrom(users.map((u, i) => ({ ...u, manager: i ? { id: `dry-src-${i - 1}` } : undefined })), []);
  const before = (await h.store.queryUsers(org.organization.id, { matches: () => true, startIndex: 1, count: 0, activeOnly: false })).total;
  const report = await sync(dirDry, emptyState(), { dryRun: true });
  assert.equal(report.summary.create, 5);
  assert.equal(report.summary.writes, 0);
  assert.equal((await h.store.queryUsers(org.organization.id, { matches: () => true, startIndex: 1, count: 0, activeOnly: false })).total, before);
  assert.match(htmlReport(report), /dry run \(nothing was written\)/);
  const pilot = await sync(dirDry, emptyState(), { only: ['dry.person2@contoso.com'] });
  assert.deepEqual(pilot.objects.map((o) => [o.name, o.action]), [['dry.person2@contoso.com', 'create']]);
});

test('a pilot test predicts: against a validating target the dry run\'s failures are the real run\'s, object for object', async () => {
  const users: Record<string, unknown>[] = graphUsers(8).map((u, i) => ({ ...u, id: `pt-${u.id}`, userPrincipalName: `pt.${u.userPrincipalName}`, manager: i > 0 ? { id: `pt-src-${i - 1}` } : undefined }));
  users.push({ id: 'pt-phone', userPrincipalName: 'pt.dave@contoso.com', displayName: 'Dave', telephoneNumber: '317-555-0104' });
  users.push({ id: 'pt-upn', userPrincipalName: 'not an email', displayName: 'No Email' });
  const d = directoryFrom(users, [
    { id: 'pt-g1', displayName: 'Pilot Sales', members: [{ id: 'pt-src-1' }, { id: 'pt-src-2' }] },
    { id: 'pt-g2', displayName: 'Team Nobody Made', members: [{ id: 'pt-src-3' }] },
  ]);
  const failures = (r: Awaited<ReturnType<typeof sync>>) =>
    Object.fromEntries(r.objects.filter((o) => o.action === 'fail' || o.errors.length > 0).map((o) => [`${o.kind} ${o.name}`, o.errors.join('; ').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>')]));
  await addGroup(h, org, 'Pilot Sales');
  const client = new ScimClient({ baseUrl: url, token: org.token, dryRun: true });
  const pilot = await runSync({ client, mappings: compileMappings({}), directory: d, scope: { mode: 'all' }, profile: 'entra', dryRun: true, clearEmpty: false, deprovision: 'disable', concurrency: 4, state: emptyState() });
  assert.equal(client.validating, true, 'Scimitar advertises validate-only');
  assert.ok(client.validated > 0 && pilot.summary.writes === 0, 'writes were validated, none made');
  assert.equal(await target('pt.person0@contoso.com'), undefined, 'the pilot created nobody');
  const predicted = failures(pilot);
  assert.deepEqual(Object.keys(predicted).sort(), ['group Team Nobody Made', 'user not an email', 'user pt.dave@contoso.com'], JSON.stringify(predicted));
  assert.match(predicted['user pt.dave@contoso.com'], /317-555-0104.*E\.164/);
  const real = await sync(d, emptyState(), { deprovision: 'disable' });
  assert.deepEqual(failures(real), predicted);
  assert.equal(real.summary.create, pilot.summary.create);
  assert.equal((await target('pt.person3@contoso.com')).active, true);
  // Reports name people: managers and members by userPrincipalName, in the pilot and the real run.
  for (const report of [pilot, real]) {
    const person2 = report.objects.find((o) => o.name === 'pt.person2@contoso.com')!;
    assert.deepEqual(person2.changes.find((c) => c.path.endsWith(':manager'))?.after, 'pt.person1@contoso.com', JSON.stringify(person2.changes));
    const sales = report.objects.find((o) => o.kind === 'group' && o.name === 'Pilot Sales')!;
    assert.deepEqual([...(sales.changes.find((c) => c.path === 'members')?.after as string[])].sort(), ['pt.person1@contoso.com', 'pt.person2@contoso.com']);
    const html = htmlReport(report);
    assert.ok(html.indexOf('Failures (3)') < html.indexOf('<summary><b>Created'), 'failures first');
    const refs = JSON.stringify(report.objects.map((o) => o.changes.filter((c) => c.path === 'members' || c.path.endsWith(':manager'))));
    assert.ok(!/dry-run-\d|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.test(refs), `no ids in reference changes: ${refs}`);
  }
});

test('safe deprovisioning: out of scope and deleted-from-source users are disabled by default, once; back in scope, enabled again', async () => {
  const users = graphUsers(6).map((u) => ({ ...u, id: `dp-${u.id}`, userPrincipalName: `dp.${u.userPrincipalName}`, manager: undefined }));
  const state = emptyState();
  const all = directoryFrom(users, []);
  assert.equal((await sync(all, state, { deprovision: 'disable' })).summary.create, 6);
  // dp-src-0 leaves the source; dp-src-1 leaves the scope (assigned mode without it).
  const fewer = directoryFrom(users.slice(1), []);
  const scope = { mode: 'assigned' as const, assigned: users.slice(2).map((u) => String(u.userPrincipalName)) };
  const dry = await sync(fewer, structuredClone(state), { deprovision: 'disable', scope, dryRun: true });
  assert.deepEqual(dry.objects.filter((o) => o.action !== 'skip').map((o) => [o.name, o.action]).sort(), [['dp-src-0', 'disable'], ['dp.person1@contoso.com', 'disable']], 'the pilot predicts disables, not deletes');
  const real = await sync(fewer, state, { deprovision: 'disable', scope });
  assert.equal(real.summary.disable, 2);
  assert.equal(real.summary.delete, 0);
  assert.equal((await target('dp.person0@contoso.com')).active, false);
  assert.equal((await target('dp.person1@contoso.com')).active, false);
  const again = await sync(fewer, state, { deprovision: 'disable', scope });
  assert.equal(again.summary.writes, 0, 'a disabled user is not disabled again every cycle');
  // Back in scope: enabled again.
  const back = await sync(fewer, state, { deprovision: 'disable' });
  assert.equal(back.objects.find((o) => o.name === 'dp.person1@contoso.com')?.action, 'update');
  assert.equal((await target('dp.person1@contoso.com')).active, true);
  // deprovision=delete removes the user deleted from the source only.
  const del = await sync(fewer, state, { deprovision: 'delete' });
  assert.deepEqual(del.objects.filter((o) => o.action === 'delete').map((o) => o.sourceId), ['dp-src-0']);
  assert.equal(await target('dp.person0@contoso.com'), undefined);
});

test('the accidental-deletion threshold: a cycle over it writes nothing and says why; --allow-deletions lets it run', async () => {
  const users = graphUsers(12).map((u) => ({ ...u, id: `th-${u.id}`, userPrincipalName: `th.${u.userPrincipalName}`, manager: undefined }));
  const state = emptyState();
  await sync(directoryFrom(users, []), state, { deprovision: 'disable' });
  const empty = directoryFrom([], []);
  const stopped = await sync(empty, state, { deprovision: 'delete', deletionThreshold: { count: 10 } });
  assert.match(stopped.stopped!, /would disable or delete 12 users, more than the threshold of 10: nothing was written.*--allow-deletions 12/);
  assert.equal(stopped.summary.requests, 0, 'not a single request');
  assert.equal(stopped.objects.length, 12);
  assert.equal((await target('th.person3@contoso.com')).active, true);
  const byPercent = await sync(directoryFrom(users.slice(0, 6), []), state, { deprovision: 'disable', deletionThreshold: { count: 500, percent: 30 } });
  assert.match(byPercent.stopped!, /more than 30% of the \d+ provisioned users/);
  const allowed = await sync(empty, state, { deprovision: 'delete', deletionThreshold: { count: 10, allow: 12 } });
  assert.equal(allowed.stopped, undefined);
  assert.equal(allowed.summary.delete, 12);
  assert.equal(await target('th.person3@contoso.com'), undefined);
});

test('a bad source record is reported and skipped; one failing user does not stop the cycle', async () => {
  const users: Record<string, unknown>[] = [{ userPrincipalName: 'noid@contoso.com' }, { id: 'bad-1', userPrincipalName: 'not an email', displayName: 'X' }, { id: 'ok-1', userPrincipalName: 'ok1@contoso.com', displayName: 'OK' }];
  const report = await sync(directoryFrom(users, []), emptyState());
  assert.equal(report.problems.length, 1);
  assert.match(report.problems[0].reason, /id/);
  const bad = report.objects.find((o) => o.sourceId === 'bad-1')!;
  assert.equal(bad.action, 'fail');
  assert.match(bad.errors[0], /400 invalidValue: userName/);
  assert.equal(report.objects.find((o) => o.sourceId === 'ok-1')!.action, 'create');
});

test('scoping: assigned users (directly or through an assigned group) and scoping filters', async () => {
  const users = graphUsers(6).map((u) => ({ ...u, id: `sc-${u.id}`, userPrincipalName: `sc.${u.userPrincipalName}`, manager: undefined }));
  const d = directoryFrom(users, [{ id: 'sc-grp', displayName: 'Engineering', members: [{ id: 'sc-src-3' }] }]);
  const report = await sync(d, emptyState(), {
    scope: { mode: 'assigned', assigned: ['sc.person1@contoso.com', 'sc-src-2', 'sc-grp', 'sc-src-5'], filters: [{ clauses: [{ attribute: 'department', operator: 'EQUALS', value: 'Sales' }] }] },
  });
  const created = report.objects.filter((o) => o.kind === 'user' && o.action === 'create').map((o) => o.name).sort();
  assert.deepEqual(created, ['sc.person1@contoso.com', 'sc.person3@contoso.com', 'sc.person5@contoso.com']);
  assert.equal(report.objects.find((o) => o.name === 'sc.person2@contoso.com')?.reason, 'no scoping filter matches');
  assert.equal(report.objects.find((o) => o.name === 'sc.person0@contoso.com')?.reason, 'not assigned to the app');
});

test('the SCIM client honours Retry-After on 429 and retries 5xx', async () => {
  let calls = 0;
  const server = createServer((req, res) => {
    calls++;
    if (calls === 1) {
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/scim+json' }).end('{"status":"429"}');
    } else if (calls === 2) {
      res.writeHead(503).end();
    } else res.writeHead(200, { 'content-type': 'application/scim+json' }).end('{"totalResults":0,"Resources":[]}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as { port: number }).port;
    const c = new ScimClient({ baseUrl: `http://127.0.0.1:${port}`, token: 't', dryRun: false, backoffMs: 10 });
    const t0 = Date.now();
    const r = await c.request('GET', '/Users');
    assert.equal(r.status, 200);
    assert.equal(calls, 3);
    assert.ok(Date.now() - t0 >= 1000, 'waited for Retry-After');
  } finally {
    server.close();
  }
});

test('a dry run learns validate-only from the target\'s answer: a target that ignores the preference gets one harmless probe and no write; one that stops honouring it stops the run', async () => {
  const seen: string[] = [];
  let honour = false;
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const headers: Record<string, string> = { 'content-type': 'application/scim+json' };
    if (honour && req.headers.prefer === 'validate-only') headers['preference-applied'] = 'validate-only';
    if (req.method === 'DELETE') res.writeHead(404, headers).end('{"status":"404"}');
    else if (req.method === 'POST') res.writeHead(201, headers).end('{"id":"made-for-real"}');
    else res.writeHead(200, headers).end('{"totalResults":0,"Resources":[]}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const plain = new ScimClient({ baseUrl, token: 't', dryRun: true });
    await plain.discover();
    assert.equal(plain.validating, false);
    assert.equal(seen.length, 1);
    assert.match(seen[0], /^DELETE \/Users\/[0-9a-f-]{36}$/, 'the probe deletes an id nobody has');
    const r = await plain.request('POST', '/Users', { userName: 'x@contoso.com' });
    assert.match(r.body.id, /^dry-run-/);
    assert.equal(seen.length, 1, 'no write reached a target that does not validate');
    assert.equal(plain.writes + plain.validated, 0);

    honour = true;
    const validating = new ScimClient({ baseUrl, token: 't', dryRun: true });
    await validating.discover();
    assert.equal(validating.validating, true);
    assert.equal((await validating.request('POST', '/Users', { userName: 'y@contoso.com' })).status, 201);
    assert.equal(validating.validated, 1, 'the probe is not counted as a validation');
    honour = false;
    await assert.rejects(validating.request('PATCH', '/Users/u1', { Operations: [] }), /without Preference-Applied: validate-only.*dry run stopped/);
  } finally {
    server.close();
  }
});

test('a malformed mapping file fails before any request, with file, line and position', () => {
  const f = join(dir, 'bad-mappings.json');
  writeFileSync(f, '{\n  "users": [\n    {"target": "userName", "source": {"type": "direct", "attribute": "userPrincipalName"}, "match": 1},\n    {"target": "title", "source": {"type": "expression", "expression": "Join(\\",\\", [a]"}}\n  ]\n}\n');
  assert.throws(() => loadMappings(f), (e: unknown) => e instanceof MappingError && e.message.startsWith(`${f}:4:`) && /users\[1\].*Expected "," or "\)".*position/.test(e.message));
  writeFileSync(f, '{"users": [{"target": "emails[type eq \\"work\\"", "source": {"type": "constant", "value": "x"}}]}');
  assert.throws(() => loadMappings(f), /users\[0\]: target/);
});

test('an existing target group: members the engine did not provision stay; it manages only its own', async () => {
  const groupId = await addGroup(h, org, 'Night Shift');
  const manual = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('manual.member@contoso.com') });
  assert.equal(manual.status, 201);
  const manualId = (manual.body as { id: string }).id;
  assert.equal((await call(h, { method: 'PATCH', path: `/Groups/${groupId}`, token: org.token, body: patchOp({ op: 'add', path: 'members', value: [{ value: manualId }] }) })).status, 204);
  const users = [{ id: 'ns-1', userPrincipalName: 'night.one@contoso.com', displayName: 'Night One' }, { id: 'ns-2', userPrincipalName: 'night.two@contoso.com', displayName: 'Night Two' }];
  const state = emptyState();
  const members = async () => ((await call(h, { path: `/Groups/${groupId}`, token: org.token })).body as { members?: { value: string }[] }).members?.map((m) => m.value).sort() ?? [];
  const first = await sync(directoryFrom(users, [{ id: 'grp-ns', displayName: 'Night Shift', members: [{ id: 'ns-1' }, { id: 'ns-2' }] }]), state);
  assert.equal(first.summary.fail, 0);
  assert.deepEqual(await members(), [manualId, state.users['ns-1'].targetId, state.users['ns-2'].targetId].sort());
  // ns-2 leaves the source group: only it is removed; the manual member stays.
  await sync(directoryFrom(users, [{ id: 'grp-ns', displayName: 'Night Shift', members: [{ id: 'ns-1' }] }]), state);
  assert.deepEqual(await members(), [manualId, state.users['ns-1'].targetId].sort());
  // A fresh state (first sight again) with the group emptied in the source: still only its own go.
  const fresh = emptyState();
  fresh.users = { ...state.users };
  await sync(directoryFrom(users, [{ id: 'grp-ns', displayName: 'Night Shift', members: [] }]), fresh);
  assert.deepEqual(await members(), [manualId]);
});

test('a large group is filled in PATCHes of at most 1,000 members, and every member lands', async () => {
  const users = Array.from({ length: 2100 }, (_, i) => ({ id: `big-${i}`, userPrincipalName: `big${i}@contoso.com`, displayName: `Big ${i}` }));
  const groupId = await addGroup(h, org, 'Everyone');
  const client = new ScimClient({ baseUrl: url, token: org.token, dryRun: false });
  const sent: number[] = [];
  const request = client.request.bind(client);
  client.request = (async (method: string, path: string, body?: unknown) => {
    if (method === 'PATCH' && path.startsWith('/Groups/')) sent.push(...((body as { Operations: { value: unknown[] }[] }).Operations.map((o) => o.value.length)));
    return request(method as never, path, body);
  }) as typeof client.request;
  const state = emptyState();
  const r = await runSync({ client, mappings: compileMappings({}), directory: directoryFrom(users, [{ id: 'grp-all', displayName: 'Everyone', members: users.map((u) => ({ id: u.id })) }]), scope: { mode: 'all' }, profile: 'entra', dryRun: false, clearEmpty: false, deprovision: 'none', concurrency: 8, state });
  assert.equal(r.summary.fail, 0, JSON.stringify(r.objects.filter((o) => o.errors.length).slice(0, 2)));
  assert.deepEqual(sent, [1000, 1000, 100]);
  const count = ((await call(h, { path: `/Groups?filter=${encodeURIComponent(`id eq "${groupId}"`)}&attributes=members`, token: org.token })).body as { Resources: { members: unknown[] }[] }).Resources[0].members.length;
  assert.equal(count, 2100);
});

test('a manager reference the engine has to drop counts as a failure and names the manager', async () => {
  const d = directoryFrom([
    { id: 'mgr-out', userPrincipalName: 'dropped.manager@contoso.com', displayName: 'Manager' },
    { id: 'rep-in', userPrincipalName: 'kept.report@contoso.com', displayName: 'Report', manager: { id: 'mgr-out' } },
  ], []);
  // The pilot provisions the report only: its manager is not provisioned.
  const report = await sync(d, emptyState(), { only: ['kept.report@contoso.com'] });
  const rep = report.objects.find((o) => o.name === 'kept.report@contoso.com')!;
  assert.match(rep.errors.join(';'), /manager dropped\.manager@contoso\.com is not provisioned .*dropped/);
  assert.equal(report.summary.fail, 1, 'counted as failed, not as a clean create');
  assert.equal(report.summary.create, 0);
});

test('a create that keeps failing is escrowed: retried with backoff across cycles, at once on demand, kept in the state file', async () => {
  const bad = { id: 'esc-1', userPrincipalName: 'escrowed@contoso.com', displayName: 'Escrowed', telephoneNumber: 'not a phone' };
  const path = join(dir, `escrow-${Date.now()}.db`);
  const store = StateStore.open(path);
  const state = store.load();
  const first = await sync(directoryFrom([bad], []), state, { journal: store });
  assert.equal(first.summary.fail, 1);
  assert.equal(state.escrow?.['esc-1']?.failures, 1);
  const waitMs = Date.parse(state.escrow!['esc-1'].nextAttempt) - Date.now();
  assert.ok(waitMs > ESCROW_BASE_MS - 60_000 && waitMs <= ESCROW_BASE_MS, `next attempt in about ${ESCROW_BASE_MS / 60_000} min (${waitMs} ms)`);
  // The next cycle does not try again: no create is sent.
  const client = new ScimClient({ baseUrl: url, token: org.token, dryRun: false });
  const second = await runSync({ client, mappings: compileMappings({}), directory: directoryFrom([bad], []), scope: { mode: 'all' }, profile: 'entra', dryRun: false, clearEmpty: false, deprovision: 'delete', concurrency: 8, state, journal: store });
  assert.equal(client.writes, 0, 'no create sent');
  assert.match(second.objects[0].reason ?? '', /escrowed after 1 failed create .*next attempt at/);
  // Kept in the state file.
  store.close();
  const again = StateStore.open(path);
  const reloaded = again.load();
  assert.equal(reloaded.escrow?.['esc-1']?.failures, 1);
  // On demand it tries at once; fixed in the source, it is created and leaves escrow.
  const fixed = { ...bad, telephoneNumber: '+13175550100' };
  const pod = await sync(directoryFrom([fixed], []), reloaded, { journal: again, only: ['escrowed@contoso.com'] });
  assert.equal(pod.summary.create, 1);
  assert.equal(reloaded.escrow?.['esc-1'], undefined);
  assert.equal(again.load().escrow?.['esc-1'], undefined);
  again.close();
});
