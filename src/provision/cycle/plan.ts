// The cycle's first step: which provisioned users it would disable or delete, and why,
// before anything is sent; and the accidental-deletion threshold that can stop it there.
import { outOfScope } from '../scope.ts';
import { DEFAULT_DELETION_THRESHOLD, type SyncOptions } from './types.ts';

/** Why a provisioned user leaves: gone from the source, out of scope, or soft-deleted there. */
export type DeprovisionCause = 'deleted' | 'out-of-scope' | 'soft-deleted';

export interface PlannedDeprovision {
  readonly sourceId: string;
  readonly action: 'disable' | 'delete';
  readonly cause: DeprovisionCause;
  /** The cause in words (for out-of-scope, which scoping rule). */
  readonly reason: string;
}

/** Users a cycle would disable or delete, and why, computed before anything is sent. */
export function deprovisionPlan(o: Pick<SyncOptions, 'directory' | 'scope' | 'state' | 'deprovision' | 'only'>): PlannedDeprovision[] {
  if (o.only || o.deprovision === 'none') return [];
  const byId = new Map(o.directory.users.map((u) => [u.id, u]));
  const plan: PlannedDeprovision[] = [];
  for (const [sourceId, entry] of Object.entries(o.state.users)) {
    const u = byId.get(sourceId);
    if (!u) {
      if (o.deprovision === 'delete') plan.push({ sourceId, action: 'delete', cause: 'deleted', reason: 'deleted from the source' });
      else if (!entry.disabled) plan.push({ sourceId, action: 'disable', cause: 'deleted', reason: 'deleted from the source' });
      continue;
    }
    const out = outOfScope(u, o.scope, o.directory);
    if (out && !entry.disabled) plan.push({ sourceId, action: 'disable', cause: 'out-of-scope', reason: out });
    else if (!out && u.softDeleted && !entry.disabled) plan.push({ sourceId, action: 'disable', cause: 'soft-deleted', reason: 'soft-deleted in the source' });
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
