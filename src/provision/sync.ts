// One provisioning cycle, as Entra runs it: for each in-scope user, match on the target by the
// matching attributes, create if absent, else send only the changed attributes; soft-deleted
// users are disabled, users gone from the source or the scope are deleted (configurable);
// managers are resolved to target ids (a second pass for managers created later); groups are
// matched by displayName and their membership reconciled. A state file makes later cycles
// incremental: an unchanged user costs no request at all. One bad user never stops the cycle.
import { createCycle } from './cycle/context.ts';
import { deprovision } from './cycle/deprovision.ts';
import { syncGroups } from './cycle/groups.ts';
import { resolveManagers } from './cycle/managers.ts';
import { countActions, nameReferences } from './cycle/outcome.ts';
import { deprovisionPlan, thresholdRefusal } from './cycle/plan.ts';
import type { SyncOptions, SyncReport } from './cycle/types.ts';
import { syncUsers } from './cycle/users.ts';

export * from './cycle/types.ts';
export { deprovisionPlan, thresholdRefusal, type DeprovisionCause, type PlannedDeprovision } from './cycle/plan.ts';

/**
 * One cycle, step by step: plan deprovisioning (and stop at the threshold before sending
 * anything), match or create and update users, resolve managers created meanwhile,
 * deprovision, sync groups.
 */
export async function runSync(o: SyncOptions): Promise<SyncReport> {
  const started = Date.now();
  const { client, profile } = o;
  const report = (c: { objects: SyncReport['objects'] }, extra: Partial<SyncReport>): SyncReport => ({
    startedAt: new Date(started).toISOString(), finishedAt: new Date().toISOString(), dryRun: o.dryRun, profile, objects: c.objects, problems: o.directory.problems,
    ...extra,
    summary: { ...countActions(c.objects), requests: client.requests, writes: client.writes, seconds: (Date.now() - started) / 1000 },
  });
  const c = createCycle(o);
  // Accidental-deletion prevention comes first: a refused cycle sends no request at all.
  const plan = deprovisionPlan(o);
  const refusal = thresholdRefusal(plan, Object.keys(o.state.users).length, o.deletionThreshold);
  if (refusal) {
    for (const p of plan) c.objects.push({ kind: 'user', sourceId: p.sourceId, name: c.nameOf(p.sourceId), action: 'skip', reason: `would ${p.action} (${p.reason}); stopped by the deletion threshold`, changes: [], errors: [] });
    return report(c, { stopped: refusal });
  }
  // A dry run asks whether the target can answer writes without making them (a pilot that predicts).
  await client.discover();
  await syncUsers(c);
  await resolveManagers(c);
  await deprovision(c, plan);
  if (!c.only) await syncGroups(c);
  nameReferences(c.objects, o.directory, o.state, c.managerMapping?.target);
  return report(c, o.dryRun ? { validatedByTarget: client.validating } : {});
}
