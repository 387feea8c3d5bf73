// The deprovisioning step: users provisioned before and now gone from the source or out of
// scope are disabled or deleted as planned (the plan passed the threshold before anything was
// sent). Soft-deleted users were disabled by their own update; they are only marked here.
import { errorDetail } from '../scim-client.ts';
import type { Cycle } from './context.ts';
import type { PlannedDeprovision } from './plan.ts';
import type { ObjectReport } from './types.ts';
import { patchOp, sendPatch, wireValue } from './wire.ts';

export async function deprovision(c: Cycle, plan: readonly PlannedDeprovision[]): Promise<void> {
  const { client, profile, state, dryRun } = c.o;
  // The reports so far are the users' (one each), looked up by id rather than scanned per user.
  const userReports = new Map(c.objects.map((r) => [r.sourceId, r]));
  for (const p of plan.filter((x) => x.cause !== 'soft-deleted')) {
    const entry = state.users[p.sourceId];
    let report = userReports.get(p.sourceId);
    if (!report) {
      report = { kind: 'user', sourceId: p.sourceId, name: c.nameOf(p.sourceId), action: 'skip', changes: [], errors: [] } satisfies ObjectReport;
      c.objects.push(report);
    }
    report.reason = p.reason;
    report.targetId = entry.targetId;
    try {
      if (p.action === 'delete') {
        const r = await client.request('DELETE', `/Users/${encodeURIComponent(entry.targetId)}`);
        if (r.status !== 204 && r.status !== 200 && r.status !== 404) throw new Error(`delete refused: ${errorDetail(r)}`);
        report.action = 'delete';
        if (!dryRun) c.record(p.sourceId, undefined);
        continue;
      }
      const r = await sendPatch(client, `/Users/${encodeURIComponent(entry.targetId)}`, [patchOp(profile, 'replace', 'active', wireValue('active', false, profile, true))], 'disable', { gone: true });
      if (r.status === 404) {
        report.action = 'skip';
        report.reason = `${p.reason}; already gone from the target`;
        if (!dryRun) c.record(p.sourceId, undefined);
        continue;
      }
      report.action = 'disable';
      report.changes.push({ path: 'active', after: false });
      if (!dryRun) c.record(p.sourceId, { ...entry, disabled: true });
    } catch (e) {
      report.action = 'fail';
      report.errors.push((e as Error).message);
    }
  }
  // Soft-deleted users disabled by their update are marked, so that they are not counted again.
  for (const p of plan.filter((x) => x.cause === 'soft-deleted')) {
    const entry = state.users[p.sourceId];
    const report = userReports.get(p.sourceId);
    if (entry && report && report.action !== 'fail' && !dryRun) c.record(p.sourceId, { ...entry, disabled: true });
  }
}
