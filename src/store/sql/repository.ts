// The Repository contract in portable SQL (SQLite and PostgreSQL both run it). Dialects
// differ only in their executor: placeholders, error codes, transactions.
import { scimErrors, type SortKey } from '../../scim/index.ts';
import type {
  AuditPage, AuditQuery, AuditRecord, TrailQuery, Division, DivisionFilter, GroupQuery, Keyset, GroupRecord, GroupRef, GroupVisibility, MembersWrite, MemberRef, NamedEntity, NamedKind, OAuthClient,
  Organization, Page, Repository, RequestRecord, Role, TokenRecord, UserQuery, UserRecord, UserRow, UserWrite,
} from '../contract.ts';
import { GROUP_SELECT, toClient, toDivision, toGroup, toOrg, toRole, toUser, userPageSelect, userSelect } from './rows.ts';
import { compileFilter, groupColumns, userColumns, type ColumnMap, type SqlCondition } from './filter-sql.ts';
import type { DialectFeatures, QueryLimits, Row, SqlExecutor } from './executor.ts';

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * A LIMIT written into the SQL rather than bound: PostgreSQL plans a named statement once
 * (generic plan) and guesses a bound LIMIT at a tenth of the table, which made it hash-join
 * the whole users table for a page of 100 (18 ms instead of 0.9). Page sizes are few, so the
 * statement texts stay few; OFFSET stays bound. Only a whole number ever reaches the SQL.
 */
function limit(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`invalid LIMIT ${n}`);
  return `LIMIT ${n}`;
}
const CHUNK = 500;

/** `AND <column> IN (...)` for a division filter, or nothing when every division is allowed. */
function inDivisions(column: string, divisions: DivisionFilter): { sql: string; params: readonly string[] } {
  if (divisions === undefined) return { sql: '', params: [] };
  if (divisions.length === 0) return { sql: ' AND 1 = 0', params: [] };
  return { sql: ` AND ${column} IN (${placeholders(divisions.length)})`, params: divisions };
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

interface PlanInput<T> {
  readonly from: string;
  readonly where: string[];
  readonly params: unknown[];
  readonly columns: ColumnMap;
  readonly select: string;
  /** The page query for a WHERE clause, an ORDER BY and a LIMIT clause (limit()), with the OFFSET placeholder last. */
  readonly pageSelect?: (where: string, order: string, limit: string) => string;
  readonly seq: string;
  readonly map: (r: Row) => T;
  readonly q: { filter?: UserQuery['filter']; matches: (row: T) => boolean | Promise<boolean>; startIndex: number; count: number; sort?: SortKey; keyset?: Keyset };
  readonly sortValue: (row: T, sort: SortKey) => unknown;
  /** A cheaper exact total than COUNT(*), when the dialect keeps one for this query. */
  readonly total?: () => Promise<number>;
}

function compareSortValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return 1; // absent values sort last (RFC 7644 3.4.2.3)
  if (b === undefined || b === null) return -1;
  const x = typeof a === 'string' ? a.toLowerCase() : a;
  const y = typeof b === 'string' ? b.toLowerCase() : b;
  return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0;
}

/** The WHERE of a trail page (audits, refusals): organization, client, time range, position in the order asked. */
function trailWhere(orgId: string, q: TrailQuery): { where: string[]; params: unknown[] } {
  const where = ['org_id = ?'];
  const params: unknown[] = [orgId];
  const add = (sql: string, v: unknown) => {
    where.push(sql);
    params.push(v);
  };
  if (q.clientId !== undefined) add('client_id = ?', q.clientId);
  if (q.from !== undefined) add('time >= ?', q.from);
  if (q.to !== undefined) add('time < ?', q.to);
  if (q.after !== undefined) add(q.newestFirst ? 'seq < ?' : 'seq > ?', q.after);
  return { where, params };
}

const AUDIT_COLUMNS = 'id, org_id, time, client_id, request_id, action, resource_type, resource_id, division_id, changes';
const auditParams = (a: AuditRecord): unknown[] =>
  [a.id, a.orgId, a.time, a.clientId ?? null, a.requestId ?? null, a.action, a.resourceType, a.resourceId, a.divisionId ?? null, JSON.stringify(a.changes)];

interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

const auditInsert = (a: AuditRecord): Statement => ({ sql: `INSERT INTO audits (${AUDIT_COLUMNS}) VALUES (${placeholders(10)})`, params: auditParams(a) });

function userInsert(u: UserRecord): Statement {
  return {
    sql: `INSERT INTO users (id, org_id, user_name, user_name_lower, external_id, display_name, display_name_lower, active, division_id,
      manager_id, version, created, last_modified, data, password_hash) VALUES (${placeholders(15)})`,
    params: [u.id, u.orgId, u.userName, u.userName.toLowerCase(), u.externalId ?? null, u.displayName ?? null, u.displayName?.toLowerCase() ?? null,
      u.active ? 1 : 0, u.divisionId, u.managerId ?? null, u.version, u.created, u.lastModified, JSON.stringify(u.data), u.passwordHash ?? null],
  };
}

/** `u` over `previous` if the stored version is still previous.version (one row, or none). */
function userUpdate(u: UserRecord, previous: UserRecord): Statement {
  const columns: [string, unknown, unknown][] = [
    ['user_name', u.userName, previous.userName],
    ['user_name_lower', u.userName.toLowerCase(), previous.userName.toLowerCase()],
    ['external_id', u.externalId ?? null, previous.externalId ?? null],
    ['display_name', u.displayName ?? null, previous.displayName ?? null],
    ['display_name_lower', u.displayName?.toLowerCase() ?? null, previous.displayName?.toLowerCase() ?? null],
    ['active', u.active ? 1 : 0, previous.active ? 1 : 0],
    ['division_id', u.divisionId, previous.divisionId],
    ['manager_id', u.managerId ?? null, previous.managerId ?? null],
    ['password_hash', u.passwordHash ?? null, previous.passwordHash ?? null],
  ];
  // SQLite rewrites every index on a column named in SET; name only what changed.
  const changed = columns.filter(([, next, prev]) => next !== prev);
  return {
    sql: `UPDATE users SET ${[...changed.map(([c]) => `${c} = ?`), 'version = ?', 'last_modified = ?', 'data = ?'].join(', ')}
      WHERE org_id = ? AND id = ? AND version = ?`,
    params: [...changed.map(([, v]) => v), u.version, u.lastModified, JSON.stringify(u.data), u.orgId, u.id, previous.version],
  };
}

export function createSqlRepository(db: SqlExecutor, limits: QueryLimits, features: DialectFeatures): Repository {
  const USER_SELECT = userSelect(features);
  async function one<T>(sql: string, params: readonly unknown[], map: (r: Row) => T): Promise<T | undefined> {
    const rows = await db.all(sql, params);
    return rows.length > 0 ? map(rows[0]) : undefined;
  }

  /** The WHERE terms of a list query: its fixed ones and what SQL can decide of the filter (`cond`). */
  function conditionOf<T>(p: PlanInput<T>): { cond: SqlCondition | undefined; where: string[]; params: unknown[] } {
    const cond: SqlCondition | undefined = p.q.filter ? compileFilter(p.q.filter, p.columns) : { sql: '', params: [], exact: true };
    const where = [...p.where];
    const params = [...p.params];
    if (cond && cond.sql) {
      where.push(cond.sql);
      params.push(...cond.params);
    }
    return { cond, where, params };
  }

  /** The rows a filter SQL cannot decide exactly is evaluated over, in order: at most maxCandidates (tooMany beyond). */
  async function candidates<T>(p: PlanInput<T>, whereSql: string, params: readonly unknown[]): Promise<Row[]> {
    const rows = await db.all(`${p.select} ${whereSql} ORDER BY ${p.seq} LIMIT ?`, [...params, limits.maxCandidates + 1]);
    if (rows.length > limits.maxCandidates) {
      throw scimErrors.tooMany(
        `This filter would examine more than ${limits.maxCandidates} resources; narrow it with an indexed attribute (id, userName, externalId, displayName, active)`,
      );
    }
    return rows;
  }

  /** Plans a list query: exact SQL with COUNT and LIMIT, or a bounded candidate scan plus the evaluator. */
  async function page<T>(p: PlanInput<T>): Promise<Page<T>> {
    if (p.q.keyset) return keysetPage(p, p.q.keyset);
    const { cond, where, params } = conditionOf(p);
    const sortColumn = p.q.sort ? p.columns.column({ ...p.q.sort, leaf: p.q.sort.sub ?? p.q.sort.attribute, relative: false }) : undefined;
    const whereSql = `WHERE ${where.join(' AND ')}`;
    // An equality on a unique column (Entra's `userName eq` match, `id eq`): one indexed
    // SELECT, no ORDER BY, LIMIT or COUNT (a paged query costs four times as much in SQLite).
    if (cond?.exact && cond.single && p.q.startIndex === 1 && p.q.count > 0) {
      const rows = await db.all(`${p.select} ${whereSql}`, params);
      return { total: rows.length, items: rows.map(p.map) };
    }
    if (cond?.exact && (!p.q.sort || sortColumn)) {
      const count = p.total ?? (async () => Number((await db.all(`SELECT COUNT(*) AS n FROM ${p.from} ${whereSql}`, params))[0].n));
      if (p.q.count === 0) return { total: await count(), items: [] };
      const order = sortColumn ? `${sortColumn.expr} ${p.q.sort!.descending ? 'DESC' : 'ASC'}, ${p.seq}` : p.seq;
      const sql = p.pageSelect ? p.pageSelect(whereSql, order, limit(p.q.count)) : `${p.select} ${whereSql} ORDER BY ${order} ${limit(p.q.count)} OFFSET ?`;
      const rows = await db.all(sql, [...params, p.q.startIndex - 1]);
      // A first page that is not full holds everything: no COUNT needed (Entra's match lookups).
      const total = p.q.startIndex === 1 && rows.length < p.q.count ? rows.length : await count();
      return { total, items: rows.map(p.map) };
    }
    const rows = await candidates(p, whereSql, params);
    let matched: T[] = [];
    for (const row of rows.map(p.map)) if (await p.q.matches(row)) matched.push(row);
    if (p.q.sort) {
      const s = p.q.sort;
      matched = [...matched].sort((a, b) => compareSortValues(p.sortValue(a, s), p.sortValue(b, s)) * (s.descending ? -1 : 1));
    }
    const start = p.q.startIndex - 1;
    return { total: matched.length, items: p.q.count === 0 ? [] : matched.slice(start, start + p.q.count) };
  }

  /**
   * A page after or before a position in the store's order (seq): every page costs the same,
   * however deep (RFC 9865 cursors), and rows created or deleted elsewhere in the list never
   * shift a later page. What SQL cannot decide is evaluated over the bounded candidate scan.
   */
  async function keysetPage<T>(p: PlanInput<T>, k: Keyset): Promise<Page<T>> {
    const { cond, where, params } = conditionOf(p);
    const backwards = k.before !== undefined;
    const at = backwards ? k.before : k.after;
    if (cond?.exact) {
      const whereSql = `WHERE ${where.join(' AND ')}`;
      const total = p.total ? await p.total() : Number((await db.all(`SELECT COUNT(*) AS n FROM ${p.from} ${whereSql}`, params))[0].n);
      const bound = at === undefined ? '' : ` AND ${p.seq} ${backwards ? '<' : '>'} ?`;
      const rows = await db.all(`${p.select} ${whereSql}${bound} ORDER BY ${p.seq} ${backwards ? 'DESC' : 'ASC'} ${limit(p.q.count + 1)}`, [...params, ...(at === undefined ? [] : [at])]);
      const more = rows.length > p.q.count;
      const pageRows = rows.slice(0, p.q.count);
      if (backwards) pageRows.reverse();
      const first = pageRows.length ? Number(pageRows[0].seq) : undefined;
      const last = pageRows.length ? Number(pageRows[pageRows.length - 1].seq) : undefined;
      const beyond = async (op: '<' | '>', seq: number | undefined) =>
        seq !== undefined && (await db.all(`SELECT 1 AS x FROM ${p.from} ${whereSql} AND ${p.seq} ${op} ? LIMIT 1`, [...params, seq])).length > 0;
      return {
        total, items: pageRows.map(p.map),
        keyset: {
          first, last,
          moreBefore: backwards ? more : at !== undefined && (first === undefined ? await beyond('<', at + 1) : await beyond('<', first)),
          moreAfter: backwards ? (last === undefined ? await beyond('>', (at ?? 1) - 1) : await beyond('>', last)) : more,
        },
      };
    }
    const rows = await candidates(p, `WHERE ${where.join(' AND ')}`, params);
    const matched: { seq: number; item: T }[] = [];
    for (const r of rows) {
      const item = p.map(r);
      if (await p.q.matches(item)) matched.push({ seq: Number(r.seq), item });
    }
    const inRange = matched.filter((m) => at === undefined || (backwards ? m.seq < at : m.seq > at));
    const slice = backwards ? inRange.slice(Math.max(0, inRange.length - p.q.count)) : inRange.slice(0, p.q.count);
    const first = slice[0]?.seq;
    const last = slice[slice.length - 1]?.seq;
    return {
      total: matched.length, items: slice.map((m) => m.item),
      keyset: {
        first, last,
        moreBefore: matched.some((m) => m.seq < (first ?? (backwards ? at! : (at ?? 0) + 1))),
        moreAfter: matched.some((m) => m.seq > (last ?? (backwards ? at! - 1 : at ?? Number.MAX_SAFE_INTEGER))),
      },
    };
  }

  const runStatement = (q: Statement) => db.run(q.sql, q.params);
  const touchGroup = async (orgId: string, id: string, lastModified: string): Promise<number> => {
    const rows = await db.returning('UPDATE groups SET version = version + 1, last_modified = ? WHERE org_id = ? AND id = ? RETURNING version', [lastModified, orgId, id]);
    return Number(rows[0].version);
  };
  // One statement per chunk; only users that still exist go in (one deleted since the caller
  // checked it is skipped, as if deleted just after), so no foreign-key failure.
  // `guard`: a condition each statement also needs (writeMembers: the group is there as asked).
  const NO_GUARD: Statement = { sql: '', params: [] };
  const addMembers = async (groupId: string, userIds: readonly string[], guard: Statement = NO_GUARD): Promise<number> => {
    let added = 0;
    for (const part of chunks([...new Set(userIds)])) {
      added += await db.run(
        `INSERT INTO group_members (group_id, user_id) SELECT ?, u.id FROM users u WHERE u.id IN (${placeholders(part.length)})${guard.sql} ON CONFLICT DO NOTHING`,
        [groupId, ...part, ...guard.params],
      );
    }
    return added;
  };
  const removeMembers = async (groupId: string, userIds: readonly string[], guard: Statement = NO_GUARD): Promise<number> => {
    let removed = 0;
    for (const part of chunks([...new Set(userIds)])) {
      removed += await db.run(`DELETE FROM group_members WHERE group_id = ? AND user_id IN (${placeholders(part.length)})${guard.sql}`, [groupId, ...part, ...guard.params]);
    }
    return removed;
  };

  return {
    async createOrganization(o: Organization) {
      await db.run('INSERT INTO organizations (id, name, name_lower, scim_profile, created) VALUES (?, ?, ?, ?, ?)', [o.id, o.name, o.name.toLowerCase(), o.scimProfile, o.created]);
    },
    getOrganization: (id) => one('SELECT * FROM organizations WHERE id = ?', [id], toOrg),
    async lockOrganization(id) {
      if (features.rowLocks) await db.all('SELECT id FROM organizations WHERE id = ? FOR UPDATE', [id]);
    },
    async listOrganizations() {
      return (await db.all('SELECT * FROM organizations ORDER BY created, id', [])).map(toOrg);
    },
    async createDivision(d: Division) {
      await db.run('INSERT INTO divisions (id, org_id, name, name_lower, description, is_home, created) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        d.id, d.orgId, d.name, d.name.toLowerCase(), d.description ?? null, d.isHome ? 1 : 0, d.created,
      ]);
    },
    getDivision: (orgId, id) => one('SELECT * FROM divisions WHERE org_id = ? AND id = ?', [orgId, id], toDivision),
    findDivisionByName: (orgId, name) => one('SELECT * FROM divisions WHERE org_id = ? AND name_lower = ?', [orgId, name.toLowerCase()], toDivision),
    async listDivisions(orgId) {
      return (await db.all('SELECT * FROM divisions WHERE org_id = ? ORDER BY name_lower', [orgId])).map(toDivision);
    },
    async homeDivision(orgId) {
      const d = await one('SELECT * FROM divisions WHERE org_id = ? AND is_home = 1', [orgId], toDivision);
      if (!d) throw new Error(`organization ${orgId} has no Home division`);
      return d;
    },
    async updateDivision(d: Division) {
      await db.run('UPDATE divisions SET name = ?, name_lower = ?, description = ? WHERE org_id = ? AND id = ?', [d.name, d.name.toLowerCase(), d.description ?? null, d.orgId, d.id]);
    },
    async deleteDivision(orgId, id) {
      return (await db.run('DELETE FROM divisions WHERE org_id = ? AND id = ? AND is_home = 0', [orgId, id])) === 1;
    },
    async countUsersInDivision(orgId, divisionId) {
      return Number((await db.all('SELECT COUNT(*) AS n FROM users WHERE org_id = ? AND division_id = ?', [orgId, divisionId]))[0].n);
    },
    async updateRole(r: Role) {
      await db.run('UPDATE roles SET name = ?, name_lower = ?, description = ?, permissions = ? WHERE org_id = ? AND id = ?', [
        r.name, r.name.toLowerCase(), r.description ?? null, JSON.stringify(r.permissions), r.orgId, r.id,
      ]);
    },
    async deleteRole(orgId, id) {
      return (await db.run('DELETE FROM roles WHERE org_id = ? AND id = ?', [orgId, id])) === 1;
    },
    async listClients(orgId) {
      return (await db.all('SELECT * FROM oauth_clients WHERE org_id = ? ORDER BY created, id', [orgId])).map(toClient);
    },
    async deleteClient(orgId, id) {
      return (await db.run('DELETE FROM oauth_clients WHERE org_id = ? AND id = ?', [orgId, id])) === 1;
    },
    async createRole(r: Role) {
      await db.run('INSERT INTO roles (id, org_id, name, name_lower, description, permissions) VALUES (?, ?, ?, ?, ?, ?)', [
        r.id, r.orgId, r.name, r.name.toLowerCase(), r.description ?? null, JSON.stringify(r.permissions),
      ]);
    },
    getRole: (orgId, id) => one('SELECT * FROM roles WHERE org_id = ? AND id = ?', [orgId, id], toRole),
    async findRolesByName(orgId, names) {
      if (names.length === 0) return [];
      const lower = names.map((n) => n.toLowerCase());
      return (await db.all(`SELECT * FROM roles WHERE org_id = ? AND name_lower IN (${placeholders(lower.length)})`, [orgId, ...lower])).map(toRole);
    },
    async listRoles(orgId) {
      return (await db.all('SELECT * FROM roles WHERE org_id = ? ORDER BY name_lower', [orgId])).map(toRole);
    },
    async createClient(c: OAuthClient) {
      await db.run(`INSERT INTO oauth_clients (id, org_id, name, secret_hash, state, role_divisions, created, token_ttl_seconds, fed_issuer, fed_subject, fed_audience, fed_jwks_uri)
        VALUES (${placeholders(12)})`, [
        c.id, c.orgId, c.name, c.secretHash, c.state, JSON.stringify(c.roleDivisions), c.created, c.accessTokenValiditySeconds ?? null,
        c.federation?.issuer ?? null, c.federation?.subject ?? null, c.federation?.audience ?? null, c.federation?.jwksUri ?? null,
      ]);
    },
    getClient: (id) => one('SELECT * FROM oauth_clients WHERE id = ?', [id], toClient),
    getClientByFederation: (issuer, subject) => one('SELECT * FROM oauth_clients WHERE fed_issuer = ? AND fed_subject = ?', [issuer, subject], toClient),
    async updateClient(c: OAuthClient) {
      await db.run(`UPDATE oauth_clients SET name = ?, secret_hash = ?, state = ?, role_divisions = ?, token_ttl_seconds = ?,
        fed_issuer = ?, fed_subject = ?, fed_audience = ?, fed_jwks_uri = ? WHERE id = ? AND org_id = ?`, [
        c.name, c.secretHash, c.state, JSON.stringify(c.roleDivisions), c.accessTokenValiditySeconds ?? null,
        c.federation?.issuer ?? null, c.federation?.subject ?? null, c.federation?.audience ?? null, c.federation?.jwksUri ?? null, c.id, c.orgId,
      ]);
    },
    async insertToken(t: TokenRecord) {
      await db.run('INSERT INTO tokens (token_hash, client_id, org_id, expires_at, secret_id, created) VALUES (?, ?, ?, ?, ?, ?)', [
        t.tokenHash, t.clientId, t.orgId, t.expiresAt, t.secret?.id ?? null, t.secret?.created ?? null,
      ]);
    },
    async listSecretTokens(orgId, clientId) {
      const rows = await db.all(
        `SELECT secret_id, client_id, created, expires_at FROM tokens WHERE org_id = ? AND secret_id IS NOT NULL${clientId ? ' AND client_id = ?' : ''} ORDER BY expires_at, secret_id`,
        clientId ? [orgId, clientId] : [orgId],
      );
      return rows.map((r) => ({ id: r.secret_id as string, clientId: r.client_id as string, created: Number(r.created), expiresAt: Number(r.expires_at) }));
    },
    deleteSecretToken: async (orgId, clientId, id) => (await db.run('DELETE FROM tokens WHERE org_id = ? AND client_id = ? AND secret_id = ?', [orgId, clientId, id])) === 1,
    async countSecretTokensExpiring(now, before) {
      const rows = await db.all('SELECT COUNT(*) AS n FROM tokens WHERE secret_id IS NOT NULL AND expires_at > ? AND expires_at <= ?', [now, before]);
      return Number(rows[0]?.n ?? 0);
    },
    getToken: (hash) =>
      one('SELECT * FROM tokens WHERE token_hash = ?', [hash], (r) => ({
        tokenHash: r.token_hash as string,
        clientId: r.client_id as string,
        orgId: r.org_id as string,
        expiresAt: Number(r.expires_at),
      })),
    deleteTokensOfClient: (clientId) => db.run('DELETE FROM tokens WHERE client_id = ?', [clientId]),
    deleteExpiredTokens: (now) => db.run('DELETE FROM tokens WHERE expires_at <= ?', [now]),
    async createNamed(kind: NamedKind, e: NamedEntity) {
      await db.run('INSERT INTO routing_names (id, org_id, kind, name) VALUES (?, ?, ?, ?)', [e.id, e.orgId, kind, e.name]);
    },
    async findNamed(kind, orgId, names) {
      if (names.length === 0) return [];
      const rows = await db.all(`SELECT * FROM routing_names WHERE org_id = ? AND kind = ? AND name IN (${placeholders(names.length)})`, [orgId, kind, ...names]);
      return rows.map((r) => ({ id: r.id as string, orgId: r.org_id as string, name: r.name as string }));
    },
    async listNamed(kind, orgId) {
      const rows = await db.all('SELECT * FROM routing_names WHERE org_id = ? AND kind = ? ORDER BY name', [orgId, kind]);
      return rows.map((r) => ({ id: r.id as string, orgId: r.org_id as string, name: r.name as string }));
    },
    async deleteNamed(kind, orgId, id) {
      return (await db.run('DELETE FROM routing_names WHERE org_id = ? AND kind = ? AND id = ?', [orgId, kind, id])) === 1;
    },
    async serverKey(name, candidate) {
      await db.run('INSERT INTO server_keys (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING', [name, candidate]);
      return (await db.all('SELECT value FROM server_keys WHERE name = ?', [name]))[0].value as string;
    },
    async recordServerValue(name, value) {
      await db.run('INSERT INTO server_keys (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [name, value]);
    },
    readServerValue: (name) => one('SELECT value FROM server_keys WHERE name = ?', [name], (r) => r.value as string),
    async insertAudit(a: AuditRecord) {
      await runStatement(auditInsert(a));
    },
    async queryAudits(orgId, q: AuditQuery): Promise<AuditPage> {
      const { where, params } = trailWhere(orgId, q);
      if (q.resourceId !== undefined) {
        where.push('resource_id = ?');
        params.push(q.resourceId);
      }
      if (q.scope) {
        const { divisionIds, alsoTypes } = q.scope;
        const parts = [...(divisionIds.length > 0 ? [`division_id IN (${placeholders(divisionIds.length)})`] : []), ...(alsoTypes.length > 0 ? [`resource_type IN (${placeholders(alsoTypes.length)})`] : [])];
        where.push(parts.length > 0 ? `(${parts.join(' OR ')})` : '1 = 0');
        params.push(...divisionIds, ...alsoTypes);
      }
      const rows = await db.all(`SELECT * FROM audits WHERE ${where.join(' AND ')} ORDER BY seq${q.newestFirst ? ' DESC' : ''} LIMIT ?`, [...params, q.limit + 1]);
      const more = rows.length > q.limit;
      const page = rows.slice(0, q.limit);
      return {
        entities: page.map((r) => ({
          seq: Number(r.seq),
          id: r.id as string,
          orgId: r.org_id as string,
          time: r.time as string,
          clientId: (r.client_id as string | null) ?? undefined,
          requestId: (r.request_id as string | null) ?? undefined,
          action: r.action as string,
          resourceType: r.resource_type as string,
          resourceId: r.resource_id as string,
          ...(r.division_id ? { divisionId: r.division_id as string } : {}),
          changes: typeof r.changes === 'string' ? JSON.parse(r.changes) : (r.changes as AuditRecord['changes']),
        })),
        ...(more ? { next: Number(page[page.length - 1].seq) } : {}),
      };
    },
    deleteAuditsBefore: (time) => db.run('DELETE FROM audits WHERE time < ?', [time]),
    async insertRefusals(records) {
      // One statement per chunk: a batch from the recorder is one round trip.
      for (let i = 0; i < records.length; i += 50) {
        const chunk = records.slice(i, i + 50);
        await db.run(
          `INSERT INTO refusals (id, org_id, time, client_id, request_id, method, path, status, scim_type, detail, body, validate_only) VALUES ${chunk.map(() => `(${placeholders(12)})`).join(', ')}`,
          chunk.flatMap((r) => [r.id, r.orgId, r.time, r.clientId ?? null, r.requestId ?? null, r.method, r.path, r.status, r.scimType ?? null, r.detail, r.body ?? null, r.validateOnly ? 1 : null]),
        );
      }
    },
    async queryRefusals(orgId, q) {
      const { where, params } = trailWhere(orgId, q);
      const rows = await db.all(`SELECT * FROM refusals WHERE ${where.join(' AND ')} ORDER BY seq${q.newestFirst ? ' DESC' : ''} LIMIT ?`, [...params, q.limit + 1]);
      const page = rows.slice(0, q.limit);
      return {
        entities: page.map((r) => ({
          seq: Number(r.seq), id: r.id as string, orgId: r.org_id as string, time: r.time as string,
          ...(r.client_id ? { clientId: r.client_id as string } : {}), ...(r.request_id ? { requestId: r.request_id as string } : {}),
          method: r.method as string, path: r.path as string, status: Number(r.status), ...(r.scim_type ? { scimType: r.scim_type as string } : {}),
          detail: r.detail as string, ...(r.body ? { body: r.body as string } : {}), ...(Number(r.validate_only) === 1 ? { validateOnly: true } : {}),
        })),
        ...(rows.length > q.limit ? { next: Number(page[page.length - 1].seq) } : {}),
      };
    },
    deleteRefusalsBefore: (time) => db.run('DELETE FROM refusals WHERE time < ?', [time]),
    async insertRequests(records) {
      const columns = 'id, org_id, time, client_id, request_id, method, path, status, duration_ms, auth, detail';
      const row = (r: RequestRecord) => [r.id, r.orgId ?? null, r.time, r.clientId ?? null, r.requestId ?? null, r.method, r.path, r.status, Math.round(r.durationMs), r.auth, r.detail ?? null];
      if (features.columnArrays) {
        // One statement whatever the batch (every request of the last second is one batch).
        const rows = records.map(row);
        await db.run(
          `INSERT INTO requests (${columns}) ${features.columnArrays(['text', 'text', 'text', 'text', 'text', 'text', 'text', 'int', 'int', 'text', 'text'])}`,
          Array.from({ length: 11 }, (_, c) => rows.map((r) => r[c])),
        );
        return;
      }
      // 500 rows (5,500 parameters) a statement: far below SQLite's limit, and a statement it keeps prepared.
      for (let i = 0; i < records.length; i += 500) {
        const chunk = records.slice(i, i + 500);
        await db.run(`INSERT INTO requests (${columns}) VALUES ${chunk.map(() => `(${placeholders(11)})`).join(', ')}`, chunk.flatMap(row));
      }
    },
    async queryRequests(orgId, q) {
      const { where, params } = trailWhere(orgId, q);
      if (q.withUnattributed) where[0] = '(org_id = ? OR org_id IS NULL)';
      if (q.status !== undefined) {
        const cls = /^([2-5])xx$/.exec(q.status);
        if (cls) {
          where.push('status >= ? AND status < ?');
          params.push(Number(cls[1]) * 100, Number(cls[1]) * 100 + 100);
        } else {
          where.push('status = ?');
          params.push(Number(q.status));
        }
      }
      if (q.path !== undefined) {
        where.push(`path LIKE ? ESCAPE '\\'`);
        params.push(`%${q.path.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      }
      const rows = await db.all(`SELECT * FROM requests WHERE ${where.join(' AND ')} ORDER BY seq${q.newestFirst ? ' DESC' : ''} LIMIT ?`, [...params, q.limit + 1]);
      const page = rows.slice(0, q.limit);
      return {
        entities: page.map((r) => ({
          seq: Number(r.seq), id: r.id as string, ...(r.org_id ? { orgId: r.org_id as string } : {}), time: r.time as string,
          ...(r.client_id ? { clientId: r.client_id as string } : {}), ...(r.request_id ? { requestId: r.request_id as string } : {}),
          method: r.method as string, path: r.path as string, status: Number(r.status), durationMs: Number(r.duration_ms), auth: r.auth as string,
          ...(r.detail ? { detail: r.detail as string } : {}),
        })),
        ...(rows.length > q.limit ? { next: Number(page[page.length - 1].seq) } : {}),
      };
    },
    async requestBuckets(orgId, from, withUnattributed) {
      // The hour is the first 13 characters of the ISO time: the same text on both dialects.
      const rows = await db.all(
        `SELECT substr(time, 1, 13) AS hour,
           SUM(CASE WHEN status < 400 THEN 1 ELSE 0 END) AS ok,
           SUM(CASE WHEN status >= 400 AND status < 500 THEN 1 ELSE 0 END) AS refused,
           SUM(CASE WHEN status >= 500 THEN 1 ELSE 0 END) AS failed
         FROM requests WHERE ${withUnattributed ? '(org_id = ? OR org_id IS NULL)' : 'org_id = ?'} AND time >= ? GROUP BY substr(time, 1, 13) ORDER BY 1`,
        [orgId, from],
      );
      return rows.map((r) => ({ hour: `${r.hour as string}:00:00.000Z`, ok: Number(r.ok), refused: Number(r.refused), failed: Number(r.failed) }));
    },
    lastAccepted: (orgId) => one('SELECT time, client_id FROM requests WHERE org_id = ? AND status < 400 ORDER BY seq DESC LIMIT 1', [orgId], (r) => ({ time: r.time as string, ...(r.client_id ? { clientId: r.client_id as string } : {}) })),
    async pruneRequests(time, maxRows) {
      let n = await db.run('DELETE FROM requests WHERE time < ?', [time]);
      const rows = await db.all('SELECT seq FROM requests ORDER BY seq DESC LIMIT 1 OFFSET ?', [maxRows]);
      if (rows.length > 0) n += await db.run('DELETE FROM requests WHERE seq <= ?', [Number(rows[0].seq)]);
      return n;
    },
    async listUserGrants(orgId, userId) {
      const rows = await db.all('SELECT g.role_id, g.division_id FROM user_grants g JOIN users u ON u.id = g.user_id WHERE u.org_id = ? AND g.user_id = ? ORDER BY g.role_id, g.division_id', [orgId, userId]);
      return rows.map((r) => ({ roleId: r.role_id as string, divisionId: r.division_id as string }));
    },
    async setUserGrants(orgId, userId, grants) {
      await db.run('DELETE FROM user_grants WHERE user_id = ? AND user_id IN (SELECT id FROM users WHERE org_id = ?)', [userId, orgId]);
      for (const g of grants) await db.run('INSERT INTO user_grants (user_id, role_id, division_id) VALUES (?, ?, ?)', [userId, g.roleId, g.divisionId]);
    },
    async usersWithRole(orgId, roleId) {
      return (await db.all('SELECT DISTINCT g.user_id FROM user_grants g JOIN users u ON u.id = g.user_id WHERE u.org_id = ? AND g.role_id = ?', [orgId, roleId])).map((r) => r.user_id as string);
    },
    async insertSession(x) {
      await db.run('INSERT INTO console_sessions (id_hash, org_id, user_id, csrf, created, last_seen) VALUES (?, ?, ?, ?, ?, ?)', [x.idHash, x.orgId, x.userId, x.csrf, x.created, x.lastSeen]);
    },
    async getSession(idHash) {
      const r = (await db.all('SELECT * FROM console_sessions WHERE id_hash = ?', [idHash]))[0];
      return r ? { idHash, orgId: r.org_id as string, userId: r.user_id as string, csrf: r.csrf as string, created: Number(r.created), lastSeen: Number(r.last_seen) } : undefined;
    },
    async touchSession(idHash, lastSeen) {
      await db.run('UPDATE console_sessions SET last_seen = ? WHERE id_hash = ?', [lastSeen, idHash]);
    },
    async deleteSession(idHash) {
      await db.run('DELETE FROM console_sessions WHERE id_hash = ?', [idHash]);
    },
    async deleteSessionsOfUser(userId) {
      await db.run('DELETE FROM console_sessions WHERE user_id = ?', [userId]);
    },
    deleteSessionsBefore: (lastSeen) => db.run('DELETE FROM console_sessions WHERE last_seen < ?', [lastSeen]),
    async insertSetupToken(tokenHash, orgId, expiresAt) {
      await db.run('INSERT INTO setup_tokens (token_hash, org_id, expires_at) VALUES (?, ?, ?)', [tokenHash, orgId, expiresAt]);
    },
    async consumeSetupToken(tokenHash, now) {
      // The conditional UPDATE is the single-use check: of two nodes, one changes the row.
      const n = await db.run('UPDATE setup_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?', [now, tokenHash, now]);
      if (n !== 1) return undefined;
      return (await db.all('SELECT org_id FROM setup_tokens WHERE token_hash = ?', [tokenHash]))[0]?.org_id as string | undefined;
    },
    async insertUser(u: UserRecord) {
      await runStatement(userInsert(u));
    },
    getUser: (orgId, id, groups) => one(`${groups ? userSelect(features, groups) : USER_SELECT} WHERE u.org_id = ? AND u.id = ?`, [orgId, id], toUser),
    async userIdsExist(orgId, ids, divisions) {
      const found = new Set<string>();
      const allowed = divisions === undefined ? undefined : new Set(divisions);
      for (const part of chunks([...new Set(ids)])) {
        // By id alone, so that the planner takes the id index (with org_id in the WHERE clause
        // SQLite may scan the organization's users once per chunk); organization and division
        // are checked on the rows found.
        const rows = await db.all(`SELECT id, org_id, division_id FROM users WHERE id IN (${placeholders(part.length)})`, part);
        for (const r of rows) if (r.org_id === orgId && (!allowed || allowed.has(r.division_id as string))) found.add(r.id as string);
      }
      return found;
    },
    async updateUser(u: UserRecord, previous: UserRecord) {
      return (await runStatement(userUpdate(u, previous))) === 1;
    },
    async writeUser(w: UserWrite) {
      const q = w.previous ? userUpdate(w.user, w.previous) : userInsert(w.user);
      if (features.writableCte) {
        // One statement: the audit row is inserted only if the user row was written.
        const n = await db.run(
          `WITH written AS (${q.sql} RETURNING id) INSERT INTO audits (${AUDIT_COLUMNS}) SELECT ${placeholders(10)} FROM written`,
          [...q.params, ...auditParams(w.audit)],
        );
        return n === 1;
      }
      if ((await runStatement(q)) !== 1) return false;
      await runStatement(auditInsert(w.audit));
      return true;
    },
    async deleteUser(orgId, id) {
      return (await db.run('DELETE FROM users WHERE org_id = ? AND id = ?', [orgId, id])) === 1;
    },
    queryUsers(orgId, q) {
      const where = ['u.org_id = ?'];
      const params: unknown[] = [orgId];
      if (q.activeOnly) where.push('u.active = 1');
      if (q.divisionIds) {
        if (q.divisionIds.length === 0) return Promise.resolve({ total: 0, items: [] });
        where.push(`u.division_id IN (${placeholders(q.divisionIds.length)})`);
        params.push(...q.divisionIds);
      }
      const countable = features.userCounts && !q.filter && !q.divisionIds;
      return page<UserRow>({
        from: 'users u', where, params, columns: userColumns(q.groupVisibility, q), select: userSelect(features, q.withGroups), pageSelect: userPageSelect(features, q.withGroups), seq: 'u.seq', map: toUser, q,
        ...(countable
          // A sum: one row per organization on SQLite, one per slot on PostgreSQL.
          ? { total: async () => Number((await db.all(`SELECT COALESCE(SUM(${q.activeOnly ? 'active' : 'total'}), 0) AS n FROM org_user_counts WHERE org_id = ?`, [orgId]))[0]?.n ?? 0) }
          : {}),
        sortValue: (row, s) => {
          const c = s.core ? { ...row.data, id: row.id, userName: row.userName, displayName: row.displayName, externalId: row.externalId, active: row.active, meta: { created: row.created, lastModified: row.lastModified } } : (row.data[s.schema] as Record<string, unknown> | undefined);
          const v = c?.[s.attribute.name] as unknown;
          return s.sub && v && typeof v === 'object' ? (v as Record<string, unknown>)[s.sub.name] : v;
        },
      });
    },
    async insertGroup(g: GroupRecord) {
      await db.run(
        `INSERT INTO groups (id, org_id, display_name, display_name_lower, external_id, description, type, visibility, version, created, last_modified)
          VALUES (${placeholders(11)})`,
        [g.id, g.orgId, g.displayName, g.displayName.toLowerCase(), g.externalId ?? null, g.description ?? null, g.type, g.visibility, g.version, g.created, g.lastModified],
      );
    },
    getGroup: (orgId, id) => one(`${GROUP_SELECT} WHERE g.org_id = ? AND g.id = ?`, [orgId, id], toGroup),
    async updateGroup(g: GroupRecord, expectedVersion: number) {
      const n = await db.run(
        `UPDATE groups SET display_name = ?, display_name_lower = ?, external_id = ?, description = ?, type = ?, visibility = ?, version = ?, last_modified = ?
          WHERE org_id = ? AND id = ? AND version = ?`,
        [g.displayName, g.displayName.toLowerCase(), g.externalId ?? null, g.description ?? null, g.type, g.visibility, g.version, g.lastModified, g.orgId, g.id, expectedVersion],
      );
      return n === 1;
    },
    touchGroup,
    async deleteGroup(orgId, id) {
      return (await db.run('DELETE FROM groups WHERE org_id = ? AND id = ?', [orgId, id])) === 1;
    },
    queryGroups(orgId, q: GroupQuery) {
      const where = ['g.org_id = ?'];
      const params: unknown[] = [orgId];
      if (q.visibility) {
        where.push('g.visibility = ?');
        params.push(q.visibility);
      }
      return page<GroupRecord>({
        from: 'groups g', where, params, columns: groupColumns(q.memberDivisionIds), select: GROUP_SELECT, seq: 'g.seq', map: toGroup, q,
        sortValue: (row, s) => (s.attribute.name === 'meta' ? (s.sub?.name === 'created' ? row.created : row.lastModified) : (row as unknown as Record<string, unknown>)[s.attribute.name]),
      });
    },
    addMembers,
    removeMembers,
    async writeMembers(w: MembersWrite) {
      const where = ['org_id = ?', 'id = ?'];
      const params: unknown[] = [w.orgId, w.groupId];
      if (w.visibility !== undefined) {
        where.push('visibility = ?');
        params.push(w.visibility);
      }
      if (w.expectedVersion !== undefined) {
        where.push('version = ?');
        params.push(w.expectedVersion);
      }
      const target = `SELECT id, version FROM groups WHERE ${where.join(' AND ')}`;
      const ids = [...new Set(w.userIds)];
      if (features.writableCte) {
        // One statement. The group row is locked first (FOR UPDATE re-checks the version
        // against a concurrent writer's commit); only users that exist go in; the version
        // moves and the audit row is written only if a membership row changed. The ids are
        // one array parameter, so every size of change is the same prepared statement.
        const change = w.kind === 'add'
          ? 'INSERT INTO group_members (group_id, user_id) SELECT g.id, u.id FROM g JOIN users u ON u.id = ANY(?) ON CONFLICT DO NOTHING RETURNING 1'
          : 'DELETE FROM group_members WHERE group_id IN (SELECT id FROM g) AND user_id = ANY(?) RETURNING 1';
        const rows = await db.returning(
          `WITH g AS (${target} FOR UPDATE),
            changed AS (${change}),
            touched AS (UPDATE groups SET version = version + 1, last_modified = ? WHERE id IN (SELECT id FROM g) AND EXISTS (SELECT 1 FROM changed) RETURNING version),
            audited AS (INSERT INTO audits (${AUDIT_COLUMNS}) SELECT ${placeholders(10)} FROM touched)
          SELECT g.version AS version_read, (SELECT version FROM touched) AS touched FROM g`,
          [...params, ids, w.lastModified, ...auditParams(w.audit)],
        );
        if (rows.length === 0) return undefined;
        const touched = rows[0].touched;
        return touched === null ? { version: Number(rows[0].version_read), changed: false } : { version: Number(touched), changed: true };
      }
      // Inside a transaction (the store runs it in one, and SQLite's one writer runs it alone):
      // the rows, each statement only if the group is there as asked; the group is read only
      // when no row changed (to tell a no-op from a group that is not there).
      const guard = { sql: ` AND EXISTS (${target})`, params };
      const n = w.kind === 'add' ? await addMembers(w.groupId, ids, guard) : await removeMembers(w.groupId, ids, guard);
      if (n === 0) {
        const g = (await db.all(target, params))[0];
        return g ? { version: Number(g.version), changed: false } : undefined;
      }
      const version = await touchGroup(w.orgId, w.groupId, w.lastModified);
      await runStatement(auditInsert(w.audit));
      return { version, changed: true };
    },
    clearMembers(groupId, divisions) {
      if (divisions === undefined) return db.run('DELETE FROM group_members WHERE group_id = ?', [groupId]);
      const scope = inDivisions('u.division_id', divisions);
      return db.run(`DELETE FROM group_members WHERE group_id = ? AND user_id IN (SELECT u.id FROM users u WHERE 1 = 1${scope.sql})`, [groupId, ...scope.params]);
    },
    async listMembers(groupId, divisions): Promise<MemberRef[]> {
      const scope = inDivisions('u.division_id', divisions);
      const rows = await db.all(
        `SELECT gm.user_id, u.display_name, u.division_id FROM group_members gm JOIN users u ON u.id = gm.user_id WHERE gm.group_id = ?${scope.sql} ORDER BY u.seq`,
        [groupId, ...scope.params],
      );
      return rows.map((r) => ({ userId: r.user_id as string, displayName: (r.display_name as string | null) ?? undefined, divisionId: r.division_id as string }));
    },
    async groupsOfUsers(orgId, userIds, visibility?: GroupVisibility) {
      const out = new Map<string, GroupRef[]>();
      for (const part of chunks([...new Set(userIds)])) {
        const rows = await db.all(
          `SELECT gm.user_id, g.id, g.display_name FROM group_members gm JOIN groups g ON g.id = gm.group_id
            WHERE g.org_id = ? ${visibility ? 'AND g.visibility = ?' : ''} AND gm.user_id IN (${placeholders(part.length)}) ORDER BY g.display_name_lower`,
          [orgId, ...(visibility ? [visibility] : []), ...part],
        );
        for (const r of rows) {
          const list = out.get(r.user_id as string) ?? [];
          list.push({ groupId: r.id as string, displayName: r.display_name as string });
          out.set(r.user_id as string, list);
        }
      }
      return out;
    },
  };
}
