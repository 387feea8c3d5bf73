// The groups aggregate: groups, their members, and the membership write with its audit record.
import type { DivisionFilter, Page, ResourceQuery } from './paging.ts';
import type { AuditRecord } from './trail.ts';

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

export interface MemberRef {
  readonly userId: string;
  readonly displayName?: string;
  readonly divisionId: string;
}

export interface GroupRef {
  readonly groupId: string;
  readonly displayName: string;
}

/** Which of a user's groups a read brings with the user (all, or those of one visibility). */
export interface GroupSelection {
  readonly visibility?: GroupVisibility;
}

export interface GroupQuery extends ResourceQuery<GroupRecord> {
  readonly visibility?: GroupVisibility;
  /** Membership filters (`members[value eq "u"]`) see only members in these divisions. */
  readonly memberDivisionIds?: DivisionFilter;
}

export interface GroupRepository {
  insertGroup(g: GroupRecord): Promise<void>;
  getGroup(orgId: string, id: string): Promise<GroupRecord | undefined>;
  /**
   * Writes `g` if the group is still at `expectedVersion`. Call it in a transaction: on
   * PostgreSQL it locks the group first, so that it waits for membership writes in flight.
   */
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
   * audit record, all or nothing, even outside a transaction: one statement on PostgreSQL (two
   * in a transaction with `expectedVersion`), one group-committed transaction on SQLite.
   * Without `expectedVersion`, concurrent writes to one group do not wait for each other's
   * commits on PostgreSQL, and the version answered may already be behind the group's when
   * another write commits meanwhile (an If-Match with it then fails; it never passes on a
   * state the writer did not see). Undefined when the group is not there (of that
   * visibility, at that version); MissingReference when it was deleted meanwhile.
   */
  writeMembers(w: MembersWrite): Promise<MembersWritten | undefined>;
  /** Removes every member (in `divisions`, when given); returns how many were removed. */
  clearMembers(groupId: string, divisions?: DivisionFilter): Promise<number>;
  listMembers(groupId: string, divisions?: DivisionFilter): Promise<MemberRef[]>;
  groupsOfUsers(orgId: string, userIds: readonly string[], visibility?: GroupVisibility): Promise<Map<string, GroupRef[]>>;
}
