// The cycle's report: actions counted (an object left with an error counts as failed) and
// people named as the administrator knows them.
import type { Directory } from '../source.ts';
import type { Action, ObjectReport, SyncState } from './types.ts';

/** An object whose write went through but left an error (a dropped manager reference) counts as failed. */
export function countActions(objects: readonly ObjectReport[]): Record<Action, number> {
  const summary = { create: 0, update: 0, disable: 0, delete: 0, skip: 0, fail: 0 } as Record<Action, number>;
  for (const r of objects) summary[r.errors.length > 0 ? 'fail' : r.action]++;
  return summary;
}

/**
 * Reports name people: target ids (and dry-run placeholders) in manager and member changes
 * become the source user's userPrincipalName, which is what an administrator recognises.
 */
export function nameReferences(objects: ObjectReport[], dir: Directory, state: SyncState, managerPath: string | undefined): void {
  const upn = new Map(dir.users.map((u) => [u.id, String(u.attributes.userPrincipalName ?? u.id)]));
  const byTarget = new Map(Object.entries(state.users).map(([sourceId, e]) => [e.targetId, upn.get(sourceId) ?? sourceId]));
  const name = (v: unknown): unknown => (typeof v === 'string' ? byTarget.get(v) ?? v : Array.isArray(v) ? v.map(name) : v);
  for (const o of objects) {
    o.changes = o.changes.map((c) => (c.path === managerPath || c.path === 'members' ? { ...c, ...(c.before !== undefined ? { before: name(c.before) } : {}), ...(c.after !== undefined ? { after: name(c.after) } : {}) } : c));
  }
}
