// A user write reads first and then stores in one atomic, version-checked write: what changes
// in between (another write to the user, its division deleted) is caught by that write and
// answered by reading again, on both dialects. The interleaving is made deterministic by
// running the other change at the moment the real store is asked to write.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserWrite } from '../../src/store/contract.ts';
import { addDivision, call, createOrg, ENT, entraUser, patchOp, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';

for (const { name: dialect, skip } of DIALECTS) {
  describe(`user writes against changes made meanwhile: ${dialect}`, { skip }, () => {
    let h: Harness;
    let org: Org;
    let original: (w: UserWrite) => Promise<boolean>;
    before(async () => {
      h = await startHarness({ dialect });
      org = await createOrg(h);
      original = h.store.writeUser.bind(h.store);
    });
    after(() => h.close());

    /** Runs `meanwhile` once, just before the next write reaches the store; counts the writes. */
    const interleave = (meanwhile: () => Promise<unknown>) => {
      const seen = { writes: 0 };
      let pending: (() => Promise<unknown>) | undefined = meanwhile;
      (h.store as { writeUser: typeof original }).writeUser = async (w) => {
        seen.writes++;
        const run = pending;
        pending = undefined;
        if (run) {
          (h.store as { writeUser: typeof original }).writeUser = original; // the change itself writes normally
          try {
            await run();
          } finally {
            (h.store as { writeUser: typeof original }).writeUser = async (again) => {
              seen.writes++;
              return original(again);
            };
          }
        }
        return original(w);
      };
      return seen;
    };
    const restore = () => { (h.store as { writeUser: typeof original }).writeUser = original; };

    test('a PATCH that lost the race reads again and keeps both changes; with If-Match it is refused (400 invalidVers, as for any stale If-Match)', async () => {
      const created = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`race-${dialect}@contoso.com`) });
      const id = created.body.id as string;
      try {
        const seen = interleave(() => call(h, { method: 'PATCH', path: `/Users/${id}`, token: org.token, body: patchOp({ op: 'replace', path: 'title', value: 'Meanwhile' }) }));
        const res = await call(h, { method: 'PATCH', path: `/Users/${id}`, token: org.token, body: patchOp({ op: 'replace', path: 'displayName', value: 'Mine' }) });
        assert.equal(res.status, 200);
        assert.equal(seen.writes, 2, 'the first write found the version moved on; the second, after reading again, landed');
        assert.deepEqual([res.body.title, res.body.displayName, res.body.meta.version], ['Meanwhile', 'Mine', '"3"']);

        interleave(() => call(h, { method: 'PATCH', path: `/Users/${id}`, token: org.token, body: patchOp({ op: 'replace', path: 'title', value: 'Again' }) }));
        const pinned = await call(h, { method: 'PATCH', path: `/Users/${id}`, token: org.token, headers: { 'if-match': '"3"' }, body: patchOp({ op: 'replace', path: 'displayName', value: 'Lost' }) });
        assert.equal(pinned.status, 400);
        assert.equal(pinned.body.scimType, 'invalidVers');
      } finally {
        restore();
      }
      const now = await call(h, { path: `/Users/${id}`, token: org.token });
      assert.deepEqual([now.body.title, now.body.displayName], ['Again', 'Mine']);
      const trail = await h.store.queryAudits(org.organization.id, { resourceId: id, limit: 10 });
      assert.deepEqual(trail.entities.map((a) => a.action).sort(), ['create', 'update', 'update', 'update'], 'one audit row per accepted change, none for the lost attempts');
    });

    test('a create whose division is deleted meanwhile is a clear 400, and stores nothing', async () => {
      const divisionId = await addDivision(h, org, 'Short-lived');
      try {
        interleave(() => h.store.deleteDivision(org.organization.id, divisionId));
        const res = await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`gone-${dialect}@contoso.com`, { [ENT]: { division: 'Short-lived' } }) });
        assert.equal(res.status, 400);
        assert.equal(res.body.scimType, 'invalidValue');
        assert.match(res.body.detail, /Division "Short-lived" does not exist/);
      } finally {
        restore();
      }
      const found = await call(h, { path: `/Users?filter=${encodeURIComponent(`userName eq "gone-${dialect}@contoso.com"`)}`, token: org.token });
      assert.equal(found.body.totalResults, 0);
    });
  });
}
