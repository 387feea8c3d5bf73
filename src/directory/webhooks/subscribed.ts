// What one subscription receives of an event row: its events as the subscription's divisions
// may see them, of the types it asked for. Pushed and polled subscriptions read the same.
import type { EventRow, WebhookRecord } from '../../store/contract.ts';
import { eventsOf, type ChangeEvent } from '../../trail/events.ts';
import type { EventFeed } from '../events.ts';

export async function subscribedEvents(feed: EventFeed, hook: WebhookRecord, row: EventRow): Promise<ChangeEvent[]> {
  const visible = await feed.visible(hook.orgId, eventsOf(row), hook.divisionIds);
  return visible.filter((e) => hook.eventTypes.length === 0 || hook.eventTypes.includes(e.type));
}
