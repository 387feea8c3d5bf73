// The one repository contract every store implements (SQLite and PostgreSQL).
// Every method that touches tenant data takes the organization id and never crosses it.
import type { QueryObserver } from './sql/executor.ts';
import type { BoundFilter, JsonObject, ScimProfile, SortKey } from '../scim/index.ts';

export type { ScimProfile };

export interface Organization {
  readonly id: string;
  readonly name: string;
  readonly scimProfile: ScimProfile;
  readonly created: string;
}

export interface Division {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly description?: string;
  readonly isHome: boolean;
  readonly created: string;
}

export interface Role {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly description?: string;
  readonly permissions: readonly string[];
}

/** A role granted on a division; divisionId '*' means every division of the organization. */
export interface RoleDivision {
  readonly roleId: string;
  readonly divisionId: string;
}

export interface OAuthClient {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly secretHash: string;
  readonly state: 'active' | 'inactive';
  readonly roleDivisions: readonly RoleDivision[];
  readonly created: string;
  /** Lifetime of the tokens this client is issued (Genesys accessTokenValiditySeconds); absent: the server's default. */
  readonly accessTokenValiditySeconds?: number;
  /** Workload identity federation: the client authenticates with a JWT from this issuer (RFC 7523). */
  readonly federation?: FederatedCredential;
}

/**
 * Who may present a JWT instead of a secret (RFC 7523 2.2): tokens of `issuer` about `subject`,
 * addressed to `audience`, signed by a key from `jwksUri` (or the issuer's OpenID
 * configuration when absent).
 */
export interface FederatedCredential {
  readonly issuer: string;
  readonly subject: string;
  readonly audience: string;
  readonly jwksUri?: string;
}

export interface TokenRecord {
  readonly tokenHash: string;
  readonly clientId: string;
  readonly orgId: string;
  readonly expiresAt: number;
  /**
   * A secret token: issued from the console or the API for Entra's "Secret Token" field, long
   * lived, listed and revocable by its id. Access tokens from the token endpoint have none.
   */
  readonly secret?: { readonly id: string; readonly created: number };
}

/** A secret token as listed: never its value. */
export interface SecretTokenInfo {
  readonly id: string;
  readonly clientId: string;
  readonly created: number;
  readonly expiresAt: number;
}

export interface UserRecord {
  readonly id: string;
  readonly orgId: string;
  readonly userName: string;
  readonly externalId?: string;
  readonly displayName?: string;
  readonly active: boolean;
  readonly divisionId: string;
  readonly managerId?: string;
  readonly version: number;
  readonly created: string;
  readonly lastModified: string;
  /** The canonical SCIM resource minus what has its own column or is derived. */
  readonly data: JsonObject;
  readonly passwordHash?: string;
}

/** What Repository.writeUser stores. */
export interface UserWrite {
  readonly user: UserRecord;
  readonly previous?: UserRecord;
  readonly audit: AuditRecord;
}

/** What Repository.writeMembers stores: one kind of membership change to one group, with its audit record. */
export interface MembersWrite {
  readonly orgId: string;
  readonly groupId: string;
  /** The group must have this visibility (SCIM in the genesys profile sees public groups only). */
  readonly visibility?: GroupVisibility;
  /** The group must still be at this version (the client sent If-Match). */
  readonly expectedVersion?: number;
  readonly kind: 'add' | 'remove';
  /** At most MEMBER_BATCH ids, already checked by the caller; users deleted since are skipped. */
  readonly userIds: readonly string[];
  readonly lastModified: string;
  /** Written only if a membership row was added or removed. */
  readonly audit: AuditRecord;
}

/** What a membership write did: the group's version after it, and whether any row changed. */
export interface MembersWritten {
  readonly version: number;
  readonly changed: boolean;
}

/** A user as read back, with the names its ids point to. */
export interface UserRow extends UserRecord {
  readonly divisionName: string;
  readonly managerDisplayName?: string;
  /** The manager's division: whether a division-scoped caller may see the manager's name. */
  readonly managerDivisionId?: string;
  /** The user's groups, in name order: present when the read asked for them (GroupSelection). */
  readonly groups?: readonly GroupRef[];
}

export type GroupVisibility = 'public' | 'members' | 'owners';

export interface GroupRecord {
  readonly id: string;
  readonly orgId: string;
  readonly displayName: string;
  readonly externalId?: string;
  readonly description?: string;
  readonly type: 'official' | 'social';
  readonly visibility: GroupVisibility;
  readonly version: number;
  readonly created: string;
  readonly lastModified: string;
}

export interface MemberRef {
  readonly userId: string;
  readonly displayName?: string;
  readonly divisionId: string;
}

/**
 * The divisions a caller may see users in; undefined means every division. Membership reads
 * and writes take it so that a division-scoped caller never sees or touches a member outside.
 */
export type DivisionFilter = readonly string[] | undefined;

export interface GroupRef {
  readonly groupId: string;
  readonly displayName: string;
}

/** Which of a user's groups a read brings with the user (all, or those of one visibility). */
export interface GroupSelection {
  readonly visibility?: GroupVisibility;
}

export interface Page<T> {
  readonly total: number;
  readonly items: readonly T[];
  /** With a keyset query: the positions of the first and last item, and whether more lie beyond either. */
  readonly keyset?: { readonly first?: number; readonly last?: number; readonly moreBefore: boolean; readonly moreAfter: boolean };
}

/** Keyset paging in the store's own order (RFC 9865 cursors): the page after or before a position. */
export interface Keyset {
  readonly after?: number;
  readonly before?: number;
}

export interface ResourceQuery<T> {
  readonly filter?: BoundFilter;
  /** Evaluates the whole filter on a row; used for what SQL cannot decide. */
  readonly matches: (row: T) => boolean | Promise<boolean>;
  readonly startIndex: number;
  readonly count: number;
  readonly sort?: SortKey;
  /** Instead of startIndex: the page after/before a position (no sort). */
  readonly keyset?: Keyset;
}

export interface UserQuery extends ResourceQuery<UserRow> {
  readonly activeOnly: boolean;
  /** Restrict to these divisions; undefined means all. */
  readonly divisionIds?: readonly string[];
  /** Group filters (`groups.value eq "g"`) see only groups of this visibility. */
  readonly groupVisibility?: GroupVisibility;
  /**
   * How the profile stores the enterprise extension: `division` as the user's division
   * (true) or as free text in the document; `manager.value` only in its column (true), or
   * possibly in the document too (a manager that is not a user). Both default to true.
   */
  readonly divisionByName?: boolean;
  readonly managerMustBeUser?: boolean;
  /** Read each user's groups with it (UserRow.groups). */
  readonly withGroups?: GroupSelection;
}

export interface GroupQuery extends ResourceQuery<GroupRecord> {
  readonly visibility?: GroupVisibility;
  /** Membership filters (`members[value eq "u"]`) see only members in these divisions. */
  readonly memberDivisionIds?: DivisionFilter;
}

export interface NamedEntity {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
}

export type NamedKind = 'skill' | 'language';

/** One audit record: who changed what, with the before/after of each changed attribute. */
export interface AuditRecord {
  /** Position in the trail (set when read back). */
  readonly seq?: number;
  readonly id: string;
  readonly orgId: string;
  readonly time: string;
  readonly clientId?: string;
  readonly requestId?: string;
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string;
  /** The division of the user the record describes (its division after the change); absent for resources outside divisions. */
  readonly divisionId?: string;
  readonly changes: Readonly<Record<string, { readonly before?: unknown; readonly after?: unknown }>>;
}

/** A page of a trail (audit records, refused requests): by client and time, in write order or newest first. */
export interface TrailQuery {
  readonly clientId?: string;
  readonly from?: string;
  readonly to?: string;
  /** Opaque position returned by the previous page (the next page continues in the same order). */
  readonly after?: number;
  readonly limit: number;
  /** Newest first (the console's feed, the CLI); default oldest first, as records were written. */
  readonly newestFirst?: boolean;
}

export interface AuditQuery extends TrailQuery {
  readonly resourceId?: string;
  /**
   * A division-scoped reader: only records of users in these divisions, plus records of
   * `alsoTypes` (resources that live outside divisions and are filtered by the caller).
   */
  readonly scope?: { readonly divisionIds: readonly string[]; readonly alsoTypes: readonly string[] };
}

export interface AuditPage {
  readonly entities: readonly AuditRecord[];
  /** Position to pass as `after` for the next page; absent on the last page. */
  readonly next?: number;
}

/** What the refusal record and the request log both keep of a request. */
interface RequestLine {
  readonly id: string;
  readonly time: string;
  readonly clientId?: string;
  readonly requestId?: string;
  readonly method: string;
  /** The path and query, secrets redacted, cut short. */
  readonly path: string;
  readonly status: number;
}

/** A request that was refused: what was asked and why it was refused (the activity feed). */
export interface RefusalRecord extends RequestLine {
  readonly orgId: string;
  readonly scimType?: string;
  readonly detail: string;
  /** The request body as JSON text with passwords and secrets replaced, cut short. */
  readonly body?: string;
  /** A validate-only request (RFC 7240 `Prefer: validate-only`): nothing would have changed either way. */
  readonly validateOnly?: boolean;
}

export type RefusalQuery = TrailQuery;

/** One request as the request log keeps it (SCIM, token endpoint, administration API). */
export interface RequestRecord extends RequestLine {
  /** Absent when the request named no organization (an unknown token or client). */
  readonly orgId?: string;
  readonly durationMs: number;
  /** How the caller authenticated, in words ("token of the client", "expired token", "unknown token", ...). */
  readonly auth: string;
  /** Why it was refused or failed. */
  readonly detail?: string;
}

export interface RequestQuery extends TrailQuery {
  /** `2xx`, `4xx`, `5xx` or one status (401). */
  readonly status?: string;
  /** Part of the path. */
  readonly path?: string;
  /** Also requests that named no organization (a deployment of one organization shows them). */
  readonly withUnattributed?: boolean;
}

export interface RequestPage {
  readonly entities: readonly (RequestRecord & { readonly seq: number })[];
  readonly next?: number;
}

/** Requests per hour by outcome (the console's 24-hour chart). */
export interface RequestBucket {
  /** The hour, ISO 8601 (`2026-12-07T04:00:00.000Z`). */
  readonly hour: string;
  readonly ok: number;
  readonly refused: number;
  readonly failed: number;
}

export interface RefusalPage {
  readonly entities: readonly (RefusalRecord & { readonly seq: number })[];
  readonly next?: number;
}

/** A role a directory user holds (for the console) on a division, or '*' for all. */
export interface UserGrant {
  readonly roleId: string;
  readonly divisionId: string;
}

/** A console session: only the digest of the cookie's value is stored. */
export interface ConsoleSession {
  readonly idHash: string;
  readonly orgId: string;
  readonly userId: string;
  readonly csrf: string;
  readonly created: number;
  readonly lastSeen: number;
}

/** Store operations; inside `transaction` they run atomically. */
export interface Repository {
  // organizations and divisions
  createOrganization(org: Organization): Promise<void>;
  getOrganization(id: string): Promise<Organization | undefined>;
  /**
   * Inside a transaction: serialises it with every other that locks the same organization,
   * for checks across rows (the last administrator). A no-op where writers are serial.
   */
  lockOrganization(id: string): Promise<void>;
  listOrganizations(): Promise<Organization[]>;
  createDivision(d: Division): Promise<void>;
  getDivision(orgId: string, id: string): Promise<Division | undefined>;
  findDivisionByName(orgId: string, name: string): Promise<Division | undefined>;
  listDivisions(orgId: string): Promise<Division[]>;
  homeDivision(orgId: string): Promise<Division>;
  // roles and clients
  createRole(r: Role): Promise<void>;
  getRole(orgId: string, id: string): Promise<Role | undefined>;
  findRolesByName(orgId: string, names: readonly string[]): Promise<Role[]>;
  listRoles(orgId: string): Promise<Role[]>;
  createClient(c: OAuthClient): Promise<void>;
  getClient(id: string): Promise<OAuthClient | undefined>;
  /** The client that federates with this issuer and subject (unique across the store). */
  getClientByFederation(issuer: string, subject: string): Promise<OAuthClient | undefined>;
  updateClient(c: OAuthClient): Promise<void>;
  updateDivision(d: Division): Promise<void>;
  deleteDivision(orgId: string, id: string): Promise<boolean>;
  countUsersInDivision(orgId: string, divisionId: string): Promise<number>;
  updateRole(r: Role): Promise<void>;
  deleteRole(orgId: string, id: string): Promise<boolean>;
  listClients(orgId: string): Promise<OAuthClient[]>;
  deleteClient(orgId: string, id: string): Promise<boolean>;
  // tokens
  insertToken(t: TokenRecord): Promise<void>;
  getToken(tokenHash: string): Promise<TokenRecord | undefined>;
  deleteTokensOfClient(clientId: string): Promise<number>;
  deleteExpiredTokens(now: number): Promise<number>;
  /** The organization's secret tokens (of one client, or all), soonest to expire first. */
  listSecretTokens(orgId: string, clientId?: string): Promise<SecretTokenInfo[]>;
  /** Deletes one secret token of a client; false when that client has none with that id. */
  deleteSecretToken(orgId: string, clientId: string, id: string): Promise<boolean>;
  /** Secret tokens of every organization that expire before `time` and have not yet (the metric). */
  countSecretTokensExpiring(now: number, before: number): Promise<number>;
  // routing names
  createNamed(kind: NamedKind, e: NamedEntity): Promise<void>;
  findNamed(kind: NamedKind, orgId: string, names: readonly string[]): Promise<NamedEntity[]>;
  listNamed(kind: NamedKind, orgId: string): Promise<NamedEntity[]>;
  deleteNamed(kind: NamedKind, orgId: string, id: string): Promise<boolean>;
  /** The key stored under `name`, storing `candidate` first if there is none (every node gets the same). */
  serverKey(name: string, candidate: string): Promise<string>;
  /** A value the server records for its tools (the public URL it serves), replacing the one before. */
  recordServerValue(name: string, value: string): Promise<void>;
  readServerValue(name: string): Promise<string | undefined>;
  // audit trail
  insertAudit(a: AuditRecord): Promise<void>;
  queryAudits(orgId: string, q: AuditQuery): Promise<AuditPage>;
  deleteAuditsBefore(time: string): Promise<number>;
  // refused requests
  insertRefusals(records: readonly RefusalRecord[]): Promise<void>;
  queryRefusals(orgId: string, q: RefusalQuery): Promise<RefusalPage>;
  deleteRefusalsBefore(time: string): Promise<number>;
  // request log
  insertRequests(records: readonly RequestRecord[]): Promise<void>;
  queryRequests(orgId: string, q: RequestQuery): Promise<RequestPage>;
  /** Requests per hour since `from` (same attribution rule as queryRequests). */
  requestBuckets(orgId: string, from: string, withUnattributed: boolean): Promise<RequestBucket[]>;
  /** The last request of one of the organization's clients that was answered below 400. */
  lastAccepted(orgId: string): Promise<{ time: string; clientId?: string } | undefined>;
  /** Deletes requests older than `time`, then the oldest beyond `maxRows`; the number deleted. */
  pruneRequests(time: string, maxRows: number): Promise<number>;
  // console users
  listUserGrants(orgId: string, userId: string): Promise<UserGrant[]>;
  /** Replaces every grant of the user. */
  setUserGrants(orgId: string, userId: string, grants: readonly UserGrant[]): Promise<void>;
  /** Users (ids) that hold `roleId` through a console grant. */
  usersWithRole(orgId: string, roleId: string): Promise<string[]>;
  insertSession(s: ConsoleSession): Promise<void>;
  getSession(idHash: string): Promise<ConsoleSession | undefined>;
  touchSession(idHash: string, lastSeen: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  deleteSessionsOfUser(userId: string): Promise<void>;
  deleteSessionsBefore(lastSeen: number): Promise<number>;
  insertSetupToken(tokenHash: string, orgId: string, expiresAt: number): Promise<void>;
  /** Marks the token used if it is unused and unexpired; returns its organization, else undefined. Single use across nodes. */
  consumeSetupToken(tokenHash: string, now: number): Promise<string | undefined>;
  // users
  insertUser(u: UserRecord): Promise<void>;
  /** A user; with `groups`, its groups of that selection in the same read (UserRow.groups). */
  getUser(orgId: string, id: string, groups?: GroupSelection): Promise<UserRow | undefined>;
  /** Which of `ids` are users of the organization (in `divisions`, when given). */
  userIdsExist(orgId: string, ids: readonly string[], divisions?: DivisionFilter): Promise<Set<string>>;
  /**
   * Writes `u` over `previous` (the record as read) if the stored version is still
   * previous.version; false when it moved on. Only changed columns are written, so indexes
   * on unchanged columns are left alone.
   */
  updateUser(u: UserRecord, previous: UserRecord): Promise<boolean>;
  /**
   * A user created (no `previous`) or updated (from `previous`, whose version must still be the
   * current one) together with its audit record, all or nothing, even outside a transaction:
   * one statement on PostgreSQL (one round trip), one group-committed transaction on SQLite.
   * False when `previous` is no longer current; UniqueViolation for a taken userName,
   * MissingReference when its division or manager was deleted meanwhile.
   */
  writeUser(w: UserWrite): Promise<boolean>;
  deleteUser(orgId: string, id: string): Promise<boolean>;
  queryUsers(orgId: string, q: UserQuery): Promise<Page<UserRow>>;
  // groups
  insertGroup(g: GroupRecord): Promise<void>;
  getGroup(orgId: string, id: string): Promise<GroupRecord | undefined>;
  updateGroup(g: GroupRecord, expectedVersion: number): Promise<boolean>;
  /** Bumps a group's version after a membership change; returns the new version. Never conflicts. */
  touchGroup(orgId: string, id: string, lastModified: string): Promise<number>;
  deleteGroup(orgId: string, id: string): Promise<boolean>;
  queryGroups(orgId: string, q: GroupQuery): Promise<Page<GroupRecord>>;
  /** Adds members that are not yet in; returns how many were added. O(1) per member. */
  addMembers(groupId: string, userIds: readonly string[]): Promise<number>;
  removeMembers(groupId: string, userIds: readonly string[]): Promise<number>;
  /**
   * Adds or removes members, and when a row changed moves the group's version and writes the
   * audit record, all or nothing, even outside a transaction: one statement on PostgreSQL, one
   * group-committed transaction on SQLite. Undefined when the group is not there (of that
   * visibility, at that version); MissingReference when it was deleted meanwhile.
   */
  writeMembers(w: MembersWrite): Promise<MembersWritten | undefined>;
  /** Removes every member (in `divisions`, when given); returns how many were removed. */
  clearMembers(groupId: string, divisions?: DivisionFilter): Promise<number>;
  listMembers(groupId: string, divisions?: DivisionFilter): Promise<MemberRef[]>;
  groupsOfUsers(orgId: string, userIds: readonly string[], visibility?: GroupVisibility): Promise<Map<string, GroupRef[]>>;
}

export interface Store extends Repository {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `fn` in one transaction: all its writes or none. */
  transaction<T>(fn: (tx: Repository) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * Tells every process sharing this store that cached state is stale (`message` names what).
   * PostgreSQL: NOTIFY, heard by every node at once. SQLite: one serving process, and the
   * caches of other processes on the same file expire by time, so nothing is sent.
   */
  broadcast(message: string): Promise<void>;
  /** Reports each statement's duration to `observer` (Prometheus metrics). */
  instrument(observer: QueryObserver): void;
  /** Connection pool figures (PostgreSQL); undefined for SQLite's single connection. */
  poolStats(): { readonly total: number; readonly idle: number; readonly waiting: number } | undefined;
  /** Transactions run and commits made (on SQLite several transactions share a commit). */
  commitStats(): { readonly transactions: number; readonly commits: number };
  /** Calls `handler` for each broadcast from any node, and with '*' when messages may have been missed (after a reconnection). Returns the stop function. */
  subscribe(handler: (message: string) => void): Promise<() => Promise<void>>;
}

/**
 * The writes that are atomic on their own, made so by running each in `store`'s transaction:
 * for a store whose single statements cannot do it (SQLite), or whose transactions are
 * rolled back (validate-only), so that these writes are too.
 */
export function writesInTransaction(store: Pick<Store, 'transaction'>): Pick<Repository, 'writeUser' | 'writeMembers'> {
  return {
    writeUser: (w) => store.transaction((tx) => tx.writeUser(w)),
    writeMembers: (w) => store.transaction((tx) => tx.writeMembers(w)),
  };
}

/** A row the write points to (a user's division or manager) no longer exists. */
export class MissingReference extends Error {
  constructor(detail: string) {
    super(`missing reference: ${detail}`);
    this.name = 'MissingReference';
  }
}

export class UniqueViolation extends Error {
  constructor(readonly constraint: string) {
    super(`unique constraint ${constraint}`);
    this.name = 'UniqueViolation';
  }
}
