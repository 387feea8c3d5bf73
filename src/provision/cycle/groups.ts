// The groups step: each group in scope is matched on the target by displayName (created when
// absent, where the target allows it), renamed when the source renamed it, and its members
// reconciled: only members this engine provisioned are its to manage, in batches of
// MEMBERS_PER_PATCH.
import { GROUP_SCHEMA } from '../../scim/index.ts';
import { errorDetail } from '../scim-client.ts';
import { groupInScope } from '../scope.ts';
import type { SourceGroup } from '../source.ts';
import type { Cycle } from './context.ts';
import { MEMBERS_PER_PATCH, type ObjectReport, type SyncOptions } from './types.ts';
import { patchOp, quoteFilter, sendPatch } from './wire.ts';

export async function syncGroups(c: Cycle): Promise<void> {
  for (const g of c.o.directory.groups.filter((x) => groupInScope(x, c.o.scope))) {
    const report: ObjectReport = { kind: 'group', sourceId: g.id, name: g.displayName, action: 'skip', changes: [], errors: [] };
    await (c.o.forObject ?? ((_r, work) => work()))(report, () => syncGroup(c.o, g, report));
    c.objects.push(report);
  }
}

async function syncGroup(o: SyncOptions, g: SourceGroup, report: ObjectReport): Promise<void> {
  const { client, state, profile } = o;
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
        const c = await client.request('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: g.displayName, externalId: g.id });
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
      await sendPatch(client, `/Groups/${encodeURIComponent(entry.targetId)}`, [patchOp(profile, 'replace', 'displayName', g.displayName)], `rename to "${g.displayName}"`);
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
        for (const ops of patches) await sendPatch(client, `/Groups/${encodeURIComponent(entry.targetId)}`, ops, 'membership update');
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
}
