// The one repository contract every store implements (SQLite and PostgreSQL): one interface
// per aggregate (tenancy, users, groups, the trail, the console, webhooks,
// provisioning jobs), each in its own module, and
// their intersection. Every method that touches tenant data takes the organization id and
// never crosses it.
import type { QueryObserver } from './sql/executor.ts';
import type { ScimProfile } from '../scim/index.ts';
import type { TenancyRepository } from './tenancy.ts';
import type { UserRepository } from './users.ts';
import type { GroupRepository } from './groups.ts';
import type { TrailRepository } from './trail.ts';
import type { ConsoleRepository } from './console.ts';
import type { WebhookRepository } from './webhooks.ts';
import type { ProvisioningRepository } from './provisioning.ts';

export type { ScimProfile };
export type { DivisionFilter, Page, Keyset, ResourceQuery } from './paging.ts';
export type { Organization, Division, Role, RoleDivision, OAuthClient, FederatedCredential, TokenRecord, SecretTokenInfo, NamedEntity, NamedKind, TenancyRepository } from './tenancy.ts';
export type { UserRecord, UserWrite, UserRow, UserQuery, UserRepository } from './users.ts';
export type { GroupVisibility, GroupRecord, MembersWrite, MembersWritten, MemberRef, GroupRef, GroupSelection, GroupQuery, GroupRepository } from './groups.ts';
export type { AuditRecord, EventPosition, EventQuery, EventRow, TrailQuery, AuditQuery, AuditPage, RequestLine, RefusalRecord, RefusalQuery, RequestRecord, RequestQuery, RequestPage, RequestBucket, RefusalPage, TrailRepository } from './trail.ts';
export type { UserGrant, ConsoleSession, ConsoleRepository } from './console.ts';
export type { WebhookRecord, WebhookProgress, WebhookFormat, WebhookMethod, DeliveryRecord, WebhookRepository } from './webhooks.ts';

export type { JobStatus, JobHealth, JobCycleSummary, ProvisioningJobRecord, JobProgress, JobLogRecord, JobStateKind, OnDemandStep, CurrentCycle, ProvisioningRepository } from './provisioning.ts';

export type Repository = TenancyRepository & UserRepository & GroupRepository & TrailRepository & ConsoleRepository & WebhookRepository & ProvisioningRepository;

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
