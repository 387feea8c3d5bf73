// The users aggregate: a user row, its write with its audit record, and list queries.
import type { JsonObject } from '../scim/index.ts';
import type { GroupRef, GroupSelection, GroupVisibility } from './groups.ts';
import type { DivisionFilter, Page, ResourceQuery } from './paging.ts';
import type { AuditRecord } from './trail.ts';

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

/** A user as read back, with the names its ids point to. */
export interface UserRow extends UserRecord {
  readonly divisionName: string;
  readonly managerDisplayName?: string;
  /** The manager's division: whether a division-scoped caller may see the manager's name. */
  readonly managerDivisionId?: string;
  /** The user's groups, in name order: present when the read asked for them (GroupSelection). */
  readonly groups?: readonly GroupRef[];
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

export interface UserReferenceQuery {
  /** A division by name (case-insensitive), or the Home division. */
  readonly division?: { readonly name: string } | 'home';
  readonly managerId?: string;
}

export interface UserReferences {
  readonly division?: { readonly id: string; readonly name: string };
  readonly manager?: { readonly displayName?: string; readonly divisionId: string };
}

export interface UserRepository {
  insertUser(u: UserRecord): Promise<void>;
  /** A user; with `groups`, its groups of that selection in the same read (UserRow.groups). */
  getUser(orgId: string, id: string, groups?: GroupSelection): Promise<UserRow | undefined>;
  /**
   * What a user write names, read in one statement: a division (by name, or the organization's
   * Home division) and a manager (by id: its display name and division). Undefined where the
   * organization has no such division or user.
   */
  userReferences(orgId: string, q: UserReferenceQuery): Promise<UserReferences>;
  /** Which of `ids` are users of the organization (in `divisions`, when given). */
  userIdsExist(orgId: string, ids: readonly string[], divisions?: DivisionFilter): Promise<Set<string>>;
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
}
