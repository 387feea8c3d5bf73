// One provisioning cycle, as Entra runs it: for each in-scope user, match on the target by the
// matching attributes, create if absent, else send only the changed attributes; soft-deleted
// users are disabled, users gone from the source or the scope are deleted (configurable);
// managers are resolved to target ids (a second pass for managers created later); groups are
// matched by displayName and their membership reconciled. A state file makes later cycles
// incremental: an unchanged user costs no request at all. One bad user never stops the cycle.
import { evaluateForTarget } from './expression/evaluate.ts';
import { fingerprint } from './expression/functions.ts';
import { SKIP } from './expression/values.ts';
import type { CompiledMapping, MappingSet } from './mappings.ts';
import { readPath, sameValue, writePath } from './paths.ts';
import { errorDetail, type ScimClient } from './scim-client.ts';
import { groupInScope, outOfScope, type ScopeConfig } from './scope.ts';
import type { Directory, SourceGroup, SourceUser } from './source.ts';

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

/** Users a cycle would disable or delete, and why, computed before anything is sent. */
export function deprovisionPlan(o: Pick<SyncOptions, 'directory' | 'scope' | 'state' | 'deprovision' | 'only'>): { sourceId: string; action: 'disable' | 'delete'; reason: string }[] {
  if (o.only || o.deprovision === 'none') return [];
  const byId = new Map(o.directory.users.map((u) => [u.id, u]));
  const plan: { sourceId: string; action: 'disable' | 'delete'; reason: string }[] = [];
  for (const [sourceId, entry] of Object.entries(o.state.users)) {
    const u = byId.get(sourceId);
    if (!u) {
      if (o.deprovision === 'delete') plan.push({ sourceId, action: 'delete', reason: 'deleted from the source' });
      else if (!entry.disabled) plan.push({ sourceId, action: 'disable', reason: 'deleted from the source' });
      continue;
    }
    const out = outOfScope(u, o.scope, o.directory);
    if (out && !entry.disabled) plan.push({ sourceId, action: 'disable', reason: out });
    else if (!out && u.softDeleted && !entry.disabled) plan.push({ sourceId, action: 'disable', reason: 'soft-deleted in the source' });
  }
  return plan;
}

/** Why the plan is over the threshold, or undefined when the cycle may run. */
export function thresholdRefusal(plan: readonly unknown[], provisioned: number, t: SyncOptions['deletionThreshold']): string | undefined {
  const count = t?.count ?? DEFAULT_DELETION_THRESHOLD;
  const n = plan.length;
  if (t?.allow !== undefined && n <= t.allow) return undefined;
  const overCount = n > count;
  const overPercent = t?.percent !== undefined && provisioned > 0 && (n / provisioned) * 100 > t.percent;
  if (!overCount && !overPercent) return undefined;
  const limit = overCount ? `the threshold of ${count}` : `${t!.percent}% of the ${provisioned} provisioned users`;
  return `This cycle would disable or delete ${n} users, more than ${limit}: nothing was written. Check the source and the scope; to proceed, run again with --allow-deletions ${n}.`;
}

const BOOLEAN_TARGETS = new Set(['active']);
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const quoteFilter = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Values to send, by target path; `null` marks a mapping whose value is empty. */
function desiredValues(mappings: readonly CompiledMapping[], u: SourceUser, creating: boolean): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const m of mappings) {
    if (m.reference) continue;
    if (m.apply === 'creation' && !creating) continue;
    let v = evaluateForTarget(m.expr, u.attributes);
    if (v === SKIP) continue;
    if ((v === null || v === '') && creating && m.defaultValue !== undefined) v = m.defaultValue;
    out.set(m.target, v === '' ? null : v);
  }
  return out;
}

function wireValue(path: string, v: unknown, profile: WireProfile, forPatch: boolean): unknown {
  if (!BOOLEAN_TARGETS.has(path) || (typeof v !== 'string' && typeof v !== 'boolean')) return v;
  const b = typeof v === 'boolean' ? v : v.toLowerCase() === 'true';
  // Entra's default job sends booleans as "True"/"False" in PATCH, real booleans in POST.
  return profile === 'entra' && forPatch ? (b ? 'True' : 'False') : b;
}

const isFilterPath = (p: string) => p.includes('[');

function patchOp(profile: WireProfile, op: 'add' | 'replace' | 'remove', path: string, value?: unknown) {
  const name = profile === 'entra' ? (op === 'add' ? 'Add' : op === 'replace' ? 'Replace' : 'Remove') : op;
  return value === undefined ? { op: name, path } : { op: name, path, value };
}

/** An object whose write went through but left an error (a dropped manager reference) counts as failed. */
function countActions(objects: readonly ObjectReport[]): Record<Action, number> {
  const summary = { create: 0, update: 0, disable: 0, delete: 0, skip: 0, fail: 0 } as Record<Action, number>;
  for (const r of objects) summary[r.errors.length > 0 ? 'fail' : r.action]++;
  return summary;
}

export async function runSync(o: SyncOptions): Promise<SyncReport> {
  const started = Date.now();
  const { client, directory: dir, state, profile } = o;
  const objects: ObjectReport[] = [];
  // Accidental-deletion prevention comes first: a refused cycle sends no request at all.
  const plan = deprovisionPlan(o);
  const refusal = thresholdRefusal(plan, Object.keys(state.users).length, o.deletionThreshold);
  const byId = new Map(dir.users.map((u) => [u.id, u]));
  if (refusal) {
    const nameOf = (id: string) => String(byId.get(id)?.attributes.userPrincipalName ?? id);
    for (const p of plan) objects.push({ kind: 'user', sourceId: p.sourceId, name: nameOf(p.sourceId), action: 'skip', reason: `would ${p.action} (${p.reason}); stopped by the deletion threshold`, changes: [], errors: [] });
    return {
      startedAt: new Date(started).toISOString(), finishedAt: new Date().toISOString(), dryRun: o.dryRun, profile, objects, problems: dir.problems, stopped: refusal,
      summary: { ...countActions(objects), requests: client.requests, writes: client.writes, seconds: (Date.now() - started) / 1000 },
    };
  }
  // A dry run asks whether the target can answer writes without making them (a pilot that predicts).
  await client.discover();
  const userMappings = o.mappings.users;
  const matchers = userMappings.filter((m) => m.match !== undefined).sort((a, b) => a.match! - b.match!);
  const managerMapping = userMappings.find((m) => m.reference);
  const only = o.only ? new Set(o.only.map((x) => x.toLowerCase())) : undefined;
  const selected = dir.users.filter((u) => !only || only.has(u.id.toLowerCase()) || only.has(String(u.attributes.userPrincipalName ?? '').toLowerCase()));
  const targetIdOf = (sourceId: string) => state.users[sourceId]?.targetId;
  const record = (sourceId: string, entry: UserState | undefined) => {
    if (entry) state.users[sourceId] = entry;
    else delete state.users[sourceId];
    if (!o.dryRun) o.journal?.user(sourceId, entry);
  };
  const pendingManagers: { u: SourceUser; report: ObjectReport }[] = [];
  /** A failed create escrows the user (a dry run escrows nothing). */
  const escrow = (sourceId: string, reason: string | undefined) => {
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
  };
  let done = 0;

  const matchUser = async (desired: Map<string, unknown>): Promise<string | undefined> => {
    for (const m of matchers) {
      const v = desired.get(m.target);
      if (v === null || v === undefined) continue;
      const r = await client.request('GET', `/Users?filter=${encodeURIComponent(`${m.target} eq ${quoteFilter(String(v))}`)}&attributes=id`);
      if (r.status !== 200) throw new Error(`match on ${m.target} failed: ${errorDetail(r)}`);
      const found = (r.body?.Resources ?? []) as { id: string }[];
      if (found.length > 1) throw new Error(`${found.length} target users match ${m.target} eq "${v}" (DuplicateTargetEntries)`);
      if (found.length === 1) return found[0].id;
    }
    return undefined;
  };

  const processUser = async (u: SourceUser): Promise<void> => {
    const name = String(u.attributes.userPrincipalName ?? u.id);
    const report: ObjectReport = { kind: 'user', sourceId: u.id, name, action: 'skip', changes: [], errors: [] };
    objects.push(report);
    try {
      const reason = outOfScope(u, o.scope, dir);
      if (reason) {
        report.reason = reason;
        return; // deprovisioned below if it was provisioned before
      }
      const desired = desiredValues(userMappings, u, false);
      const hash = fingerprint({ d: [...desired.entries()], m: u.managerId ?? null, s: u.softDeleted });
      const known = state.users[u.id];
      // A user disabled by deprovisioning and now back in scope is sent again (its active value).
      if (known && (!known.disabled || u.softDeleted) && known.hash === hash && (!u.managerId || known.managerTargetId === targetIdOf(u.managerId))) {
        report.targetId = known.targetId;
        report.reason = 'unchanged since the last cycle';
        return;
      }
      let targetId: string | undefined = known?.targetId ?? (await matchUser(desired));
      let current: Record<string, unknown> | undefined;
      if (targetId && !client.isVirtual(targetId)) {
        const r = await client.request('GET', `/Users/${encodeURIComponent(targetId)}`);
        if (r.status === 404) targetId = undefined; // deleted on the target: create again
        else if (r.status !== 200) throw new Error(`read failed: ${errorDetail(r)}`);
        else current = r.body;
      }
      if (!targetId) {
        if (u.softDeleted) {
          report.reason = 'soft-deleted in the source and not provisioned';
          return;
        }
        // Provisioning on demand (`only`) tries at once, as Entra's does.
        const escrowed = state.escrow?.[u.id];
        if (escrowed && !only && Date.parse(escrowed.nextAttempt) > Date.now()) {
          report.reason = `escrowed after ${escrowed.failures} failed create${escrowed.failures === 1 ? '' : 's'} (${escrowed.reason}); next attempt at ${escrowed.nextAttempt}`;
          return;
        }
        const body: Record<string, unknown> = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT] };
        for (const [path, v] of desiredValues(userMappings, u, true)) {
          if (v === null) continue;
          writePath(body, path, wireValue(path, v, profile, false));
          report.changes.push({ path, after: v });
        }
        const managerTarget = u.managerId ? targetIdOf(u.managerId) : undefined;
        if (managerMapping && managerTarget) {
          // A manager created only in this dry run exists nowhere: the real run sends it.
          if (!client.isVirtual(managerTarget)) writePath(body, managerMapping.target, { value: managerTarget });
          report.changes.push({ path: managerMapping.target, after: managerTarget });
        }
        let r = await client.request('POST', '/Users', body);
        if (r.status === 409) {
          // Entra treats a conflict as "exists": match again and update instead.
          targetId = await matchUser(desired);
          if (!targetId) throw new Error(`create refused: ${errorDetail(r)}`);
          r = await client.request('GET', `/Users/${encodeURIComponent(targetId)}`);
          current = r.body;
          report.changes = [];
        } else if (r.status !== 201 && r.status !== 200) {
          escrow(u.id, errorDetail(r));
          throw new Error(`create refused: ${errorDetail(r)}`);
        } else {
          escrow(u.id, undefined);
          targetId = r.body.id as string;
          report.action = 'create';
          report.targetId = targetId;
          record(u.id, { targetId, hash, managerTargetId: managerTarget });
          if (managerMapping && u.managerId && !managerTarget) pendingManagers.push({ u, report });
          return;
        }
      }
      report.targetId = targetId;
      const ops: unknown[] = [];
      for (const [path, v] of desired) {
        const before = readPath(current ?? {}, path);
        if (v === null) {
          if (o.clearEmpty && before !== undefined && before !== null && before !== '') {
            ops.push(patchOp(profile, 'remove', path));
            report.changes.push({ path, before });
          }
          continue;
        }
        if (sameValue(before, v)) continue;
        ops.push(patchOp(profile, isFilterPath(path) || before === undefined ? 'add' : 'replace', path, wireValue(path, v, profile, true)));
        report.changes.push({ path, before, after: v });
      }
      let managerTarget: string | undefined;
      if (managerMapping) {
        managerTarget = u.managerId ? targetIdOf(u.managerId) : undefined;
        const before = readPath(current ?? {}, `${managerMapping.target}.value`) ?? undefined;
        if (managerTarget && before !== managerTarget) {
          if (!client.isVirtual(managerTarget)) ops.push(patchOp(profile, 'add', managerMapping.target, profile === 'entra' ? managerTarget : { value: managerTarget }));
          report.changes.push({ path: managerMapping.target, before, after: managerTarget });
        } else if (!u.managerId && before && o.clearEmpty) {
          ops.push(patchOp(profile, 'remove', managerMapping.target));
          report.changes.push({ path: managerMapping.target, before });
        } else if (u.managerId && !managerTarget) pendingManagers.push({ u, report });
      }
      if (ops.length > 0) {
        const r = await client.request('PATCH', `/Users/${encodeURIComponent(targetId!)}`, { schemas: [PATCH_OP], Operations: ops });
        if (r.status !== 200 && r.status !== 204) throw new Error(`update refused: ${errorDetail(r)}`);
        report.action = u.softDeleted && report.changes.some((c) => c.path === 'active') ? 'disable' : 'update';
      } else report.reason = 'already in sync';
      record(u.id, { targetId: targetId!, hash, managerTargetId: managerTarget });
    } catch (e) {
      report.action = 'fail';
      report.errors.push((e as Error).message);
    } finally {
      o.onProgress?.(++done, selected.length);
    }
  };

  await pool(selected, o.concurrency, processUser);

  // Second pass: managers created later in this cycle.
  for (const { u, report } of pendingManagers) {
    const managerTarget = targetIdOf(u.managerId!);
    const targetId = targetIdOf(u.id);
    if (!managerTarget || !targetId || !managerMapping) {
      // Named as the administrator knows the manager; the object counts as failed (countActions).
      report.errors.push(`manager ${String(byId.get(u.managerId!)?.attributes.userPrincipalName ?? u.managerId)} is not provisioned (out of scope or failed): the manager reference was dropped`);
      continue;
    }
    // Dry run: a user or manager created only in this run cannot be referred to; the real run will.
    const r = client.isVirtual(targetId) || client.isVirtual(managerTarget)
      ? { status: 200, body: undefined }
      : await client.request('PATCH', `/Users/${encodeURIComponent(targetId)}`, { schemas: [PATCH_OP], Operations: [patchOp(profile, 'add', managerMapping.target, profile === 'entra' ? managerTarget : { value: managerTarget })] });
    if (r.status === 200 || r.status === 204) {
      report.changes.push({ path: managerMapping.target, after: managerTarget });
      if (report.action === 'skip') report.action = 'update';
      record(u.id, { ...state.users[u.id], managerTargetId: managerTarget });
    } else report.errors.push(`manager update refused: ${errorDetail(r)}`);
  }

  // Deprovisioning: provisioned before, now gone from the source or out of scope (the plan
  // checked against the threshold above). Soft-deleted users were disabled by their update.
  // The reports so far are the users' (one each), looked up by id rather than scanned per user.
  const userReports = new Map(objects.map((r) => [r.sourceId, r]));
  for (const p of plan.filter((x) => x.reason !== 'soft-deleted in the source')) {
    const entry = state.users[p.sourceId];
    let report = userReports.get(p.sourceId);
    if (!report) {
      report = { kind: 'user', sourceId: p.sourceId, name: String(byId.get(p.sourceId)?.attributes.userPrincipalName ?? p.sourceId), action: 'skip', changes: [], errors: [] };
      objects.push(report);
    }
    report.reason = p.reason;
    report.targetId = entry.targetId;
    try {
      if (p.action === 'delete') {
        const r = await client.request('DELETE', `/Users/${encodeURIComponent(entry.targetId)}`);
        if (r.status !== 204 && r.status !== 200 && r.status !== 404) throw new Error(`delete refused: ${errorDetail(r)}`);
        report.action = 'delete';
        if (!o.dryRun) record(p.sourceId, undefined);
      } else {
        const r = await client.request('PATCH', `/Users/${encodeURIComponent(entry.targetId)}`, { schemas: [PATCH_OP], Operations: [patchOp(profile, 'replace', 'active', wireValue('active', false, profile, true))] });
        if (r.status === 404) {
          report.action = 'skip';
          report.reason = `${p.reason}; already gone from the target`;
          if (!o.dryRun) record(p.sourceId, undefined);
          continue;
        }
        if (r.status !== 200 && r.status !== 204) throw new Error(`disable refused: ${errorDetail(r)}`);
        report.action = 'disable';
        report.changes.push({ path: 'active', after: false });
        if (!o.dryRun) record(p.sourceId, { ...entry, disabled: true });
      }
    } catch (e) {
      report.action = 'fail';
      report.errors.push((e as Error).message);
    }
  }
  // Soft-deleted users disabled by their update are marked, so that they are not counted again.
  for (const p of plan.filter((x) => x.reason === 'soft-deleted in the source')) {
    const entry = state.users[p.sourceId];
    const report = userReports.get(p.sourceId);
    if (entry && report && report.action !== 'fail' && !o.dryRun) record(p.sourceId, { ...entry, disabled: true });
  }

  if (!only) for (const g of dir.groups.filter((x) => groupInScope(x, o.scope))) objects.push(await syncGroup(o, g));

  nameReferences(objects, dir, state, managerMapping?.target);
  const summary = countActions(objects);
  return {
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    dryRun: o.dryRun,
    ...(o.dryRun ? { validatedByTarget: client.validating } : {}),
    profile,
    objects,
    problems: dir.problems,
    summary: { ...summary, requests: client.requests, writes: client.writes, seconds: (Date.now() - started) / 1000 },
  };
}

/**
 * Reports name people: target ids (and dry-run placeholders) in manager and member changes
 * become the source user's userPrincipalName, which is what an administrator recognises.
 */
function nameReferences(objects: ObjectReport[], dir: Directory, state: SyncState, managerPath: string | undefined): void {
  const upn = new Map(dir.users.map((u) => [u.id, String(u.attributes.userPrincipalName ?? u.id)]));
  const byTarget = new Map(Object.entries(state.users).map(([sourceId, e]) => [e.targetId, upn.get(sourceId) ?? sourceId]));
  const name = (v: unknown): unknown => (typeof v === 'string' ? byTarget.get(v) ?? v : Array.isArray(v) ? v.map(name) : v);
  for (const o of objects) {
    o.changes = o.changes.map((c) => (c.path === managerPath || c.path === 'members' ? { ...c, ...(c.before !== undefined ? { before: name(c.before) } : {}), ...(c.after !== undefined ? { after: name(c.after) } : {}) } : c));
  }
}

async function syncGroup(o: SyncOptions, g: SourceGroup): Promise<ObjectReport> {
  const { client, state, profile } = o;
  const report: ObjectReport = { kind: 'group', sourceId: g.id, name: g.displayName, action: 'skip', changes: [], errors: [] };
  try {
    const desired = g.memberIds.map((id) => state.users[id]?.targetId).filter((x): x is string => x !== undefined).sort();
    let entry = state.groups[g.id];
    if (!entry) {
      const r = await client.request('GET', `/Groups?filter=${encodeURIComponent(`displayName eq ${quoteFilter(g.displayName)}`)}&excludedAttributes=members`);
      if (r.status !== 200) throw new Error(`match failed: ${errorDetail(r)}`);
      const found = (r.body?.Resources ?? []) as { id: string }[];
      if (found.length > 1) throw new Error(`${found.length} target groups are named "${g.displayName}"`);
      let targetId = found[0]?.id;
      if (!targetId) {
        const c = await client.request('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: g.displayName, externalId: g.id });
        if (c.status !== 201 && c.status !== 200) throw new Error(`group "${g.displayName}" does not exist on the target and could not be created: ${errorDetail(c)}`);
        targetId = c.body.id as string;
        report.action = 'create';
        entry = { targetId, members: [] };
      } else {
        // First sight of an existing group: read its members once; later cycles use the state.
        // Only members this engine provisioned are its to manage (as Entra leaves members it
        // did not assign): others already in the group stay.
        const full = await client.request('GET', `/Groups/${encodeURIComponent(targetId)}`);
        const managed = new Set(Object.values(state.users).map((e) => e.targetId));
        entry = { targetId, members: ((full.body?.members ?? []) as { value: string }[]).map((m) => m.value).filter((id) => managed.has(id)).sort() };
      }
    }
    report.targetId = entry.targetId;
    // A group renamed in the source is renamed on the target (Entra's Update_Group).
    if (entry.displayName !== undefined && entry.displayName !== g.displayName && !client.isVirtual(entry.targetId)) {
      const r = await client.request('PATCH', `/Groups/${encodeURIComponent(entry.targetId)}`, { schemas: [PATCH_OP], Operations: [patchOp(profile, 'replace', 'displayName', g.displayName)] });
      if (r.status !== 200 && r.status !== 204) throw new Error(`rename to "${g.displayName}" refused: ${errorDetail(r)}`);
      report.action = 'update';
      report.changes.push({ path: 'displayName', before: entry.displayName, after: g.displayName });
    }
    const current = new Set(entry.members);
    const want = new Set(desired);
    const add = desired.filter((id) => !current.has(id));
    const remove = entry.members.filter((id) => !want.has(id));
    // Dry run: members created only in this run cannot be sent (they exist nowhere yet).
    const sendable = add.filter((id) => !client.isVirtual(id));
    // At most MEMBERS_PER_PATCH members per request, as Entra batches them: one PATCH with
    // every member of a 50,000-member group would be refused for its size (413).
    const patches: unknown[][] = [];
    for (let i = 0; i < sendable.length; i += MEMBERS_PER_PATCH) patches.push([patchOp(profile, 'add', 'members', sendable.slice(i, i + MEMBERS_PER_PATCH).map((value) => ({ value })))]);
    for (let i = 0; i < remove.length; i += MEMBERS_PER_PATCH) {
      const part = remove.slice(i, i + MEMBERS_PER_PATCH);
      patches.push(profile === 'entra' ? [patchOp(profile, 'remove', 'members', part.map((value) => ({ value })))] : part.map((id) => patchOp(profile, 'remove', `members[value eq ${quoteFilter(id)}]`)));
    }
    if (patches.length > 0 || add.length > 0) {
      if (!client.isVirtual(entry.targetId)) {
        for (const ops of patches) {
          const r = await client.request('PATCH', `/Groups/${encodeURIComponent(entry.targetId)}`, { schemas: [PATCH_OP], Operations: ops });
          if (r.status !== 200 && r.status !== 204) throw new Error(`membership update refused: ${errorDetail(r)}`);
        }
      }
      if (report.action === 'skip') report.action = 'update';
      if (add.length) report.changes.push({ path: 'members', after: add });
      if (remove.length) report.changes.push({ path: 'members', before: remove });
    } else if (report.action === 'skip') report.reason = 'membership in sync';
    state.groups[g.id] = { targetId: entry.targetId, members: desired, displayName: g.displayName };
    if (!o.dryRun) o.journal?.group(g.id, state.groups[g.id]);
  } catch (e) {
    report.action = 'fail';
    report.errors.push((e as Error).message);
  }
  return report;
}
