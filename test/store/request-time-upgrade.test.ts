// Migration 22 on both stores: a request log written before it (times as ISO text only, an
// index on that text) opens with this version with every row's epoch time filled in, so the
// page's from/to, the 24-hour chart and the retention purge see the old rows as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/contract.ts';
import { createOrganization } from '../../src/directory/organizations.ts';
import { inStoreFile } from '../helpers/store-file.ts';
import { dropSchema, freshSchemaName, openTestPostgres, postgresSkipReason, POSTGRES_URL } from '../helpers/postgres.ts';

const REWIND = [
  'DROP INDEX requests_at',
  'ALTER TABLE requests DROP COLUMN at',
  'CREATE INDEX requests_time ON requests(time)',
  'DELETE FROM schema_migrations WHERE version = 22',
];

const HOUR = 3_600_000;

/** Writes three requests (ten days, two hours and ten minutes old), rewinds, reopens, checks. */
async function upgrade(open: () => Promise<Store>, rewind: () => Promise<void>): Promise<void> {
  const now = Date.now();
  let store = await open();
  const org = await createOrganization(store, { name: 'logged-earlier', scimProfile: 'genesys' });
  const orgId = org.organization.id;
  const ages = { old: 240 * HOUR, recent: 2 * HOUR, latest: HOUR / 6 };
  await store.transaction((tx) => tx.insertRequests(Object.entries(ages).map(([name, age]) => ({
    id: name, orgId, time: new Date(now - age).toISOString(), method: 'GET', path: `/api/v2/scim/v2/Users?marker=${name}`, status: 200, durationMs: 1, auth: 'bearer token',
  }))));
  await store.close();
  await rewind();
  store = await open();
  try {
    const since = (hours: number) => new Date(now - hours * HOUR).toISOString();
    const day = await store.queryRequests(orgId, { limit: 10, newestFirst: true, from: since(24) });
    assert.deepEqual(day.entities.map((r) => r.id), ['latest', 'recent']);
    const before = await store.queryRequests(orgId, { limit: 10, newestFirst: true, to: since(1) });
    assert.deepEqual(before.entities.map((r) => r.id), ['recent', 'old']);
    const buckets = await store.requestBuckets(orgId, since(23), false);
    assert.equal(buckets.reduce((n, b) => n + b.ok, 0), 2);
    assert.equal(await store.pruneRequests(since(24 * 7), 1000), 1, 'the ten-day-old request is purged');
    // Rows written now carry their epoch time too.
    await store.transaction((tx) => tx.insertRequests([{ id: 'new', orgId, time: new Date(now).toISOString(), method: 'GET', path: '/x', status: 401, durationMs: 1, auth: 'no token' }]));
    assert.deepEqual((await store.queryRequests(orgId, { limit: 10, newestFirst: true, from: since(0.5) })).entities.map((r) => r.id), ['new', 'latest']);
  } finally {
    await store.close();
  }
}

test('migration 22 (SQLite): an earlier request log keeps its time range', () => inStoreFile((path) => upgrade(async () => openSqliteStore({ path }), async () => {
  const db = new Database(path);
  for (const sql of REWIND) db.exec(sql);
  db.close();
})));

const skip = await postgresSkipReason();

test('migration 22 (PostgreSQL): an earlier request log keeps its time range', { skip }, async () => {
  const schema = freshSchemaName();
  try {
    await upgrade(async () => (await openTestPostgres({ schema })).store, async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
      await c.connect();
      try {
        for (const sql of REWIND) await c.query(sql);
      } finally {
        await c.end();
      }
    });
  } finally {
    await dropSchema(schema);
  }
});
