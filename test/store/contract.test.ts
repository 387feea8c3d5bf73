// The store contract, run against every dialect this machine can reach.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MissingReference, UniqueViolation, type Store, type UserRecord } from '../../src/store/contract.ts';
import { bindFilter, createRegistry, matchesFilter, parseFilter, parseListQuery, ScimError } from '../../src/scim/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { PURGE_BATCH } from '../../src/store/sql/shared.ts';


const registry = createRegistry('genesys');
const User = registry.resourceType('User')!;
const now = () => new Date().toISOString();
/** `next` written over `previous` with a bare audit row (the contract's one user update). */
const updated = (store: Store, next: UserRecord, previous: UserRecord) =>
  store.writeUser({ user: next, previous, audit: { id: randomUUID(), orgId: next.orgId, time: now(), action: 'update', resourceType: 'User', resourceId: next.id, changes: {} } });

for (const dialect of DIALECTS) {
  describe(`store contract: ${dialect.name}`, { skip: dialect.skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let orgId: string;
    let home: string;
    const user = (userName: string, extra: Partial<UserRecord> = {}): UserRecord => ({
      id: randomUUID(), orgId, userName, active: true, divisionId: home, version: 1, created: now(), lastModified: now(),
      data: { userName, title: 'T' }, displayName: userName, ...extra,
    });

    /** A public group and two users who are not yet its members. */
    const groupOfTwo = async (prefix: string) => {
      const g = randomUUID();
      await store.insertGroup({ id: g, orgId, displayName: `${prefix}-${g}`, type: 'official', visibility: 'public', version: 1, created: now(), lastModified: now() });
      const a = user(`${prefix}-${g}-a@x.com`);
      const b = user(`${prefix}-${g}-b@x.com`);
      await store.insertUser(a);
      await store.insertUser(b);
      return { g, a, b };
    };

    before(async () => {
      ({ store, cleanup } = await dialect.open({ maxCandidates: 50 }));
      orgId = randomUUID();
      home = randomUUID();
      await store.createOrganization({ id: orgId, name: `o-${orgId}`, scimProfile: 'genesys', created: now() });
      await store.createDivision({ id: home, orgId, name: 'Home', isHome: true, created: now() });
    });
    after(() => cleanup());

    test('userName is unique per organization, case-insensitively', async () => {
      await store.insertUser(user('Same@x.com'));
      await assert.rejects(store.insertUser(user('same@X.com')), UniqueViolation);
    });

    test('a transaction writes all or nothing', async () => {
      const u = user('tx@x.com');
      await assert.rejects(store.transaction(async (tx) => {
        await tx.insertUser(u);
        throw new Error('boom');
      }));
      assert.equal(await store.getUser(orgId, u.id), undefined);
    });

    test('optimistic versioning refuses a stale update', async () => {
      const u = user('ver@x.com');
      await store.insertUser(u);
      assert.equal(await updated(store, { ...u, version: 2, displayName: 'A' }, u), true);
      assert.equal(await updated(store, { ...u, version: 2, displayName: 'B' }, u), false);
      assert.equal((await store.getUser(orgId, u.id))?.displayName, 'A');
      const stored = (await store.getUser(orgId, u.id))!;
      assert.equal(await updated(store, { ...stored, version: 3, userName: 'VER2@x.com', data: { userName: 'VER2@x.com' } }, stored), true);
      const again = (await store.getUser(orgId, u.id))!;
      assert.deepEqual([again.userName, again.displayName, again.version, again.data.userName], ['VER2@x.com', 'A', 3, 'VER2@x.com'], 'changed and unchanged columns both right');
      assert.ok(await store.userIdsExist(orgId, [u.id]));
      await assert.rejects(store.insertUser(user('ver2@X.COM')), UniqueViolation, 'the lower-cased index followed the change');
    });

    test('membership rows: idempotent add, remove, clear; deleting a user drops its memberships', async () => {
      const { g, a, b } = await groupOfTwo('m');
      assert.equal(await store.addMembers(g, [a.id, b.id, a.id]), 2);
      assert.equal(await store.addMembers(g, [a.id]), 0);
      assert.equal(await store.removeMembers(g, [a.id, 'nobody']), 1);
      await store.deleteUser(orgId, b.id);
      assert.deepEqual(await store.listMembers(g), []);
    });

    test('change events: in commit order with the version written, none from a transaction that failed after its change', async () => {
      const kinds = { resourceTypes: ['User', 'Group'], actions: ['create', 'update', 'delete'] };
      const events = async (after?: { commit: string; seq: number }) => store.queryEvents(orgId, { limit: 1000, ...kinds, ...(after ? { after } : {}) });
      const end = (await events()).at(-1)?.position;
      const audit = (resourceId: string, action: string) => ({ id: randomUUID(), orgId, time: now(), action, resourceType: 'User', resourceId, changes: { title: { after: action } }, divisionId: home });
      const u = user(`ev-${randomUUID().slice(0, 8)}@x.com`);
      await store.writeUser({ user: u, audit: audit(u.id, 'create') });
      await store.writeUser({ user: { ...u, version: 2, displayName: 'Two' }, previous: u, audit: audit(u.id, 'update') });
      await assert.rejects(store.transaction(async (tx) => {
        await tx.writeUser({ user: { ...u, version: 3, displayName: 'Three' }, previous: { ...u, version: 2, displayName: 'Two' }, audit: audit(u.id, 'update') });
        throw new Error('failed after the change');
      }), /failed after the change/);
      await store.insertAudit({ ...audit(u.id, 'console.signIn'), resourceType: 'User' });
      // On PostgreSQL an event is read once every older transaction of the cluster has ended:
      // another test file's open transaction delays these for as long as it runs.
      let seen = await events(end);
      for (let i = 0; i < 100 && seen.length < 2; i++) seen = await new Promise((r) => setTimeout(r, 100)).then(() => events(end));
      assert.deepEqual(seen.map((e) => [e.action, e.version]), [['create', 1], ['update', 2]], 'the rolled-back update and a non-change row are no events');
      assert.deepEqual(await events(seen.at(-1)!.position), [], 'nothing after the last');
    });

    test('change events: a reader never passes an event whose transaction is still running (PostgreSQL commits out of sequence order)', { skip: dialect.name === 'sqlite' ? 'one writer: sequence order is commit order' : undefined }, async () => {
      const kinds = { resourceTypes: ['User'], actions: ['create', 'update', 'delete'] };
      const events = async (after?: { commit: string; seq: number }) => store.queryEvents(orgId, { limit: 1000, ...kinds, ...(after ? { after } : {}) });
      const end = (await events()).at(-1)?.position;
      const audit = (resourceId: string) => ({ id: randomUUID(), orgId, time: now(), action: 'create', resourceType: 'User', resourceId, changes: {} });
      const [slow, fast] = [user(`slow-${randomUUID().slice(0, 8)}@x.com`), user(`fast-${randomUUID().slice(0, 8)}@x.com`)];
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let written!: () => void;
      const slowWritten = new Promise<void>((r) => (written = r));
      // The slow transaction writes its event first (the lower sequence number) and commits last.
      // Audit rows alone: two user inserts can share a user-count slot row, and the second
      // would wait for the first's lock, which the test holds until the second is written.
      const slowTx = store.transaction(async (tx) => {
        await tx.insertAudit(audit(slow.id));
        written();
        await held;
      });
      await slowWritten;
      try {
        await store.insertAudit(audit(fast.id));
        const meanwhile = await events(end);
        assert.deepEqual(meanwhile.map((e) => e.resourceId), [], 'the committed later event waits for the running earlier one');
      } finally {
        // A failed assertion must not leave the transaction open: it would hold every reader of the cluster back.
        release();
        await slowTx;
      }
      let after = await events(end);
      for (let i = 0; i < 100 && after.length < 2; i++) after = await new Promise((r) => setTimeout(r, 100)).then(() => events(end));
      assert.deepEqual(after.map((e) => e.resourceId), [slow.id, fast.id]);
    });

    test('writeUser stores the user and its audit row together, or neither', async () => {
      const tag = randomUUID().slice(0, 8);
      const audit = (resourceId: string, action: string) => ({ id: randomUUID(), orgId, time: now(), action, resourceType: 'User', resourceId, changes: { title: { after: action } }, divisionId: home });
      const trail = async (id: string) => (await store.queryAudits(orgId, { resourceId: id, limit: 10 })).entities.map((a) => a.action);
      const u = user(`wu-${tag}@x.com`);
      assert.equal(await store.writeUser({ user: u, audit: audit(u.id, 'create') }), true);
      assert.equal((await store.getUser(orgId, u.id))?.userName, u.userName);
      assert.deepEqual(await trail(u.id), ['create']);

      const v2 = { ...u, version: 2, displayName: 'Two' };
      assert.equal(await store.writeUser({ user: v2, previous: u, audit: audit(u.id, 'update') }), true);
      assert.equal(await store.writeUser({ user: { ...u, version: 2, displayName: 'Stale' }, previous: u, audit: audit(u.id, 'stale') }), false, 'a stale version writes nothing');
      assert.equal((await store.getUser(orgId, u.id))?.displayName, 'Two');
      assert.deepEqual(await trail(u.id), ['create', 'update'], 'and leaves no audit row');

      const twin = user(`WU-${tag}@x.com`);
      await assert.rejects(store.writeUser({ user: twin, audit: audit(twin.id, 'twin') }), UniqueViolation);
      const orphan = user(`wu-orphan-${tag}@x.com`, { divisionId: randomUUID() });
      await assert.rejects(store.writeUser({ user: orphan, audit: audit(orphan.id, 'orphan') }), MissingReference, 'a division deleted meanwhile');
      const noBoss = user(`wu-noboss-${tag}@x.com`, { managerId: randomUUID() });
      await assert.rejects(store.writeUser({ user: noBoss, audit: audit(noBoss.id, 'noboss') }), MissingReference, 'a manager deleted meanwhile');
      for (const id of [twin.id, orphan.id, noBoss.id]) {
        assert.equal(await store.getUser(orgId, id), undefined);
        assert.deepEqual(await trail(id), [], 'a refused write leaves no audit row');
      }
    });

    test('writeMembers changes rows, version and audit row together; a group not there (or not as asked) changes nothing', async () => {
      const { g, a, b } = await groupOfTwo('wm');
      const trail = async () => (await store.queryAudits(orgId, { resourceId: g, limit: 20 })).entities.map((x) => x.changes);
      const members = async () => (await store.listMembers(g)).map((m) => m.userId).sort();
      const write = (kind: 'add' | 'remove', userIds: string[], extra: { visibility?: 'public' | 'members'; expectedVersion?: number } = {}) => store.writeMembers({
        orgId, groupId: g, kind, userIds, lastModified: now(), ...extra,
        audit: { id: randomUUID(), orgId, time: now(), action: 'update', resourceType: 'Group', resourceId: g, changes: { [kind]: { after: userIds } } },
      });

      assert.deepEqual(await write('add', [a.id, b.id, a.id]), { version: 2, changed: true });
      assert.deepEqual(await members(), [a.id, b.id].sort());
      assert.deepEqual(await write('add', [a.id]), { version: 2, changed: false }, 'already a member: nothing moves');
      assert.equal((await store.getGroup(orgId, g))?.version, 2);
      assert.equal((await trail()).length, 1, 'and no audit row');

      const gone = randomUUID();
      assert.deepEqual(await write('add', [gone, a.id]), { version: 2, changed: false }, 'a user deleted meanwhile is skipped');
      assert.equal(await write('remove', [a.id], { expectedVersion: 1 }), undefined, 'a stale version');
      assert.equal(await write('remove', [a.id], { visibility: 'members' }), undefined, 'another visibility');
      assert.equal(await store.writeMembers({ orgId: randomUUID(), groupId: g, kind: 'remove', userIds: [a.id], lastModified: now(), audit: { id: randomUUID(), orgId, time: now(), action: 'update', resourceType: 'Group', resourceId: g, changes: {} } }), undefined, 'another organization');
      assert.deepEqual(await members(), [a.id, b.id].sort(), 'none of them removed anything');
      assert.equal((await trail()).length, 1);

      assert.deepEqual(await write('remove', [a.id, 'nobody'], { expectedVersion: 2, visibility: 'public' }), { version: 3, changed: true });
      assert.deepEqual(await members(), [b.id]);
      assert.deepEqual(await write('remove', [a.id]), { version: 3, changed: false });
      const changes = await trail();
      assert.equal(changes.length, 2, 'one audit row per write that changed a row');
      assert.ok(changes.some((c) => JSON.stringify(c) === JSON.stringify({ remove: { after: [a.id, 'nobody'] } })));
      assert.equal((await store.getGroup(orgId, g))?.version, 3);
    });

    test('a membership write moves the version and lastModified that reads, filters and sorts see; the group deletes with it', async () => {
      const { g, a, b } = await groupOfTwo('lm');
      const Group = registry.resourceType('Group')!;
      const write = (kind: 'add' | 'remove', userIds: string[], lastModified: string) => store.writeMembers({
        orgId, groupId: g, kind, userIds, lastModified,
        audit: { id: randomUUID(), orgId, time: lastModified, action: 'update', resourceType: 'Group', resourceId: g, changes: {} },
      });
      const later = new Date(Date.now() + 60_000).toISOString();
      assert.deepEqual(await write('add', [a.id, b.id], later), { version: 2, changed: true });
      assert.deepEqual(await write('remove', [b.id], later), { version: 3, changed: true });
      const read = (await store.getGroup(orgId, g))!;
      assert.deepEqual([read.version, read.lastModified], [3, later]);
      const query = (filter: string, descending = false) => {
        const q = parseListQuery(registry, Group, { filter, sortBy: 'meta.lastModified', sortOrder: descending ? 'descending' : 'ascending' });
        return store.queryGroups(orgId, { filter: q.filter, sort: q.sort, matches: () => true, startIndex: 1, count: 10 });
      };
      const found = await query(`meta.lastModified ge "${later}"`);
      assert.deepEqual(found.items.map((x) => [x.id, x.version, x.lastModified]), [[g, 3, later]], 'the filter sees the moved lastModified');
      const newestFirst = await query('meta.lastModified pr', true);
      assert.equal(newestFirst.items[0].id, g, 'and so does the sort');
      // A checked update at the version the membership writes left.
      assert.equal(await store.transaction((tx) => tx.updateGroup({ ...read, description: 'd', version: 4, lastModified: now() }, 2)), false, 'a stale version');
      assert.equal(await store.transaction((tx) => tx.updateGroup({ ...read, description: 'd', version: 4, lastModified: later }, 3)), true);
      assert.deepEqual(await write('add', [b.id], later), { version: 5, changed: true });
      assert.equal((await store.getGroup(orgId, g))?.version, 5);
      assert.equal(await store.deleteGroup(orgId, g), true);
      assert.equal(await store.getGroup(orgId, g), undefined);
    });

    test('a user read with its groups: name order, by visibility, the same as groupsOfUsers, on every read path', async () => {
      const tag = randomUUID().slice(0, 8);
      const group = async (displayName: string, visibility: 'public' | 'members') => {
        const id = randomUUID();
        await store.insertGroup({ id, orgId, displayName, type: 'official', visibility, version: 1, created: now(), lastModified: now() });
        return id;
      };
      // Names out of insertion order, one differing only in case, one not public.
      const zed = await group(`zed-${tag}`, 'public');
      const alpha = await group(`Alpha-${tag}`, 'public');
      const beta = await group(`beta-${tag}`, 'public');
      const hidden = await group(`hidden-${tag}`, 'members');
      const a = user(`wg-${tag}-a@x.com`);
      const none = user(`wg-${tag}-none@x.com`);
      await store.insertUser(a);
      await store.insertUser(none);
      for (const g of [zed, alpha, beta, hidden]) await store.addMembers(g, [a.id]);
      const names = (row: { groups?: readonly { displayName: string }[] } | undefined) => row?.groups?.map((g) => g.displayName);

      assert.equal((await store.getUser(orgId, a.id))?.groups, undefined, 'no groups unless asked');
      assert.deepEqual(names(await store.getUser(orgId, a.id, {})), [`Alpha-${tag}`, `beta-${tag}`, `hidden-${tag}`, `zed-${tag}`]);
      assert.deepEqual(names(await store.getUser(orgId, a.id, { visibility: 'public' })), [`Alpha-${tag}`, `beta-${tag}`, `zed-${tag}`]);
      assert.deepEqual((await store.getUser(orgId, none.id, { visibility: 'public' }))?.groups, [], 'a user in no group has an empty list');
      const viaRefs = (await store.groupsOfUsers(orgId, [a.id], 'public')).get(a.id);
      assert.deepEqual((await store.getUser(orgId, a.id, { visibility: 'public' }))?.groups, viaRefs, 'the same refs (ids and names) as groupsOfUsers');

      // The unique-column match, a page, a keyset page and an evaluated filter all bring them.
      const q = (filter: string, extra: object = {}) => store.queryUsers(orgId, {
        filter: bindFilter(registry, User, parseFilter(filter)), matches: () => true, startIndex: 1, count: 10, activeOnly: false, withGroups: { visibility: 'public' }, ...extra,
      });
      const match = await q(`userName eq "wg-${tag}-a@x.com"`);
      assert.deepEqual(names(match.items[0]), [`Alpha-${tag}`, `beta-${tag}`, `zed-${tag}`]);
      const paged = await q(`userName sw "wg-${tag}"`);
      assert.deepEqual(paged.items.map((r) => [r.userName, names(r)]), [[a.userName, [`Alpha-${tag}`, `beta-${tag}`, `zed-${tag}`]], [none.userName, []]]);
      const keyset = await q(`userName sw "wg-${tag}"`, { keyset: {} });
      assert.deepEqual(keyset.items.map((r) => names(r)), [[`Alpha-${tag}`, `beta-${tag}`, `zed-${tag}`], []]);
      const title = bindFilter(registry, User, parseFilter(`userName sw "wg-${tag}" and title eq "T"`));
      const scanned = await store.queryUsers(orgId, { filter: title, matches: (r) => r.groups !== undefined, startIndex: 1, count: 10, activeOnly: false, withGroups: {} });
      assert.equal(scanned.items.length, 2, 'the evaluator sees rows with their groups');
      await store.transaction(async (tx) => {
        assert.deepEqual(names(await tx.getUser(orgId, a.id, { visibility: 'public' })), [`Alpha-${tag}`, `beta-${tag}`, `zed-${tag}`], 'inside a transaction too');
      });
    });

    test('queries compile to SQL when they can and fall back to a bounded scan when they cannot', async () => {
      for (let i = 0; i < 60; i++) await store.insertUser(user(`q${i}@x.com`));
      const f = bindFilter(registry, User, parseFilter('userName sw "q1"'));
      const page = await store.queryUsers(orgId, { filter: f, matches: () => { throw new Error('exact SQL must not call the evaluator'); }, startIndex: 1, count: 5, activeOnly: false });
      assert.equal(page.total, 11);
      assert.equal(page.items.length, 5);
      const title = bindFilter(registry, User, parseFilter('title eq "T"'));
      await assert.rejects(
        store.queryUsers(orgId, { filter: title, matches: (r) => matchesFilter(title, r.data), startIndex: 1, count: 5, activeOnly: false }),
        (e: unknown) => e instanceof ScimError && e.scimType === 'tooMany',
      );
      const narrowed = bindFilter(registry, User, parseFilter('userName sw "q1" and title eq "T"'));
      const ok = await store.queryUsers(orgId, { filter: narrowed, matches: (r) => matchesFilter(narrowed, r.data), startIndex: 1, count: 100, activeOnly: false });
      assert.equal(ok.total, 11, 'an indexed conjunct bounds the scan');
    });

    test('unfiltered totals stay exact through creates, deactivations and deletes', async () => {
      const o = randomUUID();
      const d = randomUUID();
      await store.createOrganization({ id: o, name: `counts-${o}`, scimProfile: 'genesys', created: now() });
      await store.createDivision({ id: d, orgId: o, name: 'Home', isHome: true, created: now() });
      const total = async (activeOnly: boolean) => (await store.queryUsers(o, { matches: () => true, startIndex: 1, count: 0, activeOnly })).total;
      const us = Array.from({ length: 5 }, (_, i) => ({ ...user(`c${i}-${o}@x.com`), orgId: o, divisionId: d }));
      for (const u of us) await store.insertUser(u);
      assert.deepEqual([await total(false), await total(true)], [5, 5]);
      assert.ok(await updated(store, { ...us[0], active: false, version: 2 }, us[0]));
      assert.deepEqual([await total(false), await total(true)], [5, 4]);
      await store.deleteUser(o, us[1].id);
      await store.deleteUser(o, us[0].id);
      assert.deepEqual([await total(false), await total(true)], [3, 3]);
      await assert.rejects(store.transaction(async (tx) => {
        await tx.insertUser({ ...user(`rolled-${o}@x.com`), orgId: o, divisionId: d });
        throw new Error('rollback');
      }));
      assert.deepEqual([await total(false), await total(true)], [3, 3], 'a rolled-back insert is not counted');
    });

    test("a user write's references in one read: a division by name or Home, a manager of the organization", async () => {
      const sales = randomUUID();
      await store.createDivision({ id: sales, orgId, name: 'Sales <EMEA>', isHome: false, created: now() });
      const boss = user('refs-boss@x.com', { divisionId: sales, displayName: 'Big Boss' });
      await store.insertUser(boss);
      const nameless = user('refs-nameless@x.com', { displayName: undefined });
      await store.insertUser(nameless);
      assert.deepEqual(await store.userReferences(orgId, {}), {});
      assert.deepEqual(await store.userReferences(orgId, { division: { name: 'sales <emea>' }, managerId: boss.id }),
        { division: { id: sales, name: 'Sales <EMEA>' }, manager: { displayName: 'Big Boss', divisionId: sales } });
      assert.deepEqual(await store.userReferences(orgId, { division: 'home' }), { division: { id: home, name: 'Home' } });
      assert.deepEqual(await store.userReferences(orgId, { managerId: nameless.id }), { manager: { divisionId: home } }, 'a manager without a display name');
      assert.deepEqual(await store.userReferences(orgId, { division: { name: 'Nowhere' }, managerId: randomUUID() }), {}, 'neither exists');
      assert.deepEqual(await store.userReferences(orgId, { division: { name: 'Sales <EMEA>' }, managerId: 'x\' OR 1=1 --' }), { division: { id: sales, name: 'Sales <EMEA>' } });
      const other = randomUUID();
      await store.createOrganization({ id: other, name: `o-${other}`, scimProfile: 'genesys', created: now() });
      await store.createDivision({ id: randomUUID(), orgId: other, name: 'Home', isHome: true, created: now() });
      const theirs = await store.userReferences(other, { division: { name: 'Sales <EMEA>' }, managerId: boss.id });
      assert.deepEqual(theirs, {}, "another organization's division and user are not found");
    });

    test('organizations never see each other', async () => {
      const other = randomUUID();
      await store.createOrganization({ id: other, name: `o-${other}`, scimProfile: 'standard', created: now() });
      const u = user('iso@x.com');
      await store.insertUser(u);
      assert.equal(await store.getUser(other, u.id), undefined);
      assert.equal((await store.queryUsers(other, { matches: () => true, startIndex: 1, count: 10, activeOnly: false })).total, 0);
      assert.equal(await store.deleteUser(other, u.id), false);
      assert.equal((await store.userIdsExist(other, [u.id])).size, 0);
    });

    test('webhook delivery attempts: a batch over several statements lands whole, newest first, each field as written', async () => {
      const webhookId = randomUUID();
      const rows = Array.from({ length: 120 }, (_, i) => ({
        webhookId, orgId, eventId: `e${i}`, eventType: 'user.updated', attempt: 1 + (i % 3), time: now(), latencyMs: i + 0.4,
        ...(i % 2 === 0 ? { status: 204 } : { error: `refused: <${i}>`, response: 'x'.repeat(i) }),
      }));
      await store.transaction((tx) => tx.insertDeliveries(rows));
      const listed = await store.listDeliveries(orgId, webhookId, 200);
      assert.equal(listed.length, 120);
      assert.deepEqual(listed.map((d) => d.eventId), rows.map((r) => r.eventId).reverse());
      const odd = listed.find((d) => d.eventId === 'e7')!;
      assert.deepEqual([odd.attempt, odd.status, odd.latencyMs, odd.error, odd.response], [2, undefined, 7, 'refused: <7>', 'x'.repeat(7)]);
      assert.equal(listed.find((d) => d.eventId === 'e8')!.status, 204);
    });

    test('retention: the sweep deletes the rows older than the cutoff in batches (more than one batch here), and no newer row', async () => {
      const resourceId = randomUUID();
      const row = (time: string) => ({ id: randomUUID(), orgId, time, action: 'console.signIn', resourceType: 'User', resourceId, changes: {} });
      await store.transaction(async (tx) => {
        for (let i = 0; i < PURGE_BATCH + 50; i++) await tx.insertAudit(row(`1980-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`));
        await tx.insertAudit(row('1995-01-01T00:00:00.000Z'));
      });
      assert.equal(await store.deleteAuditsBefore('1990-01-01T00:00:00.000Z'), PURGE_BATCH + 50);
      assert.deepEqual((await store.queryAudits(orgId, { resourceId, limit: 10 })).entities.map((a) => a.time), ['1995-01-01T00:00:00.000Z']);
    });

    test('provisioning jobs: the current cycle is written by the lease holder only, and ends with the cycle\'s saved result', async () => {
      const id = randomUUID();
      await store.createJob({
        id, orgId, name: 'current', created: now(), config: { source: { type: 'directory' } }, targetSecret: 'sealed', status: 'running', pilot: false,
        position: { commit: '0', seq: 0 }, nextFull: 0, nextRun: 0, health: { quarantined: false, level: 0 },
      });
      assert.equal(await store.claimJob(id, Date.now(), Date.now() + 30_000, 'node-1'), true);
      const current = { kind: 'full' as const, startedAt: now(), step: 'users', done: 5, total: 9 };
      assert.equal(await store.setJobCurrentCycle(id, 'node-2', current), false, 'not the holder');
      assert.equal(await store.setJobCurrentCycle(id, 'node-1', current), true);
      assert.deepEqual((await store.getJob(orgId, id))?.currentCycle, current);
      assert.equal(await store.saveJobProgress(id, 'node-1', { position: { commit: '0', seq: 1 }, nextFull: 1, nextRun: 0, health: { quarantined: false, level: 0 } }), true);
      assert.equal((await store.getJob(orgId, id))?.currentCycle, undefined);
      await store.releaseJob(id, 'node-1');
      await store.deleteJob(orgId, id);
    });

    test('provisioning jobs: state is kept per job while the job exists, and a deleted job takes its state and log with it', async () => {
      const id = randomUUID();
      const job = {
        id, orgId, name: 'state', created: now(), config: { source: { type: 'directory' } }, targetSecret: 'sealed', status: 'running' as const, pilot: false,
        position: { commit: '0', seq: 0 }, nextFull: 0, nextRun: 0, health: { quarantined: false, level: 0 },
      };
      await store.createJob(job);
      await store.putJobState(id, 'user', 'u1', '{"targetId":"t1","hash":"h"}');
      await store.putJobState(id, 'user', 'u1', '{"targetId":"t1","hash":"h2"}');
      await store.putJobState(id, 'group', 'g1', '{"targetId":"tg","members":[]}');
      assert.deepEqual((await store.loadJobState(id, ['u1'])).map((r) => [r.kind, r.sourceId, JSON.parse(r.data).hash]), [['user', 'u1', 'h2']]);
      assert.equal((await store.loadJobState(id)).length, 2);
      await store.insertJobLogs([
        { jobId: id, orgId, time: now(), cycle: 'full', objectKind: 'user', sourceId: 'u1', name: 'u1', action: 'create' },
        { jobId: id, orgId, time: '2001-01-01T00:00:00.000Z', cycle: 'full', objectKind: 'user', sourceId: 'u0', name: 'u0', action: 'create' },
      ]);
      // The retention sweep (SCIMITAR_PROVISIONING_LOG_DAYS) takes the old entries only.
      assert.ok((await store.deleteJobLogsBefore('2002-01-01T00:00:00.000Z')) >= 1);
      assert.deepEqual((await store.listJobLogs(orgId, id, { limit: 10 })).map((l) => l.sourceId), ['u1']);
      assert.equal(await store.deleteJob(orgId, id), true);
      // A cycle still running writes after the delete: nothing is kept.
      await store.putJobState(id, 'user', 'u2', '{"targetId":"t2","hash":"h"}');
      assert.deepEqual(await store.loadJobState(id), []);
      assert.deepEqual(await store.listJobLogs(orgId, id, { limit: 10 }), []);
    });
  });
}
