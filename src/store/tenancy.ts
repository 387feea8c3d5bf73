// The tenancy aggregate: organizations, their divisions, roles and OAuth clients, the tokens
// issued to clients, routing names, and the server-wide keys and values.
import type { ScimProfile } from '../scim/index.ts';

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

export interface NamedEntity {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
}

export type NamedKind = 'skill' | 'language';

export interface TenancyRepository {
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
  updateDivision(d: Division): Promise<void>;
  deleteDivision(orgId: string, id: string): Promise<boolean>;
  countUsersInDivision(orgId: string, divisionId: string): Promise<number>;
  createRole(r: Role): Promise<void>;
  getRole(orgId: string, id: string): Promise<Role | undefined>;
  findRolesByName(orgId: string, names: readonly string[]): Promise<Role[]>;
  listRoles(orgId: string): Promise<Role[]>;
  updateRole(r: Role): Promise<void>;
  deleteRole(orgId: string, id: string): Promise<boolean>;
  createClient(c: OAuthClient): Promise<void>;
  getClient(id: string): Promise<OAuthClient | undefined>;
  /** The client that federates with this issuer and subject (unique across the store). */
  getClientByFederation(issuer: string, subject: string): Promise<OAuthClient | undefined>;
  updateClient(c: OAuthClient): Promise<void>;
  listClients(orgId: string): Promise<OAuthClient[]>;
  deleteClient(orgId: string, id: string): Promise<boolean>;
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
  createNamed(kind: NamedKind, e: NamedEntity): Promise<void>;
  findNamed(kind: NamedKind, orgId: string, names: readonly string[]): Promise<NamedEntity[]>;
  listNamed(kind: NamedKind, orgId: string): Promise<NamedEntity[]>;
  deleteNamed(kind: NamedKind, orgId: string, id: string): Promise<boolean>;
  /** The key stored under `name`, storing `candidate` first if there is none (every node gets the same). */
  serverKey(name: string, candidate: string): Promise<string>;
  /** A value the server records for its tools (the public URL it serves), replacing the one before. */
  recordServerValue(name: string, value: string): Promise<void>;
  readServerValue(name: string): Promise<string | undefined>;
}
