// The console in SQL: grants of directory users, sessions, setup tokens.
import type { ConsoleRepository } from '../contract.ts';
import type { SqlExecutor } from './executor.ts';

export function consoleRepository(db: SqlExecutor): ConsoleRepository {
  return {
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
  };
}
