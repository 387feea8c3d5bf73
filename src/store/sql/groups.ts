// Groups in SQL: the row, members (chunked, only users that still exist), the membership
// write with its audit record, and list queries through the planner.
import type { GroupQuery, GroupRecord, GroupRef, GroupRepository, GroupVisibility, MemberRef, MembersWrite } from '../contract.ts';
import { GROUP_SELECT, groupVersion, toGroup } from './rows.ts';
import { groupColumns } from './filter-sql.ts';
import type { DialectFeatures, QueryLimits, SqlExecutor } from './executor.ts';
import { createPager } from './paging.ts';
import { AUDIT_COLUMNS, AUDIT_WIDTH, auditInsert, auditParams, chunks, inDivisions, one, placeholders, runStatement, type Statement } from './shared.ts';

/** Version slots per group (migration 23): enough that a pool's connections rarely share one. */
const VERSION_SLOTS = 16;

export function groupRepository(db: SqlExecutor, limits: QueryLimits, features: DialectFeatures): GroupRepository {
  const page = createPager(db, limits);
  // The row's version moves by one; the group's version is that plus its slots (rows.ts).
  const touchGroup = async (orgId: string, id: string, lastModified: string): Promise<number> => {
    const rows = await db.returning(
      `UPDATE groups SET version = version + 1, last_modified = ? WHERE org_id = ? AND id = ? RETURNING ${groupVersion('groups')} AS version`,
      [lastModified, orgId, id],
    );
    return Number(rows[0].version);
  };
  // PostgreSQL: a writer that checks the group's version first waits for the membership
  // writes in flight (they hold FOR KEY SHARE on the row, which FOR UPDATE waits for) and
  // then compares in a statement of its own, whose snapshot sees their slots. In one
  // statement the comparison would read the snapshot taken before the wait. Needs a
  // transaction; SQLite's one writer needs nothing.
  const lockGroup = async (orgId: string, id: string) => {
    if (features.rowLocks) await db.all('SELECT id FROM groups WHERE org_id = ? AND id = ? FOR UPDATE', [orgId, id]);
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
    async insertGroup(g: GroupRecord) {
      await db.run(
        `INSERT INTO groups (id, org_id, display_name, display_name_lower, external_id, description, type, visibility, version, created, last_modified)
          VALUES (${placeholders(11)})`,
        [g.id, g.orgId, g.displayName, g.displayName.toLowerCase(), g.externalId ?? null, g.description ?? null, g.type, g.visibility, g.version, g.created, g.lastModified],
      );
    },
    getGroup: (orgId, id) => one(db, `${GROUP_SELECT} WHERE g.org_id = ? AND g.id = ?`, [orgId, id], toGroup),
    async updateGroup(g: GroupRecord, expectedVersion: number) {
      await lockGroup(g.orgId, g.id);
      const n = await db.run(
        `UPDATE groups SET display_name = ?, display_name_lower = ?, external_id = ?, description = ?, type = ?, visibility = ?, version = ?, last_modified = ?
          WHERE org_id = ? AND id = ? AND ${groupVersion('groups')} = ?`,
        [g.displayName, g.displayName.toLowerCase(), g.externalId ?? null, g.description ?? null, g.type, g.visibility, g.version, g.lastModified, g.orgId, g.id, expectedVersion],
      );
      // The row now holds the whole version: its slots are folded in (under the lock above,
      // so no membership write is counting into them meanwhile).
      if (n === 1 && features.rowLocks) await db.run('DELETE FROM group_versions WHERE group_id = ?', [g.id]);
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
      const where = ['g.org_id = ?', 'g.id = ?'];
      const params: unknown[] = [w.orgId, w.groupId];
      if (w.visibility !== undefined) {
        where.push('g.visibility = ?');
        params.push(w.visibility);
      }
      if (w.expectedVersion !== undefined) {
        where.push(`${groupVersion()} = ?`);
        params.push(w.expectedVersion);
        await lockGroup(w.orgId, w.groupId);
      }
      const target = `SELECT g.id, ${groupVersion()} AS version FROM groups g WHERE ${where.join(' AND ')}`;
      const ids = [...new Set(w.userIds)];
      if (features.writableCte) {
        // One statement. The group row is held against deletion only (FOR KEY SHARE, which
        // concurrent membership writes share), so member adds to one group do not queue on it
        // through their commits; only users that exist go in; if a membership row changed,
        // the change is counted in this connection's version slot (a connection runs one
        // transaction at a time, so writers rarely meet on a slot) and the audit row written.
        // The version answered is the one read plus this change: exact unless another write
        // to the group commits meanwhile, in which case the group is already further on and
        // no If-Match with the answered one can pass. The ids are one array parameter, so
        // every size of change is the same prepared statement.
        const change = w.kind === 'add'
          ? 'INSERT INTO group_members (group_id, user_id) SELECT g.id, u.id FROM g JOIN users u ON u.id = ANY(?) ON CONFLICT DO NOTHING RETURNING 1'
          : 'DELETE FROM group_members WHERE group_id IN (SELECT id FROM g) AND user_id = ANY(?) RETURNING 1';
        const rows = await db.returning(
          `WITH g AS (${target} FOR KEY SHARE OF g),
            changed AS (${change}),
            counted AS (INSERT INTO group_versions AS v (group_id, slot, n, last_modified)
              SELECT id, pg_backend_pid() % ${VERSION_SLOTS}, 1, ? FROM g WHERE EXISTS (SELECT 1 FROM changed)
              ON CONFLICT (group_id, slot) DO UPDATE SET n = v.n + 1, last_modified = GREATEST(v.last_modified, excluded.last_modified) RETURNING 1),
            audited AS (INSERT INTO audits (${AUDIT_COLUMNS}) SELECT ${placeholders(AUDIT_WIDTH - 1)}, g.version + 1 FROM g WHERE EXISTS (SELECT 1 FROM counted))
          SELECT g.version AS version_read, EXISTS (SELECT 1 FROM counted) AS changed FROM g`,
          [...params, ids, w.lastModified, ...auditParams(w.audit).slice(0, AUDIT_WIDTH - 1)],
        );
        if (rows.length === 0) return undefined;
        const read = Number(rows[0].version_read);
        return rows[0].changed === true ? { version: read + 1, changed: true } : { version: read, changed: false };
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
      await runStatement(db, auditInsert({ ...w.audit, version }));
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
