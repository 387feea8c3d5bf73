// Large membership changes: validated before anything is written, applied in batches that
// each commit (and audit) on their own, with every member landing exactly once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { addGroup, call, createOrg, insertUsers, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { batchMemberOps, MEMBER_BATCH } from '../../src/directory/group-members.ts';

let h: Harness;
let org: Org;
const ids: string[] = [];
const N = MEMBER_BATCH * 2 + 500;
before(async () => {
  h = await startHarness({ bodyLimitBytes: 8 << 20 });
  org = await createOrg(h);
  ids.push(...(await insertUsers(h, org, N, 'm')));
});
after(() => h.close());

const members = async (g: string) => ((await call(h, { path: `/Groups/${g}`, token: org.token })).body.members ?? []).length;
const audits = async (g: string) => (await h.store.queryAudits(org.organization.id, { resourceId: g, limit: 100 })).entities;

test('batches keep order and never exceed the batch size', () => {
  const b = batchMemberOps([{ kind: 'clear' }, { kind: 'add', ids: ids.slice(0, N) }, { kind: 'remove', ids: ids.slice(0, 10) }]);
  assert.equal(b.length, 3);
  assert.deepEqual(b[0][0], { kind: 'clear' });
  for (const batch of b) assert.ok(batch.reduce((n, op) => n + ('ids' in op ? op.ids.length : 0), 0) <= MEMBER_BATCH);
  assert.deepEqual(b.flat().filter((op) => op.kind === 'add').flatMap((op) => ('ids' in op ? op.ids : [])), ids.slice(0, N));
  assert.equal(b[2][b[2].length - 1].kind, 'remove');
});

test('a large add lands whole, batch by batch, one audit record per batch', async () => {
  const g = await addGroup(h, org, `Large ${randomUUID()}`);
  const r = await call(h, { method: 'PATCH', path: `/Groups/${g}`, token: org.token, body: patchOp({ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }) });
  assert.equal(r.status, 204, r.raw);
  assert.equal(await members(g), N);
  const records = await audits(g);
  assert.equal(records.length, Math.ceil(N / MEMBER_BATCH));
  assert.equal(records.flatMap((a) => (a.changes['members.added']?.after as string[]) ?? []).length, N);
  assert.equal(r.headers.etag, `"${1 + records.length}"`, 'the version moved once per batch');
});

test('a large request with one unknown member writes nothing', async () => {
  const g = await addGroup(h, org, `Refused ${randomUUID()}`);
  const value = [...ids, randomUUID()].map((v) => ({ value: v }));
  const r = await call(h, { method: 'PATCH', path: `/Groups/${g}`, token: org.token, body: patchOp({ op: 'add', path: 'members', value }) });
  assert.equal(r.status, 400);
  assert.match(r.body.detail, /unknown/);
  assert.equal(await members(g), 0);
  assert.deepEqual(await audits(g), []);
});

test('a large replace leaves exactly the new members', async () => {
  const g = await addGroup(h, org, `Replaced ${randomUUID()}`);
  await call(h, { method: 'PATCH', path: `/Groups/${g}`, token: org.token, body: patchOp({ op: 'add', path: 'members', value: ids.slice(0, 10).map((value) => ({ value })) }) });
  const next = ids.slice(5);
  const r = await call(h, { method: 'PATCH', path: `/Groups/${g}`, token: org.token, body: patchOp({ op: 'replace', path: 'members', value: next.map((value) => ({ value })) }) });
  assert.equal(r.status, 204);
  const got = ((await call(h, { path: `/Groups/${g}`, token: org.token })).body.members as { value: string }[]).map((m) => m.value).sort();
  assert.deepEqual(got, [...next].sort());
});
