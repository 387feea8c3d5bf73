// Genesys rules for a user about to be written: userName is an email, phones are
// E.164/tel: URIs, the division is named, the manager, roles, skills and languages must
// exist in the organization. Returns the record fields; throws ScimError otherwise.
import { inScope, userViewScope } from '../auth/permissions.ts';
import { copyOf, deepEqual, ENTERPRISE_USER_SCHEMA, GENESYS_USER_SCHEMA, isObject, scimErrors, type JsonObject } from '../scim/index.ts';
import type { Repository, UserRow } from '../store/contract.ts';
import type { CallContext } from './context.ts';
import { normalizePhoneNumber } from './phone.ts';
import { SCIM_AUTHORITY } from './user-view.ts';

export interface PreparedUser {
  readonly userName: string;
  readonly externalId?: string;
  readonly displayName?: string;
  readonly active: boolean;
  readonly divisionId: string;
  readonly divisionName: string;
  readonly managerId?: string;
  /** A manager newly set, as read to check it: its name and division (the view shows them). */
  readonly manager?: { readonly displayName?: string; readonly divisionId: string };
  readonly data: JsonObject;
  /** A password the request set, still in clear: the caller hashes it. */
  readonly password?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const MAX_ROUTING_ENTRIES = 50;

const otherEmails = (r: JsonObject) => (Array.isArray(r.emails) ? (r.emails as JsonObject[]).filter((e) => e.type === 'other') : []);
const scimExternalIds = (r: JsonObject) => {
  const ext = r[GENESYS_USER_SCHEMA];
  return isObject(ext) && Array.isArray(ext.externalIds) ? (ext.externalIds as JsonObject[]).filter((x) => x.authority === SCIM_AUTHORITY) : [];
};

/** A POST/PUT body may echo the derived values, but only as they would be derived. */
export function checkDerivedInBody(ctx: CallContext, r: JsonObject): void {
  if (!ctx.registry.derivedUserValues) return;
  const userName = String(r.userName ?? '').toLowerCase();
  if (otherEmails(r).some((e) => String(e.value).toLowerCase() !== userName)) {
    throw scimErrors.mutability('emails[type eq "other"] mirrors userName and is read-only; change userName instead');
  }
  if (scimExternalIds(r).some((x) => x.value !== r.externalId)) {
    throw scimErrors.mutability(`The "${SCIM_AUTHORITY}" external id mirrors externalId and is immutable; change externalId instead`);
  }
}

/** A PATCH must leave `active` assigned and the derived values as they were. */
export function checkDerivedUnchanged(ctx: CallContext, before: JsonObject, after: JsonObject): void {
  // Every user here is active or inactive (sign-in, the console, Genesys' default lists read
  // it), so `active` is always assigned: a PATCH that would unassign it (remove, or replace
  // with null) is refused as RFC 7644 3.5.2.2 refuses removing an attribute the service
  // requires. RFC 7643 4.1.1 leaves the attribute's meaning to the service provider.
  if (before.active !== undefined && after.active === undefined) {
    throw scimErrors.mutability('"active" cannot be removed: a user is always active or inactive here; replace it with false to disable the user');
  }
  if (!ctx.registry.derivedUserValues) return;
  if (!deepEqual(otherEmails(before), otherEmails(after))) {
    throw scimErrors.mutability('emails[type eq "other"] mirrors userName and is read-only; change userName instead');
  }
  if (!deepEqual(scimExternalIds(before), scimExternalIds(after))) {
    throw scimErrors.mutability(`The "${SCIM_AUTHORITY}" external id is immutable; change externalId instead`);
  }
}

function normalizeDate(v: unknown): string {
  const s = String(v);
  const t = Date.parse(s);
  if (!/^\d{4}-\d{2}-\d{2}/.test(s) || Number.isNaN(t)) throw scimErrors.invalidValue(`dateHire ${JSON.stringify(s)} is not an ISO 8601 date`);
  return s.slice(0, 10);
}

async function checkRoutingNames(repo: Repository, ctx: CallContext, kind: 'skill' | 'language', entries: unknown): Promise<void> {
  if (!Array.isArray(entries)) return;
  const label = kind === 'skill' ? 'routingSkills' : 'routingLanguages';
  if (entries.length > MAX_ROUTING_ENTRIES) throw scimErrors.invalidValue(`${label} holds at most ${MAX_ROUTING_ENTRIES} entries`);
  for (const e of entries as JsonObject[]) {
    const p = e.proficiency;
    if (p !== undefined && (typeof p !== 'number' || p < 0 || p > 5)) throw scimErrors.invalidValue(`${label} proficiency must be between 0.0 and 5.0`);
  }
  const names = [...new Set((entries as JsonObject[]).map((e) => String(e.name)))];
  const found = new Set((await repo.findNamed(kind, ctx.org.id, names)).map((n) => n.name));
  const missing = names.filter((n) => !found.has(n));
  if (missing.length > 0) throw scimErrors.invalidValue(`Unknown routing ${kind}${missing.length > 1 ? 's' : ''}: ${missing.join(', ')} (names are case-sensitive)`);
}

export async function prepareUser(repo: Repository, ctx: CallContext, resource: JsonObject, existing?: UserRow): Promise<PreparedUser> {
  const userName = resource.userName as string;
  if (ctx.registry.userNameIsEmail && !EMAIL.test(userName)) throw scimErrors.invalidValue(`userName ${JSON.stringify(userName)} must be an email address (it is the login)`);

  const data: JsonObject = copyOf(resource);
  for (const k of ['id', 'meta', 'groups', 'schemas', 'password']) delete data[k];
  const password = typeof resource.password === 'string' ? resource.password : undefined;
  if (data.active === undefined) data.active = existing?.active ?? true;

  // The derived values are not stored: they are shown from userName and externalId.
  if (ctx.registry.derivedUserValues) {
    const emails = Array.isArray(data.emails) ? (data.emails as JsonObject[]).filter((e) => e.type !== 'other') : [];
    if (emails.length > 0) data.emails = emails;
    else delete data.emails;
  }
  if (ctx.registry.phonesAsTel && Array.isArray(data.phoneNumbers)) {
    const seen = new Set<string>();
    data.phoneNumbers = (data.phoneNumbers as JsonObject[]).map((p) => {
      const type = p.type as string | undefined;
      if (type && seen.has(type)) throw scimErrors.invalidValue(`Only one phone number of type "${type}" is allowed`);
      if (type) seen.add(type);
      return { ...p, value: normalizePhoneNumber(type, String(p.value ?? '')) };
    });
  }
  // The Genesys extension exists only in the registries that define it.
  const gen = isObject(data[GENESYS_USER_SCHEMA]) ? copyOf(data[GENESYS_USER_SCHEMA] as JsonObject) : undefined;
  if (gen) {
    await checkRoutingNames(repo, ctx, 'skill', gen.routingSkills);
    await checkRoutingNames(repo, ctx, 'language', gen.routingLanguages);
    if (ctx.registry.derivedUserValues && Array.isArray(gen.externalIds)) {
      const ids = (gen.externalIds as JsonObject[]).filter((x) => x.authority !== SCIM_AUTHORITY);
      if (ids.length > 0) gen.externalIds = ids;
      else delete gen.externalIds;
    }
    if (Object.keys(gen).length > 0) data[GENESYS_USER_SCHEMA] = gen;
    else delete data[GENESYS_USER_SCHEMA];
  }
  if (ctx.registry.rolesByName && Array.isArray(data.roles)) {
    const names = (data.roles as JsonObject[]).map((r) => String(r.value ?? ''));
    const roles = await repo.findRolesByName(ctx.org.id, names);
    const byLower = new Map(roles.map((r) => [r.name.toLowerCase(), r.name]));
    const missing = names.filter((n) => !byLower.has(n.toLowerCase()));
    if (missing.length > 0) throw scimErrors.invalidValue(`Unknown role${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
    data.roles = (data.roles as JsonObject[]).map((r) => ({ ...r, value: byLower.get(String(r.value).toLowerCase()) }));
  }

  const ent = isObject(data[ENTERPRISE_USER_SCHEMA]) ? copyOf(data[ENTERPRISE_USER_SCHEMA] as JsonObject) : {};
  // The division the user is in already needs no lookup (a PATCH of other attributes carries
  // the current division name along): its name was read with the user. A division deleted
  // since is caught by the write (MissingReference), which reads again.
  const sameDivision = typeof ent.division === 'string' && existing !== undefined && ent.division.toLowerCase() === existing.divisionName.toLowerCase();
  const divisionName = typeof ent.division === 'string' && ctx.registry.divisionByName && !sameDivision ? ent.division : undefined;
  const managerValue = isObject(ent.manager) && typeof ent.manager.value === 'string' ? ent.manager.value : undefined;
  if (managerValue !== undefined && existing && managerValue === existing.id) throw scimErrors.invalidValue('A user cannot be their own manager');
  // A manager outside the caller's divisions is unknown to it, unless it is the one already
  // set (a user of the organization, as the row read shows: no lookup).
  const managerKeptAsIs = managerValue !== undefined && managerValue === existing?.managerId;
  // The division and the manager in one statement (one round trip, one socket write).
  const { division: named, manager: found } = await repo.userReferences(ctx.org.id, {
    ...(divisionName !== undefined ? { division: { name: divisionName } } : !existing ? { division: 'home' as const } : {}),
    ...(managerValue !== undefined && !managerKeptAsIs ? { managerId: managerValue } : {}),
  });
  if (divisionName !== undefined && !named) throw scimErrors.invalidValue(`Division "${divisionName}" does not exist; divisions are created by an administrator`);
  if (!named && !existing) throw new Error(`organization ${ctx.org.id} has no Home division`);
  const division = named ? { id: named.id, name: named.name } : { id: existing!.divisionId, name: existing!.divisionName };
  let managerId: string | undefined;
  let manager: PreparedUser['manager'];
  let managerKept = false;
  if (managerValue !== undefined) {
    const isUser = managerKeptAsIs || (found !== undefined && inScope(userViewScope(ctx.principal), found.divisionId));
    if (found && isUser) manager = { displayName: found.displayName, divisionId: found.divisionId };
    if (isUser) managerId = managerValue;
    else if (ctx.registry.managerMustBeUser) throw scimErrors.invalidValue(`Manager "${managerValue}" is not a user of this organization`);
    else {
      // RFC 7643 4.3: the value is the manager's id, which may live elsewhere: kept as given.
      const given = ent.manager as JsonObject;
      ent.manager = { value: managerValue, ...(typeof given.$ref === 'string' ? { $ref: given.$ref } : {}) };
      managerKept = true;
    }
  }
  if (ent.dateHire !== undefined) ent.dateHire = normalizeDate(ent.dateHire);
  if (ctx.registry.divisionByName) delete ent.division;
  if (!managerKept) delete ent.manager;
  if (Object.keys(ent).length > 0) data[ENTERPRISE_USER_SCHEMA] = ent;
  else delete data[ENTERPRISE_USER_SCHEMA];

  return {
    userName,
    externalId: data.externalId as string | undefined,
    displayName: data.displayName as string | undefined,
    active: data.active === true,
    divisionId: division.id,
    divisionName: division.name,
    managerId,
    ...(manager ? { manager } : {}),
    data,
    password,
  };
}
