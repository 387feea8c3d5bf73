// The SCIM representation of a stored user: the stored document plus what is derived
// (Genesys' read-only `other` email mirroring userName, the immutable SCIM external id
// authority, division name, manager reference, groups, meta).
import { copyOf, ENTERPRISE_USER_SCHEMA, GENESYS_USER_SCHEMA, isObject, schemasFor, type JsonObject, type Registry } from '../scim/index.ts';
import type { GroupRef, UserRow } from '../store/contract.ts';
import { etagOf } from './context.ts';

/** Genesys keeps the core externalId as an external id with this authority. */
export const SCIM_AUTHORITY = 'x-pc:scimv2:v1';

export function userLocation(base: string, id: string): string {
  return `${base}/Users/${id}`;
}

/** Adds, to a copy of the stored document, the derived values that PATCH may see but never change (genesys profile). */
function addDerived(registry: Registry, out: JsonObject, userName: string, externalId: string | undefined): void {
  if (!registry.derivedUserValues) return;
  const emails = Array.isArray(out.emails) ? (out.emails as JsonObject[]).filter((e) => e.type !== 'other') : [];
  emails.push({ value: userName, type: 'other', primary: !emails.some((e) => e.primary === true) });
  out.emails = emails;
  const stored = out[GENESYS_USER_SCHEMA];
  const ext: JsonObject = isObject(stored) ? copyOf(stored) : {};
  const ids = Array.isArray(ext.externalIds) ? (ext.externalIds as JsonObject[]).filter((x) => x.authority !== SCIM_AUTHORITY) : [];
  if (externalId !== undefined) ids.unshift({ authority: SCIM_AUTHORITY, value: externalId });
  if (ids.length > 0) ext.externalIds = ids;
  else delete ext.externalIds;
  if (Object.keys(ext).length > 0) out[GENESYS_USER_SCHEMA] = ext;
}

/**
 * The full resource (before projection) of a stored user. Built by adding to one copy of the
 * stored document (`copyOf`, not spread: see there); the values it derives are new objects, so
 * the row's own document is never changed.
 */
export function userResource(registry: Registry, base: string, row: UserRow, groups: readonly GroupRef[] | undefined): JsonObject {
  const r = copyOf(row.data);
  addDerived(registry, r, row.userName, row.externalId);
  r.id = row.id;
  const stored = r[ENTERPRISE_USER_SCHEMA];
  const ent: JsonObject = isObject(stored) ? copyOf(stored) : {};
  if (registry.divisionByName) ent.division = row.divisionName;
  if (row.managerId) {
    const manager: JsonObject = { value: row.managerId, $ref: userLocation(base, row.managerId) };
    if (row.managerDisplayName) manager.displayName = row.managerDisplayName;
    ent.manager = manager;
  }
  if (Object.keys(ent).length > 0) r[ENTERPRISE_USER_SCHEMA] = ent;
  else delete r[ENTERPRISE_USER_SCHEMA];
  if (groups && groups.length > 0) {
    r.groups = groups.map((g) => ({ value: g.groupId, $ref: `${base}/Groups/${g.groupId}`, display: g.displayName, type: 'direct' }));
  }
  r.meta = { resourceType: 'User', created: row.created, lastModified: row.lastModified, location: userLocation(base, row.id), version: etagOf(row.version) };
  r.schemas = schemasFor(registry, registry.resourceType('User')!, r);
  return r;
}
