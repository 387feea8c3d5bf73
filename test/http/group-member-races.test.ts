// A membership PATCH reads the group and its members first and then stores in one atomic
// write (Repository.writeMembers): what changes in between (the group deleted or changed, a
// member deleted) is caught by that write, on both dialects. The interleaving is made
// deterministic by running the other change at the moment the real store is asked to write.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MembersWrite, MembersWritten } from '../../src/store/contract.ts';
import { addGroup, call, createOrg, entraUser, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';

type WriteMembers = (w: MembersWrite) => Promise<MembersWritten | undefined>;

for (const { name: dialect, skip } of DIALECTS) {
  describe(`membership writes against changes made meanwhile: ${dialect}`, { skip }, () => {
    let h: Harness;
    let org: Org;
    let original: WriteMembers;
    before(async () => {
      h = await startHarness({ dialect });
      org = await createOrg(h, 'standard');
      original = h.store.writeMembers.bind(h.store);
    });
    after(() => h.close());

    const slot = () => h.store as { writeMembers: WriteMembers };
    /** Runs `meanwhile` once, just before the next membership write reaches the store; counts the writes. */
    const interleave = (meanwhile: () => Promise<unknown>) => {
      const seen = { writes: 0 };
      slot().writeMembers = async (w) => {
        seen.writes++;
        slot().writeMembers = original; // the change itself writes normally
        try {
          await meanwhile();
        } finally {
          slot().writeMembers = async (again) => {
            seen.writes++;
            return original(again);
          };
        }
        return original(w);
      };
      return seen;
    };
    const restore = () => { slot().writeMembers = original; };
    const user = async (name: string) => (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`${name}-${dialect}@example.com`) })).body.id as string;
    const add = (group: string, id: string, headers: Record<string, string> = {}) =>
      call(h, { method: 'PATCH', path: `/Groups/${group}`, token: org.token, headers, body: patchOp({ op: 'add', path: 'members', value: [{ value: id }] }) });
    const trail = async (group: string) => (await h.store.queryAudits(org.organization.id, { resourceId: group, limit: 20 })).entities.map((a) => `${a.action} ${Object.keys(a.changes).join()}`);
    const members = async (group: string) => (await h.store.listMembers(group)).map((m) => m.userId).sort();

    test('a group deleted meanwhile: 404, and nothing stored', async () => {
      const group = await addGroup(h, org, `Doomed ${dialect}`);
      const id = await user('doomed');
      try {
        const seen = interleave(() => call(h, { method: 'DELETE', path: `/Groups/${group}`, token: org.token }));
        const res = await add(group, id);
        assert.equal(res.status, 404, JSON.stringify(res.body));
        assert.equal(seen.writes, 1, 'the write found no group; reading again found none either');
      } finally {
        restore();
      }
      assert.deepEqual(await members(group), []);
      assert.deepEqual(await trail(group), ['delete displayName'], 'only the delete is audited');
    });

    test('a change meanwhile: without If-Match both land; with If-Match the write is refused (400 invalidVers)', async () => {
      const group = await addGroup(h, org, `Busy ${dialect}`);
      const [a, b, c, d] = [await user('busy-a'), await user('busy-b'), await user('busy-c'), await user('busy-d')];
      try {
        interleave(() => add(group, a));
        assert.equal((await add(group, b)).status, 204);
        assert.deepEqual(await members(group), [a, b].sort());
        const version = (await call(h, { path: `/Groups/${group}`, token: org.token })).body.meta.version as string;
        assert.equal(version, '"3"', 'each add moved the version once');

        const seen = interleave(() => add(group, c));
        const pinned = await add(group, d, { 'if-match': version });
        assert.equal(pinned.status, 400);
        assert.equal(pinned.body.scimType, 'invalidVers');
        assert.equal(seen.writes, 1, 'the pinned write is not tried again');
      } finally {
        restore();
      }
      assert.deepEqual(await members(group), [a, b, c].sort(), 'the refused member is not in');
      assert.deepEqual(await trail(group), ['update members.added', 'update members.added', 'update members.added'], 'one audit row per accepted add');
    });

    test('a member deleted meanwhile is skipped, as if deleted just after: 204, no version move, no audit row', async () => {
      const group = await addGroup(h, org, `Fleeting ${dialect}`);
      const id = await user('fleeting');
      try {
        interleave(() => call(h, { method: 'DELETE', path: `/Users/${id}`, token: org.token }));
        assert.equal((await add(group, id)).status, 204);
      } finally {
        restore();
      }
      assert.deepEqual(await members(group), []);
      assert.equal((await call(h, { path: `/Groups/${group}`, token: org.token })).body.meta.version, '"1"');
      assert.deepEqual(await trail(group), []);
    });
  });
}
