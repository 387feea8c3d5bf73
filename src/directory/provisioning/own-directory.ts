// A job whose source is the organization's own directory reads it as the provisioning engine
// reads Microsoft Graph: each user as a Graph user record (userPrincipalName, displayName,
// mail, jobTitle, department, telephoneNumber, manager, IsSoftDeleted, ...), so that Entra's
// mappings and expressions apply unchanged; each group with its members. A job scoped to
// divisions reads only users of those divisions, and only them as members.
import { ENTERPRISE_USER_SCHEMA, type JsonObject } from '../../scim/index.ts';
import type { Store, UserRow } from '../../store/contract.ts';
import { directoryFromRecords, type Directory } from '../../provision/source.ts';

const PAGE = 500;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value of the element of a multi-valued attribute of `type` (else the primary, else the first). */
function valueOf(list: unknown, type: string): string | undefined {
  if (!Array.isArray(list)) return undefined;
  const items = list.filter(isObject);
  const hit = items.find((i) => i.type === type) ?? items.find((i) => i.primary === true) ?? items[0];
  return typeof hit?.value === 'string' ? hit.value : undefined;
}

/** A stored user as Microsoft Graph would return it. */
export function graphUserOf(row: UserRow): Record<string, unknown> {
  const d = row.data;
  const name = isObject(d.name) ? d.name : {};
  const ent = isObject(d[ENTERPRISE_USER_SCHEMA]) ? (d[ENTERPRISE_USER_SCHEMA] as JsonObject) : {};
  const phones = Array.isArray(d.phoneNumbers) ? d.phoneNumbers.filter(isObject) : [];
  const record: Record<string, unknown> = {
    id: row.id,
    userPrincipalName: row.userName,
    displayName: row.displayName ?? d.displayName,
    givenName: name.givenName,
    surname: name.familyName,
    mail: valueOf(d.emails, 'work'),
    jobTitle: d.title,
    department: ent.department,
    employeeId: ent.employeeNumber,
    companyName: ent.organization,
    telephoneNumber: phones.find((p) => p.type === 'work')?.value,
    mobile: phones.find((p) => p.type === 'mobile')?.value,
    preferredLanguage: d.preferredLanguage,
    externalId: row.externalId,
    division: row.divisionName,
    accountEnabled: row.active,
    IsSoftDeleted: !row.active,
    ...(row.managerId ? { manager: row.managerId } : {}),
  };
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined && v !== null));
}

/** The organization's users (of `divisions`, when given) and groups, as the engine reads a source. */
export async function readOwnDirectory(store: Store, orgId: string, divisions: readonly string[] | undefined): Promise<Directory> {
  const users: Record<string, unknown>[] = [];
  let after: number | undefined;
  for (;;) {
    const page = await store.queryUsers(orgId, { matches: () => true, startIndex: 1, count: PAGE, keyset: after === undefined ? {} : { after }, activeOnly: false, ...(divisions ? { divisionIds: divisions } : {}) });
    users.push(...page.items.map(graphUserOf));
    if (!page.keyset?.moreAfter || page.keyset.last === undefined || page.items.length === 0) break;
    after = page.keyset.last;
  }
  const groups: Record<string, unknown>[] = [];
  let start = 1;
  for (;;) {
    const page = await store.queryGroups(orgId, { matches: () => true, startIndex: start, count: PAGE });
    for (const g of page.items) {
      const members = await store.listMembers(g.id, divisions);
      groups.push({ id: g.id, displayName: g.displayName, members: members.map((m) => ({ id: m.userId })) });
    }
    start += page.items.length;
    if (page.items.length === 0 || start > page.total) break;
  }
  return directoryFromRecords(users, groups, { users: 'directory', groups: 'directory' });
}

/** Only these users (those of `divisions`, when given; no groups): what a cycle for a few changed users reads. */
export async function readOwnUsers(store: Store, orgId: string, ids: readonly string[], divisions: readonly string[] | undefined): Promise<Directory> {
  const users: Record<string, unknown>[] = [];
  for (const id of ids) {
    const row = await store.getUser(orgId, id);
    if (row && (!divisions || divisions.includes(row.divisionId))) users.push(graphUserOf(row));
  }
  return directoryFromRecords(users, [], { users: 'directory', groups: 'directory' });
}
