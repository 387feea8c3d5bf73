// The change-event feed a pull consumer reads (`GET /api/v2/events`): the organization's
// events in commit order after an opaque position, as the caller may see them. A
// division-scoped reader gets user events of its divisions and group events with the members
// it may not see taken out (a membership event left with none is dropped); its position
// still moves past what it was not shown.
import { ALL_DIVISIONS, divisionsWith } from '../auth/permissions.ts';
import { scimErrors } from '../scim/index.ts';
import type { EventPosition, EventRow, Store } from '../store/contract.ts';
import { EVENT_ACTIONS, EVENT_RESOURCE_TYPES, eventsOf, type ChangeEvent } from '../trail/events.ts';
import { requirePermission, type AdminContext } from './admin/context.ts';
import { Sealer } from './sealed.ts';

export const EVENTS_PERMISSION = 'events:feed:view';
export const EVENT_PAGE = { default: 100, max: 1000 } as const;

export interface EventPage {
  readonly entities: readonly ChangeEvent[];
  /** Where to go on from (pass as `after`): after the last event read, whether shown or not. */
  readonly next: string;
}

const isPosition = (p: unknown): p is EventPosition =>
  typeof p === 'object' && p !== null && typeof (p as EventPosition).commit === 'string' && /^\d+$/.test((p as EventPosition).commit) && Number.isSafeInteger((p as EventPosition).seq);

/** How long events are served by default (SCIMITAR_EVENT_RETENTION_DAYS). */
export const EVENT_RETENTION_DAYS = 30;

export interface EventFeedOptions {
  /** Events older than this many days are no longer read (the feed, streams, webhooks, SET polls, jobs). */
  readonly retentionDays?: number;
  readonly now?: () => number;
}

export class EventFeed {
  private readonly sealer: Sealer;
  readonly retentionDays: number;

  constructor(private readonly store: Store, private readonly options: EventFeedOptions = {}) {
    this.sealer = new Sealer(store, 'event-position');
    this.retentionDays = options.retentionDays ?? EVENT_RETENTION_DAYS;
  }

  /**
   * The oldest time an event is served from. The rows stay in the audit trail for as long as
   * SCIMITAR_AUDIT_RETENTION_DAYS keeps them; readers stop at this horizon, so a position from
   * before it goes on from the oldest event kept.
   */
  horizon(): string {
    return new Date((this.options.now ?? Date.now)() - this.retentionDays * 86_400_000).toISOString();
  }

  /** The position a sealed `after` names (undefined: from the start). */
  async position(orgId: string, after: string | undefined): Promise<EventPosition | undefined> {
    if (after === undefined || after === '') return undefined;
    const p = await this.sealer.open(orgId, after);
    if (!isPosition(p)) throw scimErrors.badRequest('after is not a position this server issued');
    return p;
  }

  /** The position of the newest event committed (where a new subscriber starts), or undefined when there is none. */
  async latest(orgId: string): Promise<EventPosition | undefined> {
    const [newest] = await this.store.queryEvents(orgId, { limit: 1, resourceTypes: EVENT_RESOURCE_TYPES, actions: EVENT_ACTIONS, newestFirst: true });
    return newest?.position;
  }

  seal(orgId: string, p: EventPosition | undefined): Promise<string> {
    return this.sealer.seal(orgId, p ?? { commit: '0', seq: 0 });
  }

  async page(ctx: AdminContext, q: { readonly after?: string; readonly limit?: number }): Promise<EventPage> {
    requirePermission(ctx, EVENTS_PERMISSION);
    const limit = Math.min(EVENT_PAGE.max, Math.max(1, q.limit ?? EVENT_PAGE.default));
    const from = await this.position(ctx.org.id, q.after);
    const scope = divisionsWith(ctx.principal, [EVENTS_PERMISSION]);
    const { rows, events } = await this.read(ctx.org.id, from, limit, scope === ALL_DIVISIONS ? undefined : scope);
    return { entities: events, next: await this.seal(ctx.org.id, rows.at(-1)?.position ?? from) };
  }

  /** Up to `limit` audit rows after `from` and the events they stand for, as `divisions` may see them. */
  async read(orgId: string, from: EventPosition | undefined, limit: number, divisions: readonly string[] | undefined): Promise<{ rows: EventRow[]; events: ChangeEvent[] }> {
    const rows = await this.rows(orgId, from, limit, divisions);
    return { rows, events: await this.visible(orgId, rows.flatMap(eventsOf), divisions) };
  }

  /** Up to `limit` audit rows that are events after `from`, in commit order; with `divisions`, of users in them and of groups. */
  rows(orgId: string, from: EventPosition | undefined, limit: number, divisions: readonly string[] | undefined): Promise<EventRow[]> {
    return this.store.queryEvents(orgId, {
      limit, resourceTypes: EVENT_RESOURCE_TYPES, actions: EVENT_ACTIONS, ...(from ? { after: from } : {}), since: this.horizon(),
      ...(divisions ? { scope: { divisionIds: divisions, alsoTypes: ['Group'] } } : {}),
    });
  }

  /**
   * The first event after `from` when it is older than the horizon: events a reader at `from`
   * will never read (a webhook failing, or disabled, for longer than the retention; a job
   * stopped as long). Undefined when the reader has lost nothing.
   */
  async expiredAfter(orgId: string, from: EventPosition, divisions: readonly string[] | undefined): Promise<EventRow | undefined> {
    const [next] = await this.store.queryEvents(orgId, {
      limit: 1, resourceTypes: EVENT_RESOURCE_TYPES, actions: EVENT_ACTIONS, after: from,
      ...(divisions ? { scope: { divisionIds: divisions, alsoTypes: ['Group'] } } : {}),
    });
    return next !== undefined && next.time < this.horizon() ? next : undefined;
  }

  /** `events` as a reader of `divisions` (undefined: every division) may see them. */
  async visible(orgId: string, events: ChangeEvent[], divisions: readonly string[] | undefined): Promise<ChangeEvent[]> {
    if (!divisions) return events;
    const ids = new Set(events.flatMap((e) => e.memberIds ?? []));
    const visible = ids.size > 0 ? await this.store.userIdsExist(orgId, [...ids], divisions) : new Set<string>();
    return events.flatMap((e) => {
      // A clear's count is over members the reader may not see.
      if (e.type === 'group.members_cleared') return [{ ...e, memberCount: undefined }];
      if (!e.memberIds) return [e];
      const kept = e.memberIds.filter((id) => visible.has(id));
      return kept.length > 0 ? [{ ...e, memberIds: kept }] : [];
    });
  }
}
