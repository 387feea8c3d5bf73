// The ceiling's storage (bench/ceiling-server.ts), on the store the bench runs Scimitar on:
// SQLite (better-sqlite3, in process) or PostgreSQL (pg, a pool of Scimitar's default size), so
// that each store's ratio is to what that store allows. Each operation is the essential work
// written by hand, the way one would for that store: on PostgreSQL a write is one statement
// (data-modifying CTEs) where Scimitar's is, a PATCH reads then updates at the version it read,
// and the user count is kept in 16 slots per organization (one row would queue every create).
import Database from 'better-sqlite3';
import pg from 'pg';
import { createHash } from 'node:crypto';
import { BIG_GROUP_ID, fixtureId, fixtureUser, SMALL_GROUP_ID, type Fixture } from './fixture.ts';

export const ORG = 'org-1';
export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface UserRow { id: string; version: number; created: string; modified: string; doc: string; groups: string }
export interface GroupRow { id: string; display_name: string; version: number; modified: string }
export interface Audit { readonly actor: string; readonly action: string; readonly detail: string }
export type MemberOp = { readonly remove: boolean; readonly ids: readonly string[] };

export interface CeilingStore {
  byName(userName: string): Promise<UserRow | undefined>;
  byId(id: string): Promise<UserRow | undefined>;
  page(count: number, offset: number): Promise<{ rows: UserRow[]; total: number }>;
  /** False when the userName is taken. */
  createUser(id: string, doc: Record<string, unknown>, at: string, audit: Audit): Promise<boolean>;
  /** The row after the change, undefined when there is no such user. */
  patchUser(id: string, change: (doc: Record<string, unknown>) => void, at: string, audit: Omit<Audit, 'detail'> & { detail: string }): Promise<UserRow | undefined>;
  /** 204, 404 (no group) or 400 (a member to add is not a user). */
  changeMembers(groupId: string, ops: readonly MemberOp[], at: string, audit: Audit): Promise<204 | 400 | 404>;
  isMember(groupId: string, userId: string): Promise<GroupRow | undefined>;
  client(id: string): Promise<{ id: string; secret_hash: string } | undefined>;
  insertToken(hash: string, client: string, expires: number): Promise<void>;
  token(hash: string): Promise<{ client: string; expires: number } | undefined>;
}

export interface CeilingClient { readonly id: string; readonly secret: string }

export function openCeilingStore(f: Fixture, client: CeilingClient, o: { readonly sqlitePath?: string; readonly databaseUrl?: string }): Promise<CeilingStore> {
  return o.databaseUrl ? postgresCeiling(o.databaseUrl, f, client) : Promise.resolve(sqliteCeiling(o.sqlitePath ?? ':memory:', f, client));
}

function sqliteCeiling(path: string, f: Fixture, client: CeilingClient): CeilingStore {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`
CREATE TABLE users (id TEXT PRIMARY KEY, org TEXT NOT NULL, user_name TEXT NOT NULL COLLATE NOCASE, version INTEGER NOT NULL, created TEXT NOT NULL, modified TEXT NOT NULL, doc TEXT NOT NULL);
CREATE UNIQUE INDEX users_name ON users (org, user_name);
CREATE TABLE groups (id TEXT PRIMARY KEY, org TEXT NOT NULL, display_name TEXT NOT NULL, version INTEGER NOT NULL, modified TEXT NOT NULL);
CREATE TABLE members (group_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (group_id, user_id)) WITHOUT ROWID;
CREATE INDEX members_user ON members (user_id, group_id);
CREATE TABLE audit (seq INTEGER PRIMARY KEY, org TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE clients (id TEXT PRIMARY KEY, org TEXT NOT NULL, secret_hash TEXT NOT NULL);
CREATE TABLE org_counts (org TEXT PRIMARY KEY, users INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE tokens (hash TEXT PRIMARY KEY, client TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;
`);
  const now = new Date().toISOString();
  const insertUser = db.prepare('INSERT INTO users (id, org, user_name, version, created, modified, doc) VALUES (?, ?, ?, 1, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < f.users + f.candidates; i++) {
      const doc = fixtureUser(i);
      insertUser.run(fixtureId(i), ORG, doc.userName, now, now, JSON.stringify(doc));
    }
    const g = db.prepare('INSERT INTO groups (id, org, display_name, version, modified) VALUES (?, ?, ?, 1, ?)');
    const m = db.prepare('INSERT INTO members (group_id, user_id) VALUES (?, ?)');
    g.run(SMALL_GROUP_ID, ORG, 'Small', now);
    g.run(BIG_GROUP_ID, ORG, 'Big', now);
    for (let i = 0; i < Math.min(100, f.users); i++) m.run(SMALL_GROUP_ID, fixtureId(i));
    for (let i = 0; i < Math.min(f.bigGroup, f.users); i++) m.run(BIG_GROUP_ID, fixtureId(i));
    db.prepare('INSERT INTO org_counts (org, users) VALUES (?, ?)').run(ORG, f.users + f.candidates);
    db.prepare('INSERT INTO clients (id, org, secret_hash) VALUES (?, ?, ?)').run(client.id, ORG, sha256(client.secret));
  })();

  const userWithGroups = `SELECT u.id, u.version, u.created, u.modified, u.doc,
    (SELECT json_group_array(json_object('value', g.id, 'display', g.display_name)) FROM members m JOIN groups g ON g.id = m.group_id WHERE m.user_id = u.id) AS groups
    FROM users u`;
  const byName = db.prepare(`${userWithGroups} WHERE u.org = ? AND u.user_name = ?`);
  const byId = db.prepare(`${userWithGroups} WHERE u.org = ? AND u.id = ?`);
  // `+u.org`: walk the table in rowid order (no sort), rather than the userName index and a sort.
  const page = db.prepare(`${userWithGroups} WHERE +u.org = ? ORDER BY u.rowid LIMIT ? OFFSET ?`);
  // A page's totalResults from a count kept by each create (COUNT(*) would scan the index).
  const countUsers = db.prepare('SELECT users FROM org_counts WHERE org = ?').pluck();
  const countCreate = db.prepare('UPDATE org_counts SET users = users + 1 WHERE org = ?');
  const updateUser = db.prepare('UPDATE users SET doc = ?, version = version + 1, modified = ? WHERE id = ? AND org = ?');
  const audit = db.prepare('INSERT INTO audit (org, at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)');
  const groupOf = db.prepare('SELECT id, version FROM groups WHERE id = ? AND org = ?');
  const userExists = db.prepare('SELECT 1 FROM users WHERE id = ? AND org = ?').pluck();
  const addMember = db.prepare('INSERT OR IGNORE INTO members (group_id, user_id) VALUES (?, ?)');
  const removeMember = db.prepare('DELETE FROM members WHERE group_id = ? AND user_id = ?');
  const bumpGroup = db.prepare('UPDATE groups SET version = version + 1, modified = ? WHERE id = ?');
  const isMember = db.prepare('SELECT g.id, g.display_name, g.version, g.modified FROM groups g WHERE g.id = ? AND g.org = ? AND EXISTS (SELECT 1 FROM members m WHERE m.group_id = g.id AND m.user_id = ?)');
  const clientOf = db.prepare('SELECT id, secret_hash FROM clients WHERE id = ?');
  const insertToken = db.prepare('INSERT INTO tokens (hash, client, expires) VALUES (?, ?, ?)');
  const tokenOf = db.prepare('SELECT client, expires FROM tokens WHERE hash = ?');

  return {
    byName: async (userName) => byName.get(ORG, userName) as UserRow | undefined,
    byId: async (id) => byId.get(ORG, id) as UserRow | undefined,
    page: async (count, offset) => ({ rows: page.all(ORG, count, offset) as UserRow[], total: countUsers.get(ORG) as number }),
    async createUser(id, doc, at, a) {
      try {
        db.transaction(() => {
          insertUser.run(id, ORG, doc.userName, at, at, JSON.stringify(doc));
          countCreate.run(ORG);
          audit.run(ORG, at, a.actor, a.action, id, a.detail);
        })();
        return true;
      } catch (e) {
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
        throw e;
      }
    },
    async patchUser(id, change, at, a) {
      return db.transaction(() => {
        const r = byId.get(ORG, id) as UserRow | undefined;
        if (!r) return undefined;
        const doc = JSON.parse(r.doc) as Record<string, unknown>;
        change(doc);
        updateUser.run(JSON.stringify(doc), at, id, ORG);
        audit.run(ORG, at, a.actor, a.action, id, a.detail);
        return { ...r, doc: JSON.stringify(doc), version: r.version + 1, modified: at };
      })();
    },
    async changeMembers(groupId, ops, at, a) {
      return db.transaction((): 204 | 400 | 404 => {
        if (!groupOf.get(groupId, ORG)) return 404;
        for (const op of ops) {
          for (const userId of op.ids) {
            if (op.remove) removeMember.run(groupId, userId);
            else if (!userExists.get(userId, ORG)) return 400;
            else addMember.run(groupId, userId);
          }
        }
        bumpGroup.run(at, groupId);
        audit.run(ORG, at, a.actor, a.action, groupId, a.detail);
        return 204;
      })();
    },
    isMember: async (groupId, userId) => isMember.get(groupId, ORG, userId) as GroupRow | undefined,
    client: async (id) => clientOf.get(id) as { id: string; secret_hash: string } | undefined,
    async insertToken(hash, c, expires) {
      insertToken.run(hash, c, expires);
    },
    token: async (hash) => tokenOf.get(hash) as { client: string; expires: number } | undefined,
  };
}

const SLOTS = 16;

async function postgresCeiling(url: string, f: Fixture, client: CeilingClient): Promise<CeilingStore> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  await pool.query(`
CREATE TABLE users (id TEXT PRIMARY KEY, org TEXT NOT NULL, user_name TEXT NOT NULL, user_name_lower TEXT NOT NULL, version INTEGER NOT NULL, created TEXT NOT NULL, modified TEXT NOT NULL, doc TEXT NOT NULL, seq BIGSERIAL);
CREATE TABLE groups (id TEXT PRIMARY KEY, org TEXT NOT NULL, display_name TEXT NOT NULL, version INTEGER NOT NULL, modified TEXT NOT NULL);
CREATE TABLE members (group_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (group_id, user_id));
CREATE TABLE group_versions (group_id TEXT NOT NULL, slot INTEGER NOT NULL, n BIGINT NOT NULL, modified TEXT NOT NULL, PRIMARY KEY (group_id, slot));
CREATE TABLE audit (seq BIGSERIAL PRIMARY KEY, org TEXT NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE clients (id TEXT PRIMARY KEY, org TEXT NOT NULL, secret_hash TEXT NOT NULL);
CREATE TABLE org_counts (org TEXT NOT NULL, slot INTEGER NOT NULL, users BIGINT NOT NULL, PRIMARY KEY (org, slot));
CREATE TABLE tokens (hash TEXT PRIMARY KEY, client TEXT NOT NULL, expires BIGINT NOT NULL);
`);
  const now = new Date().toISOString();
  const total = f.users + f.candidates;
  for (let from = 0; from < total; from += 10_000) {
    const ids: string[] = [], names: string[] = [], docs: string[] = [];
    for (let i = from; i < Math.min(total, from + 10_000); i++) {
      const doc = fixtureUser(i);
      ids.push(fixtureId(i));
      names.push(doc.userName as string);
      docs.push(JSON.stringify(doc));
    }
    await pool.query(`INSERT INTO users (id, org, user_name, user_name_lower, version, created, modified, doc)
      SELECT id, $4, name, lower(name), 1, $5, $5, doc FROM unnest($1::text[], $2::text[], $3::text[]) AS t(id, name, doc) ORDER BY id`, [ids, names, docs, ORG, now]);
  }
  await pool.query(`INSERT INTO groups (id, org, display_name, version, modified) VALUES ($1, $3, 'Small', 1, $4), ($2, $3, 'Big', 1, $4)`, [SMALL_GROUP_ID, BIG_GROUP_ID, ORG, now]);
  const members = (group: string, n: number) => pool.query('INSERT INTO members (group_id, user_id) SELECT $1, unnest($2::text[])', [group, Array.from({ length: n }, (_, i) => fixtureId(i))]);
  await members(SMALL_GROUP_ID, Math.min(100, f.users));
  await members(BIG_GROUP_ID, Math.min(f.bigGroup, f.users));
  await pool.query('INSERT INTO org_counts (org, slot, users) SELECT $1, s, CASE WHEN s = 0 THEN $2::bigint ELSE 0 END FROM generate_series(0, $3 - 1) AS s', [ORG, total, SLOTS]);
  await pool.query('INSERT INTO clients (id, org, secret_hash) VALUES ($1, $2, $3)', [client.id, ORG, sha256(client.secret)]);
  // Indexes after the load, as one would; then statistics for the planner.
  await pool.query(`CREATE UNIQUE INDEX users_name ON users (org, user_name_lower);
CREATE INDEX users_seq ON users (org, seq);
CREATE INDEX members_user ON members (user_id, group_id);
ANALYZE;`);

  // Every statement prepared once per connection (a name per text), as Scimitar's are.
  const names = new Map<string, string>();
  const q = async <T>(text: string, values: unknown[]): Promise<T[]> => {
    let name = names.get(text);
    if (!name) names.set(text, (name = `c${names.size + 1}`));
    return (await pool.query({ name, text, values })).rows as T[];
  };
  const userWithGroups = `SELECT u.id, u.version, u.created, u.modified, u.doc,
    (SELECT coalesce(json_agg(json_build_object('value', g.id, 'display', g.display_name)), '[]'::json)::text FROM members m JOIN groups g ON g.id = m.group_id WHERE m.user_id = u.id) AS groups
    FROM users u`;
  const first = <T>(rows: T[]) => rows[0];

  return {
    byName: async (userName) => first(await q<UserRow>(`${userWithGroups} WHERE u.org = $1 AND u.user_name_lower = lower($2)`, [ORG, userName])),
    byId: async (id) => first(await q<UserRow>(`${userWithGroups} WHERE u.org = $1 AND u.id = $2`, [ORG, id])),
    async page(count, offset) {
      // The page's rows first (the index walked, OFFSET rows skipped unread), then their groups:
      // a select-list subquery over the whole OFFSET would run for every skipped row.
      const rows = await q<UserRow & { total: string }>(`${userWithGroups.replace('FROM users u', ', (SELECT sum(users) FROM org_counts WHERE org = $1) AS total FROM (SELECT * FROM users WHERE org = $1 ORDER BY seq LIMIT $2 OFFSET $3) u')} ORDER BY u.seq`, [ORG, count, offset]);
      return { rows, total: rows.length > 0 ? Number(rows[0].total) : Number((await q<{ n: string }>('SELECT sum(users) AS n FROM org_counts WHERE org = $1', [ORG]))[0].n) };
    },
    async createUser(id, doc, at, a) {
      try {
        // One statement: the user, a count slot picked at random, the audit row.
        await q(`WITH u AS (INSERT INTO users (id, org, user_name, user_name_lower, version, created, modified, doc) VALUES ($5, $1, $7, lower($7), 1, $2, $2, $8) RETURNING id),
          c AS (UPDATE org_counts SET users = users + 1 WHERE org = $1 AND slot = $9)
          INSERT INTO audit (org, at, actor, action, target, detail) SELECT $1, $2, $3, $4, u.id, $6 FROM u`,
        [ORG, at, a.actor, a.action, id, a.detail, doc.userName, JSON.stringify(doc), Math.floor(Math.random() * SLOTS)]);
        return true;
      } catch (e) {
        if ((e as { code?: string }).code === '23505') return false;
        throw e;
      }
    },
    async patchUser(id, change, at, a) {
      // Read, then update at the version read (one statement with its audit row); again if another write came between.
      for (;;) {
        const r = first(await q<UserRow>(`${userWithGroups} WHERE u.org = $1 AND u.id = $2`, [ORG, id]));
        if (!r) return undefined;
        const doc = JSON.parse(r.doc) as Record<string, unknown>;
        change(doc);
        const text = JSON.stringify(doc);
        const done = await q(`WITH u AS (UPDATE users SET doc = $7, version = version + 1, modified = $2 WHERE id = $5 AND org = $1 AND version = $8 RETURNING id)
          INSERT INTO audit (org, at, actor, action, target, detail) SELECT $1, $2, $3, $4, u.id, $6 FROM u RETURNING seq`, [ORG, at, a.actor, a.action, id, a.detail, text, r.version]);
        if (done.length === 1) return { ...r, doc: text, version: r.version + 1, modified: at };
      }
    },
    async changeMembers(groupId, ops, at, a) {
      const adds = [...new Set(ops.filter((o) => !o.remove).flatMap((o) => o.ids))];
      const removes = [...new Set(ops.filter((o) => o.remove).flatMap((o) => o.ids))];
      if (adds.length > 0 && Number((await q<{ n: string }>('SELECT count(*) AS n FROM users WHERE org = $1 AND id = ANY($2::text[])', [ORG, adds]))[0].n) < adds.length) return 400;
      // One statement: the group row held against deletion (not locked for its version: the
      // change is counted in the connection's version slot, as Scimitar's are), the rows, the
      // count, the audit row.
      const rows = await q(`WITH g AS (SELECT id FROM groups WHERE id = $5 AND org = $1 FOR KEY SHARE),
          added AS (INSERT INTO members (group_id, user_id) SELECT g.id, unnest($7::text[]) FROM g ON CONFLICT DO NOTHING),
          removed AS (DELETE FROM members WHERE group_id IN (SELECT id FROM g) AND user_id = ANY($8::text[])),
          counted AS (INSERT INTO group_versions AS v (group_id, slot, n, modified) SELECT id, pg_backend_pid() % ${SLOTS}, 1, $2 FROM g
            ON CONFLICT (group_id, slot) DO UPDATE SET n = v.n + 1, modified = GREATEST(v.modified, excluded.modified) RETURNING group_id)
        INSERT INTO audit (org, at, actor, action, target, detail) SELECT $1, $2, $3, $4, group_id, $6 FROM counted RETURNING seq`,
      [ORG, at, a.actor, a.action, groupId, a.detail, adds, removes]);
      return rows.length === 1 ? 204 : 404;
    },
    isMember: async (groupId, userId) => first(await q<GroupRow>(`SELECT g.id, g.display_name,
        g.version + COALESCE((SELECT SUM(v.n) FROM group_versions v WHERE v.group_id = g.id), 0) AS version,
        COALESCE((SELECT MAX(v.modified) FROM group_versions v WHERE v.group_id = g.id AND v.modified > g.modified), g.modified) AS modified
      FROM groups g WHERE g.id = $1 AND g.org = $2 AND EXISTS (SELECT 1 FROM members m WHERE m.group_id = g.id AND m.user_id = $3)`, [groupId, ORG, userId])),
    client: async (id) => first(await q<{ id: string; secret_hash: string }>('SELECT id, secret_hash FROM clients WHERE id = $1', [id])),
    async insertToken(hash, c, expires) {
      await q(`INSERT INTO tokens (hash, client, expires) VALUES ($1, $2, $3)`, [hash, c, expires]);
    },
    async token(hash) {
      const r = first(await q<{ client: string; expires: string }>('SELECT client, expires FROM tokens WHERE hash = $1', [hash]));
      return r ? { client: r.client, expires: Number(r.expires) } : undefined;
    },
  };
}
