// The managers step: users whose manager was not on the target when they were processed
// (created later in this cycle) get the reference now; a manager that never made it (out of
// scope, or its create failed) is named on the user's report, which then counts as failed.
import type { Cycle } from './context.ts';
import { managerValue, patchOp, sendPatch } from './wire.ts';

export async function resolveManagers(c: Cycle): Promise<void> {
  const { client, profile, state } = c.o;
  for (const { u, report } of c.pendingManagers) {
    const managerTarget = c.targetIdOf(u.managerId!);
    const targetId = c.targetIdOf(u.id);
    if (!managerTarget || !targetId || !c.managerMapping) {
      report.errors.push(`manager ${c.nameOf(u.managerId!)} is not provisioned (out of scope or failed): the manager reference was dropped`);
      continue;
    }
    // Dry run: a user or manager created only in this run cannot be referred to; the real run will.
    if (!client.isVirtual(targetId) && !client.isVirtual(managerTarget)) {
      try {
        await sendPatch(client, `/Users/${encodeURIComponent(targetId)}`, [patchOp(profile, 'add', c.managerMapping.target, managerValue(profile, managerTarget))], 'manager update');
      } catch (e) {
        report.errors.push((e as Error).message);
        continue;
      }
    }
    report.changes.push({ path: c.managerMapping.target, after: managerTarget });
    if (report.action === 'skip') report.action = 'update';
    c.record(u.id, { ...state.users[u.id], managerTargetId: managerTarget });
  }
}
