// What the steps of one cycle share: the options, the reports so far, the users chosen, the
// state with the ways to change it (journalled, never in a dry run), and the mappings the
// steps match and reference by.
import type { CompiledMapping } from '../mappings.ts';
import type { SourceUser } from '../source.ts';
import { ESCROW_BASE_MS, ESCROW_MAX_MS, type ObjectReport, type SyncOptions, type UserState } from './types.ts';

export interface Cycle {
  readonly o: SyncOptions;
  readonly objects: ObjectReport[];
  /** Users of the source by id. */
  readonly byId: ReadonlyMap<string, SourceUser>;
  /** The users this cycle processes (all, or the pilot's `only`). */
  readonly selected: readonly SourceUser[];
  /** The pilot's users (ids and userPrincipalNames, lower-cased); undefined for a full cycle. */
  readonly only: ReadonlySet<string> | undefined;
  /** The mappings that match target users, in matching order. */
  readonly matchers: readonly CompiledMapping[];
  /** The mapping that references the manager, if any. */
  readonly managerMapping: CompiledMapping | undefined;
  /** Users whose manager is resolved after every user was processed. */
  readonly pendingManagers: { u: SourceUser; report: ObjectReport }[];
  targetIdOf(sourceId: string): string | undefined;
  /** The user's state (undefined: forget it), journalled as the target acknowledged it. */
  record(sourceId: string, entry: UserState | undefined): void;
  /** A failed create escrows the user (`reason`); a create that worked releases it (undefined). */
  escrow(sourceId: string, reason: string | undefined): void;
  /** How a report names a source user: its userPrincipalName. */
  nameOf(sourceId: string): string;
}

export function createCycle(o: SyncOptions): Cycle {
  const { state, directory: dir } = o;
  const userMappings = o.mappings.users;
  const only = o.only ? new Set(o.only.map((x) => x.toLowerCase())) : undefined;
  const byId = new Map(dir.users.map((u) => [u.id, u]));
  return {
    o,
    objects: [],
    byId,
    only,
    selected: dir.users.filter((u) => !only || only.has(u.id.toLowerCase()) || only.has(String(u.attributes.userPrincipalName ?? '').toLowerCase())),
    matchers: userMappings.filter((m) => m.match !== undefined).sort((a, b) => a.match! - b.match!),
    managerMapping: userMappings.find((m) => m.reference),
    pendingManagers: [],
    targetIdOf: (sourceId) => state.users[sourceId]?.targetId,
    record(sourceId, entry) {
      if (entry) state.users[sourceId] = entry;
      else delete state.users[sourceId];
      if (!o.dryRun) o.journal?.user(sourceId, entry);
    },
    escrow(sourceId, reason) {
      if (o.dryRun) return;
      state.escrow ??= {};
      if (reason === undefined) {
        if (!state.escrow[sourceId]) return;
        delete state.escrow[sourceId];
        o.journal?.escrow?.(sourceId, undefined);
        return;
      }
      const failures = (state.escrow[sourceId]?.failures ?? 0) + 1;
      const entry = { failures, reason: reason.slice(0, 500), nextAttempt: new Date(Date.now() + Math.min(ESCROW_MAX_MS, ESCROW_BASE_MS * 2 ** Math.min(failures - 1, 20))).toISOString() };
      state.escrow[sourceId] = entry;
      o.journal?.escrow?.(sourceId, entry);
    },
    nameOf: (sourceId) => String(byId.get(sourceId)?.attributes.userPrincipalName ?? sourceId),
  };
}
