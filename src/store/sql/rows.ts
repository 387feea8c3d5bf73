// Row <-> record mapping, shared by both dialects.
import type { Division, GroupRecord, GroupRef, GroupSelection, GroupVisibility, OAuthClient, Organization, Role, UserRow } from '../contract.ts';
import type { DialectFeatures } from './executor.ts';

type Row = Record<string, unknown>;
const opt = (v: unknown) => (v === null || v === undefined ? undefined : (v as string));

const USER_COLUMNS_SQL = `u.seq, u.id, u.org_id, u.user_name, u.external_id, u.display_name, u.active, u.division_id,
  u.manager_id, u.version, u.created, u.last_modified, u.data, u.password_hash,
  d.name AS division_name, m.display_name AS manager_display_name, m.division_id AS manager_division_id`;
const USER_JOINS = 'JOIN divisions d ON d.id = u.division_id LEFT JOIN users m ON m.id = u.manager_id';

const VISIBILITIES: ReadonlySet<GroupVisibility> = new Set(['public', 'members', 'owners']);

/**
 * A column with the user's groups as a JSON array of [id, displayName], in name order: the
 * user and its groups in one statement (one round trip on PostgreSQL). The visibility is one
 * of three fixed words, written into the SQL so that the column needs no parameter of its own
 * (its place among the parameters would differ between the plain and the paged select).
 */
function groupsColumn(features: DialectFeatures, groups: GroupSelection): string {
  if (groups.visibility !== undefined && !VISIBILITIES.has(groups.visibility)) throw new Error(`Unknown group visibility ${String(groups.visibility)}`);
  const visible = groups.visibility ? ` AND g.visibility = '${groups.visibility}'` : '';
  return `(SELECT ${features.jsonArrayAgg('g.id, g.display_name', 'g.display_name_lower, g.id')} FROM group_members gm JOIN groups g ON g.id = gm.group_id
    WHERE gm.user_id = u.id AND g.org_id = u.org_id${visible}) AS groups_json`;
}

const userColumns = (features: DialectFeatures, groups: GroupSelection | undefined) =>
  groups ? `${USER_COLUMNS_SQL}, ${groupsColumn(features, groups)}` : USER_COLUMNS_SQL;

/** The users of a query with the names their ids point to (and their groups, when asked). */
export const userSelect = (features: DialectFeatures, groups?: GroupSelection) =>
  `SELECT ${userColumns(features, groups)} FROM users u ${USER_JOINS}`;

/**
 * A page of users: the page is chosen on the users table's index alone (the skipped rows of
 * an OFFSET are never read whole, nor pay for the joins), then its rows are read and joined
 * to the names their ids point to. With `total` (a one-row SELECT of `n`), each row carries it
 * as `page_total`: an uncorrelated subquery in the select list, which both dialects evaluate
 * once per statement (PostgreSQL's InitPlan; joined as a table, PostgreSQL ran it once per
 * row). Its parameters come first.
 */
export const userPageSelect = (features: DialectFeatures, groups?: GroupSelection) => (innerWhere: string, order: string, limit: string, total?: string) =>
  `SELECT ${total ? `(SELECT n FROM (${total}) t) AS page_total, ` : ''}${userColumns(features, groups)}
    FROM (SELECT u.seq FROM users u ${innerWhere} ORDER BY ${order} ${limit} OFFSET ?) p JOIN users u ON u.seq = p.seq ${USER_JOINS}
    ORDER BY ${order}`;

function toGroupRefs(v: unknown): GroupRef[] {
  const pairs = (typeof v === 'string' ? JSON.parse(v) : v ?? []) as [string, string][];
  return pairs.map(([groupId, displayName]) => ({ groupId, displayName }));
}

/**
 * A group's version and lastModified as SQL over `g` (groups; an UPDATE's RETURNING names the
 * table instead): the row's, plus what membership writes counted in the group's version slots
 * (migration 23; empty on SQLite). Every change adds exactly one to the sum, so two committed
 * states never share a version.
 */
export const groupVersion = (g = 'g') => `${g}.version + COALESCE((SELECT SUM(v.n) FROM group_versions v WHERE v.group_id = ${g}.id), 0)`;
export const GROUP_LAST_MODIFIED = 'COALESCE((SELECT MAX(v.last_modified) FROM group_versions v WHERE v.group_id = g.id AND v.last_modified > g.last_modified), g.last_modified)';

export const GROUP_SELECT = `SELECT g.seq, g.id, g.org_id, g.display_name, g.external_id, g.description, g.type, g.visibility,
  ${groupVersion()} AS version, g.created, ${GROUP_LAST_MODIFIED} AS last_modified FROM groups g`;

export function toUser(r: Row): UserRow {
  return {
    id: r.id as string,
    orgId: r.org_id as string,
    userName: r.user_name as string,
    externalId: opt(r.external_id),
    displayName: opt(r.display_name),
    active: r.active === 1 || r.active === true,
    divisionId: r.division_id as string,
    managerId: opt(r.manager_id),
    version: Number(r.version),
    created: r.created as string,
    lastModified: r.last_modified as string,
    data: typeof r.data === 'string' ? JSON.parse(r.data) : (r.data as Record<string, unknown>),
    passwordHash: opt(r.password_hash),
    divisionName: r.division_name as string,
    managerDisplayName: opt(r.manager_display_name),
    managerDivisionId: opt(r.manager_division_id),
    ...(r.groups_json !== undefined ? { groups: toGroupRefs(r.groups_json) } : {}),
  };
}

export function toGroup(r: Row): GroupRecord {
  return {
    id: r.id as string,
    orgId: r.org_id as string,
    displayName: r.display_name as string,
    externalId: opt(r.external_id),
    description: opt(r.description),
    type: r.type as GroupRecord['type'],
    visibility: r.visibility as GroupRecord['visibility'],
    version: Number(r.version),
    created: r.created as string,
    lastModified: r.last_modified as string,
  };
}

export const toOrg = (r: Row): Organization => ({ id: r.id as string, name: r.name as string, scimProfile: r.scim_profile as Organization['scimProfile'], created: r.created as string });

export const toDivision = (r: Row): Division => ({
  id: r.id as string,
  orgId: r.org_id as string,
  name: r.name as string,
  description: opt(r.description),
  isHome: r.is_home === 1 || r.is_home === true,
  created: r.created as string,
});

export const toRole = (r: Row): Role => ({
  id: r.id as string,
  orgId: r.org_id as string,
  name: r.name as string,
  description: opt(r.description),
  permissions: typeof r.permissions === 'string' ? JSON.parse(r.permissions) : (r.permissions as string[]),
});

export const toClient = (r: Row): OAuthClient => ({
  id: r.id as string,
  orgId: r.org_id as string,
  name: r.name as string,
  secretHash: r.secret_hash as string,
  state: r.state as OAuthClient['state'],
  roleDivisions: typeof r.role_divisions === 'string' ? JSON.parse(r.role_divisions) : (r.role_divisions as OAuthClient['roleDivisions']),
  created: r.created as string,
  ...(r.token_ttl_seconds !== null && r.token_ttl_seconds !== undefined ? { accessTokenValiditySeconds: Number(r.token_ttl_seconds) } : {}),
  ...(typeof r.fed_issuer === 'string' ? {
    federation: { issuer: r.fed_issuer, subject: r.fed_subject as string, audience: r.fed_audience as string, ...(typeof r.fed_jwks_uri === 'string' ? { jwksUri: r.fed_jwks_uri } : {}) },
  } : {}),
});
