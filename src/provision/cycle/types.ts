// What a provisioning cycle reads and returns: its options, the state it keeps between
// cycles (target ids, fingerprints, escrow), and its report.
import type { MappingSet } from '../mappings.ts';
import type { ScimClient } from '../scim-client.ts';
import type { ScopeConfig } from '../scope.ts';
import type { Directory } from '../source.ts';

export type WireProfile = 'entra' | 'rfc';
export type Action = 'create' | 'update' | 'disable' | 'delete' | 'skip' | 'fail';

export interface AttributeChange {
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface ObjectReport {
  readonly kind: 'user' | 'group';
  readonly sourceId: string;
  readonly name: string;
  action: Action;
  changes: AttributeChange[];
  errors: string[];
  reason?: string;
  targetId?: string;
}

/** `disabled`: deprovisioned by a disable (out of scope, or gone with deprovision=disable); processed again when back. */
export interface UserState { targetId: string; hash: string; managerTargetId?: string; disabled?: boolean }
/** `displayName`: the name last sent, so that a rename in the source is sent as Entra does (absent in states made before). */
export interface GroupState { targetId: string; members: string[]; displayName?: string }

/**
 * A user whose create keeps failing is escrowed, as Entra escrows it: retried after
 * ESCROW_BASE_MS, then twice as long each time, up to ESCROW_MAX_MS, instead of every cycle.
 */
export interface EscrowEntry { failures: number; nextAttempt: string; reason: string }
export const ESCROW_BASE_MS = 10 * 60_000;
export const ESCROW_MAX_MS = 24 * 3_600_000;

export interface SyncState {
  version: 1;
  users: Record<string, UserState>;
  groups: Record<string, GroupState>;
  /** Users whose creates failed, by source id (absent in states made before). */
  escrow?: Record<string, EscrowEntry>;
  /** The Graph connector's delta state (deltaLink and the users as last seen). */
  graph?: { usersDeltaLink?: string; users: Record<string, Record<string, unknown>> };
}

export const emptyState = (): SyncState => ({ version: 1, users: {}, groups: {} });

/**
 * Where a real cycle records each write as the target acknowledges it (the state store), so
 * that a cycle cut short resumes without repeating them. Dry runs record nothing.
 */
export interface StateJournal {
  user(sourceId: string, entry: UserState | undefined): void;
  group(sourceId: string, entry: GroupState): void;
  escrow?(sourceId: string, entry: EscrowEntry | undefined): void;
}

export interface SyncOptions {
  readonly client: ScimClient;
  readonly mappings: MappingSet;
  readonly directory: Directory;
  readonly scope: ScopeConfig;
  readonly profile: WireProfile;
  readonly dryRun: boolean;
  /** Pilot test: only these users (ids or userPrincipalNames). */
  readonly only?: readonly string[];
  /** Send explicit removes where a mapped value became empty (Entra cannot). */
  readonly clearEmpty: boolean;
  /**
   * Users deleted from the source: disabled (default, as Entra's default job does), deleted,
   * or left alone. Users out of scope are disabled unless this is 'none'.
   */
  readonly deprovision: 'delete' | 'disable' | 'none';
  /**
   * Accidental-deletion prevention (Entra's default: 500): a cycle that would disable or
   * delete more users than `count` (or than `percent` of the provisioned users) writes
   * nothing and says why, unless `allow` is at least that number.
   */
  readonly deletionThreshold?: { readonly count: number; readonly percent?: number; readonly allow?: number };
  readonly concurrency: number;
  readonly state: SyncState;
  readonly journal?: StateJournal;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Runs the work of one user or group (the service's jobs run it in an AsyncLocalStorage
   * context, so that each request to the target is logged with the object it was for).
   */
  readonly forObject?: (report: ObjectReport, work: () => Promise<void>) => Promise<void>;
}

export interface SyncReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly dryRun: boolean;
  readonly profile: WireProfile;
  readonly objects: ObjectReport[];
  readonly problems: readonly { file: string; index: number; reason: string }[];
  readonly summary: Record<Action, number> & { requests: number; writes: number; seconds: number };
  /** Set when the cycle refused to run (accidental-deletion threshold): nothing was written. */
  readonly stopped?: string;
  /** Dry run: whether the target validated each write (its real answers) or nothing was sent. */
  readonly validatedByTarget?: boolean;
}

export const DEFAULT_DELETION_THRESHOLD = 500;

/** Members added or removed per group PATCH. */
export const MEMBERS_PER_PATCH = 1000;
