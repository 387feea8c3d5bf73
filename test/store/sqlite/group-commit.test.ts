// Group commit on SQLite: concurrent transactions share one WAL commit, each in its own
// savepoint. A failing one rolls back only its own writes and gets its own error; no read
// sees a write before it is committed; an acknowledged write survives kill -9.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { UniqueViolation, type Store, type UserRecord } from '../../../src/store/contract.ts';

let dir: string;
let store: Store;
let orgId: string;
let home: string;
const now = () => new Date().toISOString();
const user = (userName: string): UserRecord => ({
  id: randomUUID(), orgId, userName, active: true, divisionId: home, version: 1, created: now(), lastModified: now(), data: { userName }, displayName: userName,
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scimitar-gc-'));
  store = openSqliteStore({ path: join(dir, 'gc.db') });
  orgId = randomUUID();
  home = randomUUID();
  await store.createOrganization({ id: orgId, name: 'gc', scimProfile: 'genesys', created: now() });
  await store.createDivision({ id: home, orgId, name: 'Home', isHome: true, created: now() });
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('concurrent transactions share commits; a failing one rolls back only its own writes and gets its own error', async () => {
  await store.insertUser(user('taken@x.com'));
  const before = store.commitStats();
  const users = Array.from({ length: 20 }, (_, i) => user(`gc${i}@x.com`));
  const outcomes = await Promise.allSettled(users.map((u, i) => store.transaction(async (tx) => {
    await tx.insertUser(u);
    // The 7th also inserts a user whose userName is taken: only its transaction fails.
    if (i === 7) await tx.insertUser(user('taken@x.com'));
    if (i === 11) throw new Error('refused by a rule');
    return u.id;
  })));
  const after = store.commitStats();
  assert.equal(after.transactions - before.transactions, 20);
  assert.ok(after.commits - before.commits < 20, `${after.commits - before.commits} commits for 20 transactions`);
  assert.ok(outcomes[7].status === 'rejected' && outcomes[7].reason instanceof UniqueViolation);
  assert.ok(outcomes[11].status === 'rejected' && (outcomes[11].reason as Error).message === 'refused by a rule');
  for (const [i, o] of outcomes.entries()) {
    const found = await store.getUser(orgId, users[i].id);
    if (i === 7 || i === 11) assert.equal(found, undefined, `transaction ${i} left nothing`);
    else {
      assert.equal(o.status, 'fulfilled');
      assert.equal(found?.id, (o as PromiseFulfilledResult<string>).value);
    }
  }
});

test('a read never sees a write before its commit, and a write is answered only once committed', async () => {
  const other = new Database(join(dir, 'gc.db'), { readonly: true });
  const committed = () => other.prepare('SELECT count(*) FROM users WHERE user_name = ?').pluck().get('pending@x.com');
  const u = user('pending@x.com');
  let answered = false;
  const write = store.transaction(async (tx) => tx.insertUser(u)).then(() => (answered = true));
  // The transaction has run (its savepoint released) but the shared commit waits a turn of
  // the event loop: a read issued now sees the last committed state, never the pending write.
  for (let i = 0; i < 5; i++) await new Promise((r) => queueMicrotask(() => r(undefined)));
  const seen = await store.getUser(orgId, u.id);
  // Whatever the read returned, another connection (what survives a crash) already has it.
  assert.equal(committed(), seen ? 1 : 0, 'the read returned only committed data');
  assert.equal(answered, false, 'not answered before the commit');
  await write;
  assert.ok(answered);
  assert.equal(committed(), 1);
  assert.equal((await store.getUser(orgId, u.id))?.id, u.id, 'a read after the answer sees the write');
  other.close();
});

test('acknowledged writes survive kill -9 of the process that made them', async () => {
  const path = join(dir, 'kill.db');
  const seed = openSqliteStore({ path });
  const org = randomUUID();
  const div = randomUUID();
  await seed.createOrganization({ id: org, name: 'k', scimProfile: 'genesys', created: now() });
  await seed.createDivision({ id: div, orgId: org, name: 'Home', isHome: true, created: now() });
  await seed.close();
  // A child writes transactions concurrently and prints each acknowledged id; it is killed mid-stream.
  const script = join(dir, 'writer.ts');
  writeFileSync(script, `
    import { randomUUID } from 'node:crypto';
    import { openSqliteStore } from ${JSON.stringify(new URL('../../../src/store/sqlite/sqlite-store.ts', import.meta.url).pathname)};
    const store = openSqliteStore({ path: ${JSON.stringify(path)} });
    let i = 0;
    const one = async () => {
      for (;;) {
        const n = i++;
        const t = new Date().toISOString();
        const id = randomUUID();
        await store.transaction((tx) => tx.insertUser({ id, orgId: ${JSON.stringify(org)}, userName: 'k' + n + '@x.com', active: true, divisionId: ${JSON.stringify(div)}, version: 1, created: t, lastModified: t, data: {} }));
        process.stdout.write(id + '\\n');
      }
    };
    for (let c = 0; c < 16; c++) void one();
  `);
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    if (out.split('\n').length > 300) child.kill('SIGKILL');
  });
  await new Promise((r) => child.on('exit', r));
  const acked = out.split('\n').filter(Boolean);
  assert.ok(acked.length >= 300, `${acked.length} acknowledged before the kill`);
  const reopened = openSqliteStore({ path });
  try {
    for (const id of acked) assert.ok(await reopened.getUser(org, id), `${id} was acknowledged and must survive`);
  } finally {
    await reopened.close();
  }
});
