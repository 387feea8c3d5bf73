// The console aggregate: a directory user's console grants, its sessions, and setup tokens.


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

export interface ConsoleRepository {
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
}
