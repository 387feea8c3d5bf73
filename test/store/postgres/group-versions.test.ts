// Membership writes without If-Match count their change in a version slot instead of updating
// the group row (groups.ts), so on PostgreSQL they do not wait for one another's commits; a
// write that checks the version does wait for them, and then sees them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { MembersWrite, Store } from '../../../src/store/contract.ts';
import { openTestPostgres, postgresSkipReason } from '../../helpers/postgres.ts';

const skip = await postgresSkipReason();
const now = () => new Date().toISOString();

/** A promise that can be resolved from outside. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { opened, open };
}

/** What `p` settled to within `ms`, or 'pending'. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<'pending'>((resolve) => { timer = setTimeout(() => resolve('pending'), ms); });
  try {
    return await Promise.race([p, pending]);
  } finally {
    clearTimeout(timer);
  }
}

describe('group version slots on PostgreSQL', { skip }, () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let orgId: string;
  let division: string;
  before(async () => {
    ({ store, cleanup } = await openTestPostgres());
    orgId = randomUUID();
    division = randomUUID();
    await store.createOrganization({ id: orgId, name: `slots-${orgId}`, scimProfile: 'standard', created: now() });
    await store.createDivision({ id: division, orgId, name: 'Home', isHome: true, created: now() });
  });
  after(() => cleanup());

  const users = async (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      const userName = `${id}@x.com`;
      await store.insertUser({ id, orgId, userName, active: true, divisionId: division, version: 1, created: now(), lastModified: now(), data: { userName }, displayName: userName });
      ids.push(id);
    }
    return ids;
  };
  const group = async () => {
    const id = randomUUID();
    await store.insertGroup({ id, orgId, displayName: `g-${id}`, type: 'official', visibility: 'public', version: 1, created: now(), lastModified: now() });
    return id;
  };
  const write = (groupId: string, kind: 'add' | 'remove', userIds: string[], expectedVersion?: number): MembersWrite => ({
    orgId, groupId, kind, userIds, lastModified: now(), ...(expectedVersion === undefined ? {} : { expectedVersion }),
    audit: { id: randomUUID(), orgId, time: now(), action: 'update', resourceType: 'Group', resourceId: groupId, changes: { [kind]: { after: userIds } } },
  });
  /** Runs a membership write in a transaction that stays open until the returned `commit` is called. */
  const heldOpen = async (w: MembersWrite) => {
    const written = gate();
    const release = gate();
    const done = store.transaction(async (tx) => {
      const result = await tx.writeMembers(w);
      written.open();
      await release.opened;
      return result;
    });
    await written.opened;
    return { commit: async () => { release.open(); return done; } };
  };

  test('a member add does not wait for another add to the same group to commit', async () => {
    const g = await group();
    const [a, b] = await users(2);
    const first = await heldOpen(write(g, 'add', [a]));
    try {
      const second = await within(store.writeMembers(write(g, 'add', [b])), 10_000);
      assert.deepEqual(second, { version: 2, changed: true }, 'answered while the first add is still open (it held the group row through its commit before)');
    } finally {
      assert.deepEqual(await first.commit(), { version: 2, changed: true });
    }
    const after = await store.getGroup(orgId, g);
    assert.equal(after?.version, 3, 'both changes counted: two states, two versions');
    assert.deepEqual((await store.listMembers(g)).map((m) => m.userId).sort(), [a, b].sort());
  });

  test('a write that checks the version waits for the adds in flight and then sees them', async () => {
    const g = await group();
    const [a, b, c] = await users(3);
    const first = await heldOpen(write(g, 'add', [a]));
    const checked = store.writeMembers(write(g, 'add', [b], 1));
    const renamed = store.transaction(async (tx) => {
      const read = (await tx.getGroup(orgId, g))!;
      return tx.updateGroup({ ...read, displayName: `renamed-${g}`, version: 2, lastModified: now() }, 1);
    });
    try {
      assert.equal(await within(checked, 300), 'pending', 'the If-Match write waits for the add in flight');
      assert.equal(await within(renamed, 10), 'pending', 'and so does a checked update');
    } finally {
      await first.commit();
    }
    assert.equal(await checked, undefined, 'version 1 is gone once the add committed');
    assert.equal(await renamed, false);
    assert.equal((await store.getGroup(orgId, g))?.displayName, `g-${g}`);

    // At the version the adds left, both pass; the update folds the slots into the row.
    assert.deepEqual(await store.writeMembers(write(g, 'add', [c], 2)), { version: 3, changed: true });
    const read = (await store.getGroup(orgId, g))!;
    assert.equal(read.version, 3);
    assert.equal(await store.transaction((tx) => tx.updateGroup({ ...read, displayName: `renamed-${g}`, version: 4, lastModified: now() }, 3)), true);
    const renamedRead = (await store.getGroup(orgId, g))!;
    assert.equal(renamedRead.version, 4);
    assert.equal(renamedRead.displayName, `renamed-${g}`);
    assert.deepEqual(await store.writeMembers(write(g, 'remove', [a])), { version: 5, changed: true }, 'and counting goes on from the folded version');
  });

  test('concurrent adds and removes from many connections: every change counted once, in the audit trail too', async () => {
    const g = await group();
    const ids = await users(40);
    await store.writeMembers(write(g, 'add', ids.slice(0, 10)));
    const writes = [
      ...ids.slice(10).map((id) => write(g, 'add', [id])),
      ...ids.slice(0, 10).map((id) => write(g, 'remove', [id])),
      ...ids.slice(20, 25).map((id) => write(g, 'add', [id])), // duplicates of adds: one of each pair changes nothing
    ];
    const results = await Promise.all(writes.map((w) => store.writeMembers(w)));
    const changed = results.filter((r) => r?.changed).length;
    assert.equal(changed, 30 + 10, 'each of the 30 new members once, each of the 10 removals once');
    const final = (await store.getGroup(orgId, g))!;
    assert.equal(final.version, 2 + changed, 'version 2 after the first batch, then one per change');
    for (const r of results) assert.ok(r!.version <= final.version, 'no answer is ahead of the group');
    assert.deepEqual((await store.listMembers(g)).map((m) => m.userId).sort(), ids.slice(10).sort());
    const audits = await store.queryAudits(orgId, { resourceId: g, limit: 100 });
    assert.equal(audits.entities.length, 1 + changed, 'an audit row per change, none for the no-ops');
  });

  test('a group with counted changes is deleted with its slots', async () => {
    const g = await group();
    const [a] = await users(1);
    await store.writeMembers(write(g, 'add', [a]));
    assert.equal(await store.deleteGroup(orgId, g), true);
    assert.equal(await store.getGroup(orgId, g), undefined);
  });
});
