// Users in SQL: the row, its write with its audit record (one statement where the dialect
// has writable CTEs), and list queries through the planner.
import type { UserRecord, UserRepository, UserRow, UserWrite } from '../contract.ts';
import { toUser, userPageSelect, userSelect } from './rows.ts';
import { userColumns } from './filter-sql.ts';
import type { DialectFeatures, QueryLimits, SqlExecutor } from './executor.ts';
import { createPager } from './paging.ts';
import { AUDIT_COLUMNS, AUDIT_WIDTH, auditInsert, auditParams, chunks, one, placeholders, runStatement, type Statement } from './shared.ts';

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

export function userRepository(db: SqlExecutor, limits: QueryLimits, features: DialectFeatures): UserRepository {
  const USER_SELECT = userSelect(features);
  const page = createPager(db, limits);
  return {
    async insertUser(u: UserRecord) {
      await runStatement(db, userInsert(u));
    },
    getUser: (orgId, id, groups) => one(db, `${groups ? userSelect(features, groups) : USER_SELECT} WHERE u.org_id = ? AND u.id = ?`, [orgId, id], toUser),
    async userReferences(orgId, q) {
      if (q.division === undefined && q.managerId === undefined) return {};
      const joins: string[] = [];
      const params: unknown[] = [];
      if (q.division !== undefined) {
        joins.push(`LEFT JOIN divisions d ON d.org_id = ? AND ${q.division === 'home' ? 'd.is_home = 1' : 'd.name_lower = ?'}`);
        params.push(orgId, ...(q.division === 'home' ? [] : [q.division.name.toLowerCase()]));
      }
      if (q.managerId !== undefined) {
        joins.push('LEFT JOIN users m ON m.org_id = ? AND m.id = ?');
        params.push(orgId, q.managerId);
      }
      const columns = [
        ...(q.division !== undefined ? ['d.id AS d_id', 'd.name AS d_name'] : []),
        ...(q.managerId !== undefined ? ['m.id AS m_id', 'm.display_name AS m_display_name', 'm.division_id AS m_division_id'] : []),
      ];
      // One row whatever is found: the joins hang off a constant.
      const [r] = await db.all(`SELECT ${columns.join(', ')} FROM (SELECT 1 AS one) x ${joins.join(' ')}`, params);
      return {
        ...(r?.d_id != null ? { division: { id: r.d_id as string, name: r.d_name as string } } : {}),
        ...(r?.m_id != null ? { manager: { ...(r.m_display_name != null ? { displayName: r.m_display_name as string } : {}), divisionId: r.m_division_id as string } } : {}),
      };
    },
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
    async writeUser(w: UserWrite) {
      const q = w.previous ? userUpdate(w.user, w.previous) : userInsert(w.user);
      // The audit row (the change event) carries the version the write made.
      const audit = { ...w.audit, version: w.user.version };
      if (features.writableCte) {
        // One statement: the audit row is inserted only if the user row was written.
        const n = await db.run(
          `WITH written AS (${q.sql} RETURNING id) INSERT INTO audits (${AUDIT_COLUMNS}) SELECT ${placeholders(AUDIT_WIDTH)} FROM written`,
          [...q.params, ...auditParams(audit)],
        );
        return n === 1;
      }
      if ((await runStatement(db, q)) !== 1) return false;
      await runStatement(db, auditInsert(audit));
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
          ? { total: { sql: `SELECT COALESCE(SUM(${q.activeOnly ? 'active' : 'total'}), 0) AS n FROM org_user_counts WHERE org_id = ?`, params: [orgId] } }
          : {}),
        sortValue: (row, s) => {
          const c = s.core ? { ...row.data, id: row.id, userName: row.userName, displayName: row.displayName, externalId: row.externalId, active: row.active, meta: { created: row.created, lastModified: row.lastModified } } : (row.data[s.schema] as Record<string, unknown> | undefined);
          const v = c?.[s.attribute.name] as unknown;
          return s.sub && v && typeof v === 'object' ? (v as Record<string, unknown>)[s.sub.name] : v;
        },
      });
    },
  };
}
