// Tenancy in SQL: organizations, divisions, roles, OAuth clients and their tokens, routing
// names, server keys.
import type { Division, NamedEntity, NamedKind, OAuthClient, Organization, Role, TenancyRepository, TokenRecord } from '../contract.ts';
import { toClient, toDivision, toOrg, toRole } from './rows.ts';
import type { DialectFeatures, SqlExecutor } from './executor.ts';
import { one, placeholders } from './shared.ts';

export function tenancyRepository(db: SqlExecutor, features: DialectFeatures): TenancyRepository {
  return {
    async createOrganization(o: Organization) {
      await db.run('INSERT INTO organizations (id, name, name_lower, scim_profile, created) VALUES (?, ?, ?, ?, ?)', [o.id, o.name, o.name.toLowerCase(), o.scimProfile, o.created]);
    },
    getOrganization: (id) => one(db, 'SELECT * FROM organizations WHERE id = ?', [id], toOrg),
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
    getDivision: (orgId, id) => one(db, 'SELECT * FROM divisions WHERE org_id = ? AND id = ?', [orgId, id], toDivision),
    findDivisionByName: (orgId, name) => one(db, 'SELECT * FROM divisions WHERE org_id = ? AND name_lower = ?', [orgId, name.toLowerCase()], toDivision),
    async listDivisions(orgId) {
      return (await db.all('SELECT * FROM divisions WHERE org_id = ? ORDER BY name_lower', [orgId])).map(toDivision);
    },
    async homeDivision(orgId) {
      const d = await one(db, 'SELECT * FROM divisions WHERE org_id = ? AND is_home = 1', [orgId], toDivision);
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
    async createRole(r: Role) {
      await db.run('INSERT INTO roles (id, org_id, name, name_lower, description, permissions) VALUES (?, ?, ?, ?, ?, ?)', [
        r.id, r.orgId, r.name, r.name.toLowerCase(), r.description ?? null, JSON.stringify(r.permissions),
      ]);
    },
    getRole: (orgId, id) => one(db, 'SELECT * FROM roles WHERE org_id = ? AND id = ?', [orgId, id], toRole),
    async findRolesByName(orgId, names) {
      if (names.length === 0) return [];
      const lower = names.map((n) => n.toLowerCase());
      return (await db.all(`SELECT * FROM roles WHERE org_id = ? AND name_lower IN (${placeholders(lower.length)})`, [orgId, ...lower])).map(toRole);
    },
    async listRoles(orgId) {
      return (await db.all('SELECT * FROM roles WHERE org_id = ? ORDER BY name_lower', [orgId])).map(toRole);
    },
    async updateRole(r: Role) {
      await db.run('UPDATE roles SET name = ?, name_lower = ?, description = ?, permissions = ? WHERE org_id = ? AND id = ?', [
        r.name, r.name.toLowerCase(), r.description ?? null, JSON.stringify(r.permissions), r.orgId, r.id,
      ]);
    },
    async deleteRole(orgId, id) {
      return (await db.run('DELETE FROM roles WHERE org_id = ? AND id = ?', [orgId, id])) === 1;
    },
    async createClient(c: OAuthClient) {
      await db.run(`INSERT INTO oauth_clients (id, org_id, name, secret_hash, state, role_divisions, created, token_ttl_seconds, fed_issuer, fed_subject, fed_audience, fed_jwks_uri)
        VALUES (${placeholders(12)})`, [
        c.id, c.orgId, c.name, c.secretHash, c.state, JSON.stringify(c.roleDivisions), c.created, c.accessTokenValiditySeconds ?? null,
        c.federation?.issuer ?? null, c.federation?.subject ?? null, c.federation?.audience ?? null, c.federation?.jwksUri ?? null,
      ]);
    },
    getClient: (id) => one(db, 'SELECT * FROM oauth_clients WHERE id = ?', [id], toClient),
    getClientByFederation: (issuer, subject) => one(db, 'SELECT * FROM oauth_clients WHERE fed_issuer = ? AND fed_subject = ?', [issuer, subject], toClient),
    async updateClient(c: OAuthClient) {
      await db.run(`UPDATE oauth_clients SET name = ?, secret_hash = ?, state = ?, role_divisions = ?, token_ttl_seconds = ?,
        fed_issuer = ?, fed_subject = ?, fed_audience = ?, fed_jwks_uri = ? WHERE id = ? AND org_id = ?`, [
        c.name, c.secretHash, c.state, JSON.stringify(c.roleDivisions), c.accessTokenValiditySeconds ?? null,
        c.federation?.issuer ?? null, c.federation?.subject ?? null, c.federation?.audience ?? null, c.federation?.jwksUri ?? null, c.id, c.orgId,
      ]);
    },
    async listClients(orgId) {
      return (await db.all('SELECT * FROM oauth_clients WHERE org_id = ? ORDER BY created, id', [orgId])).map(toClient);
    },
    async deleteClient(orgId, id) {
      return (await db.run('DELETE FROM oauth_clients WHERE org_id = ? AND id = ?', [orgId, id])) === 1;
    },
    async insertToken(t: TokenRecord) {
      await db.run('INSERT INTO tokens (token_hash, client_id, org_id, expires_at, secret_id, created) VALUES (?, ?, ?, ?, ?, ?)', [
        t.tokenHash, t.clientId, t.orgId, t.expiresAt, t.secret?.id ?? null, t.secret?.created ?? null,
      ]);
    },
    getToken: (hash) =>
      one(db, 'SELECT * FROM tokens WHERE token_hash = ?', [hash], (r) => ({
        tokenHash: r.token_hash as string,
        clientId: r.client_id as string,
        orgId: r.org_id as string,
        expiresAt: Number(r.expires_at),
      })),
    deleteTokensOfClient: (clientId) => db.run('DELETE FROM tokens WHERE client_id = ?', [clientId]),
    deleteExpiredTokens: (now) => db.run('DELETE FROM tokens WHERE expires_at <= ?', [now]),
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
    readServerValue: (name) => one(db, 'SELECT value FROM server_keys WHERE name = ?', [name], (r) => r.value as string),
  };
}
