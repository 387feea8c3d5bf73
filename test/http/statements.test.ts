// Statements per request for Entra's traffic, counted by the store's own instrumentation on
// both dialects: a regression that adds a read-back or a lookup fails here, whatever the
// machine's speed (speed itself lives in the bench).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addDivision, addGroup, call, createOrg, ENT, entraUser, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';

for (const { name: dialect, skip } of DIALECTS) {
  describe(`statements per request: ${dialect}`, { skip }, () => {
    let h: Harness;
    let org: Org;
    before(async () => {
      h = await startHarness({ dialect, tokenCacheTtlMs: 600_000 });
      org = await createOrg(h);
      await addDivision(h, org, 'Sales');
    });
    after(() => h.close());

    const count = (text: string, kind: 'read' | 'write') => {
      const line = text.split('\n').find((l) => l.startsWith('scimitar_db_query_duration_seconds_count{') && l.includes(`kind="${kind}"`));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    /**
     * Reads and writes the store ran for one request (the token already cached), and the
     * transactions it opened: on PostgreSQL a statement outside a transaction is one round
     * trip, a transaction adds BEGIN and COMMIT.
     */
    const statements = async (c: Parameters<typeof call>[1]) => {
      // The request log writes on a timer, off the request path: written out before counting.
      await h.app.requestLog.flush();
      const before = await h.app.metrics.registry.metrics();
      const tx = h.store.commitStats().transactions;
      const res = await call(h, c);
      const after = await h.app.metrics.registry.metrics();
      return {
        status: res.status, body: res.body, reads: count(after, 'read') - count(before, 'read'), writes: count(after, 'write') - count(before, 'write'),
        transactions: h.store.commitStats().transactions - tx,
      };
    };
    // A user and its audit row: one statement on PostgreSQL (a writable CTE), two in one
    // group-committed transaction on SQLite.
    const userWrite = dialect === 'postgres' ? { writes: 1, transactions: 0 } : { writes: 2, transactions: 1 };
    const shape = (r: { reads: number; writes: number; transactions: number }) => ({ reads: r.reads, writes: r.writes, transactions: r.transactions });

    test("Entra's match, GET, create and PATCH", async () => {
      await call(h, { path: '/Users?count=1', token: org.token }); // the token's first use is cached from here on
      const boss = await statements({ method: 'POST', path: '/Users', token: org.token, body: entraUser('boss@contoso.com', { [ENT]: { division: 'Sales' } }) });
      assert.equal(boss.status, 201);
      assert.deepEqual(shape(boss), { reads: 1, ...userWrite }, 'create: the division by name; the user and its audit row');
      const bossId = (boss.body as { id: string }).id;
      const created = await statements({ method: 'POST', path: '/Users', token: org.token, body: entraUser('stmt@contoso.com', { [ENT]: { division: 'Sales', manager: { value: bossId } } }) });
      assert.equal(created.status, 201);
      assert.deepEqual(shape(created), { reads: 1, ...userWrite }, 'create with a manager: the division and the manager looked up in one statement');
      assert.equal((created.body as Record<string, { manager: { displayName: string }; division: string }>)[ENT].manager.displayName, 'boss');
      assert.equal((created.body as Record<string, { division: string }>)[ENT].division, 'Sales');
      const id = (created.body as { id: string }).id;
      const group = await addGroup(h, org, 'Stmt group');
      await call(h, { method: 'PATCH', path: `/Groups/${group}`, token: org.token, body: patchOp({ op: 'add', path: 'members', value: [{ value: id }] }) });

      const match = await statements({ path: `/Users?filter=${encodeURIComponent('userName eq "stmt@contoso.com"')}`, token: org.token });
      assert.equal((match.body as { Resources: { groups: unknown[] }[] }).Resources[0].groups.length, 1);
      assert.deepEqual(shape(match), { reads: 1, writes: 0, transactions: 0 }, 'match: the user with its groups in one statement');

      const get = await statements({ path: `/Users/${id}`, token: org.token });
      assert.equal((get.body as { groups: { display: string }[] }).groups[0].display, 'Stmt group');
      assert.deepEqual(shape(get), { reads: 1, writes: 0, transactions: 0 }, 'GET: one statement');

      const patched = await statements({ method: 'PATCH', path: `/Users/${id}`, token: org.token, body: patchOp({ op: 'replace', path: 'title', value: 'Lead' }) });
      assert.equal(patched.status, 200);
      assert.equal((patched.body as { groups: unknown[] }).groups.length, 1, 'the answer shows the groups read with the user');
      assert.equal((patched.body as Record<string, { manager: { displayName: string } }>)[ENT].manager.displayName, 'boss');
      assert.deepEqual(shape(patched), { reads: 1, ...userWrite }, 'PATCH: the user (its division and manager need no lookup); the update and its audit row');

      // Entra's membership PATCH: the member looked up, then one write that finds the group
      // itself (the member row, the version and the audit row: one statement on PostgreSQL; on
      // SQLite the row if the group is there, the version and the audit row in one transaction).
      const other = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser('member@contoso.com') });
      const add = await statements({ method: 'PATCH', path: `/Groups/${group}`, token: org.token, body: patchOp({ op: 'add', path: 'members', value: [{ value: (other.body as { id: string }).id }] }) });
      assert.equal(add.status, 204);
      assert.deepEqual(shape(add), dialect === 'postgres' ? { reads: 1, writes: 1, transactions: 0 } : { reads: 1, writes: 3, transactions: 1 }, 'member add');
      const remove = await statements({ method: 'PATCH', path: `/Groups/${group}`, token: org.token, body: patchOp({ op: 'remove', path: 'members', value: [{ value: (other.body as { id: string }).id }] }) });
      assert.equal(remove.status, 204);
      assert.deepEqual(shape(remove), { ...shape(add), reads: add.reads - 1 }, 'member remove: the same, without the member lookup (a caller in every division removes by id)');
      const members = await call(h, { path: `/Groups/${group}`, token: org.token });
      assert.deepEqual((members.body as { members: { value: string }[] }).members.map((m) => m.value), [id], 'the add and the remove both landed');
      assert.equal((members.body as { meta: { version: string } }).meta.version, '"4"', 'each moved the version once');

      const total = (await call(h, { path: '/Users?count=0', token: org.token })).body as { totalResults: number };
      assert.ok(total.totalResults >= 3);
      const page = await statements({ path: '/Users?startIndex=2&count=2', token: org.token });
      assert.equal(page.status, 200);
      assert.deepEqual(shape(page), { reads: 1, writes: 0, transactions: 0 }, 'a page: the rows with their groups and the kept count in one statement');
      assert.equal((page.body as { totalResults: number }).totalResults, total.totalResults);
      assert.equal((page.body as { Resources: unknown[] }).Resources.length, 2);
      const beyond = await statements({ path: '/Users?startIndex=1000&count=2', token: org.token });
      assert.deepEqual(shape(beyond), { reads: 2, writes: 0, transactions: 0 }, 'past the end: no rows to carry the count, so it is read alone');
      assert.deepEqual([(beyond.body as { totalResults: number }).totalResults, (beyond.body as { Resources: unknown[] }).Resources.length], [total.totalResults, 0]);
    });
  });
}
