// The users step: for each chosen user in scope, match it on the target (by the matching
// attributes, in order), create it when absent (escrowed with backoff when creates keep
// failing), else send only what changed; an unchanged user since the last cycle costs no
// request. A manager not yet on the target is left for the managers step.
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from '../../scim/index.ts';
import { fingerprint } from '../expression/functions.ts';
import { readPath, sameValue, writePath } from '../paths.ts';
import { errorDetail } from '../scim-client.ts';
import { outOfScope } from '../scope.ts';
import type { SourceUser } from '../source.ts';
import type { Cycle } from './context.ts';
import type { ObjectReport } from './types.ts';
import { desiredValues, isFilterPath, managerValue, patchOp, pool, quoteFilter, sendPatch, wireValue } from './wire.ts';

export async function syncUsers(c: Cycle): Promise<void> {
  let done = 0;
  await pool(c.selected, c.o.concurrency, async (u) => {
    const report: ObjectReport = { kind: 'user', sourceId: u.id, name: String(u.attributes.userPrincipalName ?? u.id), action: 'skip', changes: [], errors: [] };
    c.objects.push(report);
    try {
      await (c.o.forObject ?? ((_r, work) => work()))(report, () => syncUser(c, u, report));
    } catch (e) {
      report.action = 'fail';
      report.errors.push((e as Error).message);
    } finally {
      c.o.onProgress?.(++done, c.selected.length);
    }
  });
}

/** The target user the matching attributes find, in order; an Error when more than one matches. */
async function matchUser(c: Cycle, desired: Map<string, unknown>): Promise<string | undefined> {
  for (const m of c.matchers) {
    const v = desired.get(m.target);
    if (v === null || v === undefined) continue;
    const r = await c.o.client.request('GET', `/Users?filter=${encodeURIComponent(`${m.target} eq ${quoteFilter(String(v))}`)}&attributes=id`);
    if (r.status !== 200) throw new Error(`match on ${m.target} failed: ${errorDetail(r)}`);
    const found = (r.body?.Resources ?? []) as { id: string }[];
    if (found.length > 1) throw new Error(`${found.length} target users match ${m.target} eq "${v}" (DuplicateTargetEntries)`);
    if (found.length === 1) return found[0].id;
  }
  return undefined;
}

async function syncUser(c: Cycle, u: SourceUser, report: ObjectReport): Promise<void> {
  const { o } = c;
  const { client, state, profile } = o;
  const userMappings = o.mappings.users;
  const reason = outOfScope(u, o.scope, o.directory);
  if (reason) {
    report.reason = reason;
    return; // deprovisioned by its own step if it was provisioned before
  }
  const desired = desiredValues(userMappings, u, false);
  const hash = fingerprint({ d: [...desired.entries()], m: u.managerId ?? null, s: u.softDeleted });
  const known = state.users[u.id];
  // A user disabled by deprovisioning and now back in scope is sent again (its active value).
  if (known && (!known.disabled || u.softDeleted) && known.hash === hash && (!u.managerId || known.managerTargetId === c.targetIdOf(u.managerId))) {
    report.targetId = known.targetId;
    report.reason = 'unchanged since the last cycle';
    return;
  }
  let targetId: string | undefined = known?.targetId ?? (await matchUser(c, desired));
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
    if (escrowed && !c.only && Date.parse(escrowed.nextAttempt) > Date.now()) {
      report.reason = `escrowed after ${escrowed.failures} failed create${escrowed.failures === 1 ? '' : 's'} (${escrowed.reason}); next attempt at ${escrowed.nextAttempt}`;
      return;
    }
    const body: Record<string, unknown> = { schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA] };
    for (const [path, v] of desiredValues(userMappings, u, true)) {
      if (v === null) continue;
      writePath(body, path, wireValue(path, v, profile, false));
      report.changes.push({ path, after: v });
    }
    const managerTarget = u.managerId ? c.targetIdOf(u.managerId) : undefined;
    if (c.managerMapping && managerTarget) {
      // A manager created only in this dry run exists nowhere: the real run sends it.
      if (!client.isVirtual(managerTarget)) writePath(body, c.managerMapping.target, { value: managerTarget });
      report.changes.push({ path: c.managerMapping.target, after: managerTarget });
    }
    let r = await client.request('POST', '/Users', body);
    if (r.status === 409) {
      // Entra treats a conflict as "exists": match again and update instead.
      targetId = await matchUser(c, desired);
      if (!targetId) throw new Error(`create refused: ${errorDetail(r)}`);
      r = await client.request('GET', `/Users/${encodeURIComponent(targetId)}`);
      current = r.body;
      report.changes = [];
    } else if (r.status !== 201 && r.status !== 200) {
      c.escrow(u.id, errorDetail(r));
      throw new Error(`create refused: ${errorDetail(r)}`);
    } else {
      c.escrow(u.id, undefined);
      targetId = r.body.id as string;
      report.action = 'create';
      report.targetId = targetId;
      c.record(u.id, { targetId, hash, managerTargetId: managerTarget });
      if (c.managerMapping && u.managerId && !managerTarget) c.pendingManagers.push({ u, report });
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
  if (c.managerMapping) {
    managerTarget = u.managerId ? c.targetIdOf(u.managerId) : undefined;
    const before = readPath(current ?? {}, `${c.managerMapping.target}.value`) ?? undefined;
    if (managerTarget && before !== managerTarget) {
      if (!client.isVirtual(managerTarget)) ops.push(patchOp(profile, 'add', c.managerMapping.target, managerValue(profile, managerTarget)));
      report.changes.push({ path: c.managerMapping.target, before, after: managerTarget });
    } else if (!u.managerId && before && o.clearEmpty) {
      ops.push(patchOp(profile, 'remove', c.managerMapping.target));
      report.changes.push({ path: c.managerMapping.target, before });
    } else if (u.managerId && !managerTarget) c.pendingManagers.push({ u, report });
  }
  if (ops.length > 0) {
    await sendPatch(client, `/Users/${encodeURIComponent(targetId)}`, ops, 'update');
    report.action = u.softDeleted && report.changes.some((x) => x.path === 'active') ? 'disable' : 'update';
  } else report.reason = 'already in sync';
  c.record(u.id, { targetId, hash, managerTargetId: managerTarget });
}
