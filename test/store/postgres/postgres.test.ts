// PostgreSQL-only behaviour: index use proven with EXPLAIN, 503 on a dropped connection and
// recovery, uniqueness races between two nodes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { adminQuery, openTestPostgres, postgresSkipReason, POSTGRES_URL } from '../../helpers/postgres.ts';
import { numberPlaceholders, POSTGRES_FEATURES } from '../../../src/store/postgres/postgres-store.ts';
import { userPageSelect } from '../../../src/store/sql/rows.ts';
import { compileFilter, GROUP_COLUMNS, USER_COLUMNS } from '../../../src/store/sql/filter-sql.ts';
import { bindFilter, createRegistry, parseFilter, ScimError } from '../../../src/scim/index.ts';
import { buildApp } from '../../../src/http/app.ts';
import { createServices } from '../../../src/services.ts';
import { createOrganization } from '../../../src/directory/organizations.ts';
import type { Store } from '../../../src/store/contract.ts';
import pg from 'pg';

const skip = await postgresSkipReason();
const registry = createRegistry('genesys');

describe('PostgreSQL', { skip }, () => {
  let store: Store;
  let schema: string;
  let cleanup: () => Promise<void>;
  let orgId: string;
  const appName = `scimitar-test-${randomUUID().slice(0, 8)}`;

  before(async () => {
    ({ store, schema, cleanup } = await openTestPostgres({ applicationName: appName }));
    const org = await createOrganization(store, { name: 'big', scimProfile: 'genesys' });
    orgId = org.organization.id;
    // 30,000 users, 5,000 groups, one of 30,000 members: enough rows for the planner to care.
    const c = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
    await c.connect();
    try {
      await c.query(
        `INSERT INTO users (id, org_id, user_name, user_name_lower, external_id, display_name, display_name_lower, active, division_id, version, created, last_modified, data)
         SELECT 'u' || i, $1, 'User' || i || '@x.com', 'user' || i || '@x.com', 'ext' || i, 'User ' || i, 'user ' || i, 1, $2, 1, now()::text, now()::text, '{}'
         FROM generate_series(1, 30000) AS i`,
        [orgId, org.homeDivisionId],
      );
      await c.query(`INSERT INTO groups (id, org_id, display_name, display_name_lower, type, visibility, version, created, last_modified) VALUES ('g1', $1, 'Big', 'big', 'official', 'public', 1, now()::text, now()::text)`, [orgId]);
      await c.query(`INSERT INTO groups (id, org_id, display_name, display_name_lower, type, visibility, version, created, last_modified)
         SELECT 'g' || i, $1, 'Group ' || i, 'group ' || i, 'official', 'public', 1, now()::text, now()::text FROM generate_series(2, 5000) AS i`, [orgId]);
      await c.query(`INSERT INTO group_members (group_id, user_id) SELECT 'g1', 'u' || i FROM generate_series(1, 30000) AS i`);
      await c.query('ANALYZE');
    } finally {
      await c.end();
    }
  });
  after(() => cleanup());

  async function plan(sql: string, params: unknown[]): Promise<string> {
    const c = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
    await c.connect();
    try {
      const rows = (await c.query(`EXPLAIN ${numberPlaceholders(sql)}`, params)).rows as { 'QUERY PLAN': string }[];
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      await c.end();
    }
  }

  test('userName, externalId, displayName and membership lookups use indexes, not sequential scans', async () => {
    const cases: [string, 'User' | 'Group'][] = [
      ['userName eq "USER123@x.com"', 'User'],
      ['externalId eq "ext77"', 'User'],
      ['displayName eq "user 5"', 'User'],
      ['id eq "g1" and members[value eq "u29999"]', 'Group'],
      ['displayName eq "BIG"', 'Group'],
    ];
    for (const [filter, type] of cases) {
      const c = compileFilter(bindFilter(registry, registry.resourceType(type)!, parseFilter(filter)), type === 'User' ? USER_COLUMNS : GROUP_COLUMNS)!;
      const table = type === 'User' ? 'users u' : 'groups g';
      const alias = type === 'User' ? 'u' : 'g';
      const p = await plan(`SELECT ${alias}.id FROM ${table} WHERE ${alias}.org_id = ? AND ${c.sql}`, [orgId, ...c.params]);
      assert.doesNotMatch(p, /Seq Scan on (users|groups|group_members)/, `${filter}:\n${p}`);
      assert.match(p, /Index/, `${filter}:\n${p}`);
    }
  });

  test('a page of users under the generic plan of a named statement: no sort, no sequential scan of users, with or without statistics', async () => {
    // As queryUsers sends it: the kept total joined to the rows.
    const total = 'SELECT COALESCE(SUM(active), 0) AS n FROM org_user_counts WHERE org_id = ?';
    const sql = numberPlaceholders(userPageSelect(POSTGRES_FEATURES, { visibility: 'public' })('WHERE u.org_id = ? AND u.active = 1', 'u.seq', 'LIMIT 100', total));
    const genericPlan = async (inSchema: string, org: string) => {
      const c = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${inSchema}` });
      await c.connect();
      try {
        // What a named statement settles on after its first executions.
        await c.query('SET plan_cache_mode = force_generic_plan');
        await c.query(`PREPARE page(text, text, int) AS ${sql}`);
        return ((await c.query(`EXPLAIN EXECUTE page('${org}', '${org}', 0)`)).rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        await c.end();
      }
    };
    const analysed = await genericPlan(schema, orgId);
    assert.doesNotMatch(analysed, /Seq Scan on users|Sort Key: u\./, analysed);
    // The kept total is read once per page, not once per row (joined as a table, it was).
    assert.match(analysed, /InitPlan[^\n]*\n[^\n]*Aggregate[\s\S]*org_user_counts/, analysed);
    // Just after a bulk load, before autovacuum has analysed anything.
    const fresh = await openTestPostgres();
    try {
      const org = await createOrganization(fresh.store, { name: 'fresh', scimProfile: 'genesys' });
      await adminQuery(
        `INSERT INTO ${fresh.schema}.users (id, org_id, user_name, user_name_lower, active, division_id, version, created, last_modified, data)
         SELECT 'f' || i, $1, 'f' || i || '@x.com', 'f' || i || '@x.com', 1, $2, 1, now()::text, now()::text, '{}' FROM generate_series(1, 20000) AS i`,
        [org.organization.id, org.homeDivisionId],
      );
      const unanalysed = await genericPlan(fresh.schema, org.organization.id);
      assert.doesNotMatch(unanalysed, /Seq Scan on users|Sort Key: u\./, unanalysed);
    } finally {
      await fresh.cleanup();
    }
  });

  test('user counts in slots: exact totals through concurrent creates, deactivations and deletes', async () => {
    const total = async (activeOnly: boolean) => (await store.queryUsers(orgId, { matches: () => true, startIndex: 1, count: 0, activeOnly })).total;
    assert.deepEqual([await total(false), await total(true)], [30000, 30000], 'rows inserted before and by plain SQL are counted');
    const { homeDivisionId } = (await store.listDivisions(orgId)).filter((d) => d.isHome).map((d) => ({ homeDivisionId: d.id }))[0];
    const now = new Date().toISOString();
    const made = Array.from({ length: 60 }, (_, i) => ({
      id: randomUUID(), orgId, userName: `slot${i}@x.com`, active: true, divisionId: homeDivisionId, version: 1, created: now, lastModified: now, data: {},
    }));
    await Promise.all(made.map((user) => store.writeUser({ user, audit: { id: randomUUID(), orgId, time: now, action: 'create', resourceType: 'User', resourceId: user.id, changes: {} } })));
    await Promise.all(made.slice(0, 10).map((u) => store.writeUser({ user: { ...u, active: false, version: 2 }, previous: u, audit: { id: randomUUID(), orgId, time: now, action: 'update', resourceType: 'User', resourceId: u.id, changes: {} } })));
    await Promise.all(made.slice(50).map((u) => store.deleteUser(orgId, u.id)));
    assert.deepEqual([await total(false), await total(true)], [30050, 30040]);
    const slots = await adminQuery<{ n: string }>(`SELECT COUNT(*) AS n FROM ${schema}.org_user_counts WHERE org_id = $1`, [orgId]);
    assert.ok(Number(slots[0].n) > 1, 'the changes spread over several slots');
  });

  test('the case-insensitive uniqueness check is an index lookup too', async () => {
    const p = await plan('SELECT 1 FROM users WHERE org_id = ? AND user_name_lower = ?', [orgId, 'user9@x.com']);
    assert.match(p, /users_org_user_name/);
  });

  test('a connection dropped mid-request gives 503 with Retry-After; the next request works', async () => {
    const terminate = () => adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, [appName]);
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.getOrganization(orgId);
        await terminate();
        await tx.getOrganization(orgId);
      }),
      (e: unknown) => e instanceof ScimError && e.status === 503 && e.headers['retry-after'] === '5',
    );
    await terminate(); // idle pooled connections too
    let ok = false;
    for (let i = 0; i < 3 && !ok; i++) ok = (await store.getOrganization(orgId).catch(() => undefined)) !== undefined;
    assert.ok(ok, 'the pool reconnected by itself');
    assert.equal((await store.getOrganization(orgId))?.name, 'big');
  });

  test('two nodes: the same userName at once gives one 201 and one 409; racing group writes all land', async () => {
    const second = await openTestPostgres({ schema });
    try {
      const nodes = await Promise.all([store, second.store].map((s) => buildApp(createServices(s, { tokenTtlSeconds: 3600, tokenCacheTtlMs: 5000 }), { publicUrl: 'http://x', bodyLimitBytes: 1 << 20, logLevel: false })));
      const org = await createOrganization(store, { name: 'race', scimProfile: 'genesys' });
      const tok = (await nodes[0].inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `grant_type=client_credentials&client_id=${org.clientId}&client_secret=${org.clientSecret}` })).json().access_token;
      for (let round = 0; round < 10; round++) {
        const body = { userName: `race${round}@x.com`, displayName: 'R' };
        const res = await Promise.all(nodes.map((n) => n.inject({ method: 'POST', url: '/api/v2/scim/v2/Users', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/scim+json' }, payload: body })));
        assert.deepEqual(res.map((r) => r.statusCode).sort(), [201, 409], `round ${round}`);
      }
      // Member adds on one node racing attribute changes on the other: no spurious conflict.
      const g = (await nodes[0].inject({ method: 'POST', url: '/api/v2/groups', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' }, payload: { name: 'Racing' } })).json();
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        ids.push((await nodes[i % 2].inject({ method: 'POST', url: '/api/v2/scim/v2/Users', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/scim+json' }, payload: { userName: `racer${i}@x.com`, displayName: 'R' } })).json().id);
      }
      const patch = (node: number, ops: unknown[]) => nodes[node].inject({ method: 'PATCH', url: `/api/v2/scim/v2/Groups/${g.id}`, headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/scim+json' }, payload: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: ops } });
      const results = await Promise.all([
        ...ids.map((id) => patch(0, [{ op: 'Add', path: 'members', value: [{ value: id }] }])),
        ...Array.from({ length: 5 }, (_, i) => patch(1, [{ op: 'Replace', path: 'externalId', value: `ext-${i}` }])),
      ]);
      assert.deepEqual([...new Set(results.map((r) => r.statusCode))], [204], results.map((r) => r.body).filter(Boolean).join('\n'));
      const final = (await nodes[1].inject({ method: 'GET', url: `/api/v2/scim/v2/Groups/${g.id}`, headers: { authorization: `Bearer ${tok}` } })).json();
      assert.equal(final.members.length, 20);
      assert.match(final.externalId, /^ext-\d$/);
      await Promise.all(nodes.map((n) => n.close()));
    } finally {
      await second.store.close();
    }
  });
});
