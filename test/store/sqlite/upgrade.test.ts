// A store written by an earlier version opens with this one and keeps its data; migration 10
// narrows the default SCIM Provisioning role it was made with, and leaves an edited one alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { createOrganization, SCIM_PROVISIONING_PERMISSIONS } from '../../../src/directory/organizations.ts';
import { inStoreFile } from '../../helpers/store-file.ts';

const EARLIER_DEFAULT = ['directory:user:*', 'directory:group:*', 'authorization:grant:add', 'authorization:grant:delete', 'routing:skill:assign', 'routing:language:assign', 'telephony:extension:assign'];

test('migration 10: the earlier default provisioning role loses setPassword and grant rights; an edited one is kept', async () => {
  await inStoreFile(async (path) => {
    let store = openSqliteStore({ path });
    const a = await createOrganization(store, { name: 'made-earlier', scimProfile: 'genesys' });
    const b = await createOrganization(store, { name: 'edited-earlier', scimProfile: 'genesys' });
    await store.close();
    // Rewind the file to what the previous version left: its default role, no migration 10.
    const db = new Database(path);
    db.prepare('UPDATE roles SET permissions = ? WHERE id = ?').run(JSON.stringify(EARLIER_DEFAULT), a.scimRoleId);
    db.prepare('UPDATE roles SET permissions = ? WHERE id = ?').run(JSON.stringify([...EARLIER_DEFAULT, 'audits:audit:view']), b.scimRoleId);
    db.prepare('DELETE FROM schema_migrations WHERE version = 10').run();
    db.close();

    store = openSqliteStore({ path });
    try {
      assert.deepEqual((await store.getRole(a.organization.id, a.scimRoleId))!.permissions, [...SCIM_PROVISIONING_PERMISSIONS]);
      assert.deepEqual((await store.getRole(b.organization.id, b.scimRoleId))!.permissions, [...EARLIER_DEFAULT, 'audits:audit:view'], 'a role edited since is left as the administrator made it');
      assert.ok(await store.getClient(a.clientId), 'everything else is still there');
      assert.equal((await store.listRoles(a.organization.id)).length, 2);
    } finally {
      await store.close();
    }
  });
});

test('migrations 20 and 21: a provisioning log and jobs written before on-demand steps and the current cycle were kept open intact; new entries keep their steps', async () => {
  await inStoreFile(async (path) => {
    let store = openSqliteStore({ path });
    const a = await createOrganization(store, { name: 'with-jobs', scimProfile: 'genesys' });
    await store.createJob({
      id: 'j1', orgId: a.organization.id, name: 'made earlier', created: '2026-12-01T00:00:00.000Z', config: { source: { type: 'directory' } }, targetSecret: 'sealed',
      status: 'running', pilot: false, position: { commit: '0', seq: 7 }, nextFull: 0, nextRun: 0, health: { quarantined: false, level: 0 },
    });
    await store.close();
    // Rewind the file to version 19: no steps or current-cycle column, and a log entry written then.
    const db = new Database(path);
    db.exec('ALTER TABLE provisioning_log DROP COLUMN steps');
    db.exec('ALTER TABLE provisioning_jobs DROP COLUMN current_cycle');
    db.prepare('DELETE FROM schema_migrations WHERE version IN (20, 21)').run();
    db.prepare("INSERT INTO provisioning_log (job_id, org_id, time, cycle, object_kind, source_id, name, action, changes) VALUES ('j1', ?, '2026-12-01T00:00:00.000Z', 'full', 'user', 'u1', 'old@contoso.com', 'update', ?)")
      .run(a.organization.id, JSON.stringify([{ path: 'title', before: 'A', after: 'B' }]));
    db.close();

    store = openSqliteStore({ path });
    try {
      const job = await store.getJob(a.organization.id, 'j1');
      assert.deepEqual([job?.name, job?.position.seq, job?.currentCycle], ['made earlier', 7, undefined]);
      const [old] = await store.listJobLogs(a.organization.id, 'j1', { limit: 10 });
      assert.deepEqual([old.name, old.action, old.changes, old.steps], ['old@contoso.com', 'update', [{ path: 'title', before: 'A', after: 'B' }], undefined]);
      const steps = [{ request: { method: 'POST', path: '/Users', body: { userName: 'new@contoso.com' }, validateOnly: false }, response: { status: 201, body: { id: 't1' } } }];
      await store.insertJobLogs([{ jobId: 'j1', orgId: a.organization.id, time: new Date().toISOString(), cycle: 'on-demand', objectKind: 'user', sourceId: 'u2', name: 'new@contoso.com', action: 'create', steps }]);
      assert.deepEqual((await store.listJobLogs(a.organization.id, 'j1', { limit: 1 }))[0].steps, steps);
    } finally {
      await store.close();
    }
  });
});
