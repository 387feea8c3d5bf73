// Change events: what a subscriber learns of each accepted change to a user or group. The
// audit trail is the outbox (every accepted change writes its audit row in the change's own
// transaction, on both stores), so an event is a reading of one audit row: no event without
// its change, none for a change that rolled back or was only validated. One row becomes one
// event, or two when one membership write both added and removed members.
import type { AuditRecord } from '../store/contract.ts';

/** The audit rows that are change events. */
export const EVENT_RESOURCE_TYPES: readonly string[] = ['User', 'Group'];
export const EVENT_ACTIONS: readonly string[] = ['create', 'update', 'delete'];

export const EVENT_TYPES = [
  'user.created', 'user.updated', 'user.deactivated', 'user.reactivated', 'user.moved', 'user.deleted',
  'group.created', 'group.updated', 'group.deleted', 'group.members_added', 'group.members_removed', 'group.members_cleared',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface ChangeEvent {
  /** Stable across deliveries and replays (a webhook's `webhook-id`). */
  readonly id: string;
  readonly type: EventType;
  /** The audit trail's sequence number of the change. */
  readonly sequence: number;
  readonly time: string;
  readonly resource: { readonly type: 'User' | 'Group'; readonly id: string; readonly version?: string; readonly divisionId?: string };
  /** An OAuth client, a console user, or the CLI on the store. */
  readonly actor: { readonly clientId?: string; readonly consoleUserId?: string; readonly cli?: true };
  /** The attributes the change touched (extension attributes by their full URN path). */
  readonly attributes?: readonly string[];
  /** The members a membership change added or removed (at most MEMBER_BATCH per event). */
  readonly memberIds?: readonly string[];
  /** How many members a clear removed. */
  readonly memberCount?: number;
}

const MEMBER_KEYS = { 'members.added': 'group.members_added', 'members.removed': 'group.members_removed' } as const;
const NOT_ATTRIBUTES = new Set(['members.added', 'members.removed', 'members.cleared', '@ignored']);
const DIVISION = /:division$/;

function actorOf(clientId: string | undefined): ChangeEvent['actor'] {
  if (!clientId) return {};
  if (clientId === 'cli') return { cli: true };
  if (clientId.startsWith('user:')) return { consoleUserId: clientId.slice(5) };
  return { clientId };
}

/** The events an audit row of a user or group stands for (none for other rows). */
export function eventsOf(r: AuditRecord & { readonly seq: number }): ChangeEvent[] {
  if (!EVENT_RESOURCE_TYPES.includes(r.resourceType) || !EVENT_ACTIONS.includes(r.action)) return [];
  const kind = r.resourceType === 'User' ? 'user' : 'group';
  const base = {
    sequence: r.seq, time: r.time, actor: actorOf(r.clientId),
    resource: { type: r.resourceType as 'User' | 'Group', id: r.resourceId, ...(r.version !== undefined ? { version: `"${r.version}"` } : {}), ...(r.divisionId ? { divisionId: r.divisionId } : {}) },
  };
  const attributes = Object.keys(r.changes).filter((k) => !NOT_ATTRIBUTES.has(k));
  if (r.action === 'create') return [{ ...base, id: r.id, type: `${kind}.created`, attributes }];
  if (r.action === 'delete') return [{ ...base, id: r.id, type: `${kind}.deleted` }];
  const events: ChangeEvent[] = [];
  if (kind === 'group') {
    for (const [key, type] of Object.entries(MEMBER_KEYS)) {
      const c = r.changes[key];
      const ids = (c?.after ?? c?.before) as unknown[] | undefined;
      if (ids && ids.length > 0) events.push({ ...base, id: `${r.id}:${type.slice(14)}`, type, memberIds: ids.map(String) });
    }
    const cleared = r.changes['members.cleared'];
    if (cleared) events.push({ ...base, id: `${r.id}:cleared`, type: 'group.members_cleared', memberCount: Number(cleared.before ?? 0) });
    if (attributes.length > 0) events.push({ ...base, id: events.length > 0 ? `${r.id}:updated` : r.id, type: 'group.updated', attributes });
    return events;
  }
  const active = r.changes.active;
  const type = active && active.after === false ? 'user.deactivated'
    : active && active.after === true && active.before === false ? 'user.reactivated'
    : attributes.some((a) => DIVISION.test(a)) ? 'user.moved'
    : 'user.updated';
  return [{ ...base, id: r.id, type, attributes }];
}
