// Polled Security Event Tokens (RFC 8936): a subscription with deliveryMethod "poll" keeps its
// events until the receiver acknowledges them. The subscription's position is the end of the
// acknowledged run: a poll first moves it past every leading event the receiver acknowledged
// (`ack`) or declared an error (`setErrs`, §2.4: not sent again), then answers the next events
// after it, in commit order, as signed SETs. An event the receiver has not acknowledged is
// answered again by the next poll, so nothing is lost between polls; one receiver polls a
// subscription at a time.
import { scimErrors, type JsonObject } from '../../scim/index.ts';
import type { DeliveryRecord, EventPosition, Store, WebhookRecord } from '../../store/contract.ts';
import type { ChangeEvent } from '../../trail/events.ts';
import type { ChangeSignal } from '../change-signal.ts';
import type { EventFeed } from '../events.ts';
import type { SetSigner } from './set-signer.ts';
import { subscribedEvents } from './subscribed.ts';

export const POLL = {
  /** SETs in one answer when the receiver names no maxEvents, and the most it may ask for. */
  defaultEvents: 100,
  maxEvents: 1000,
  /** How long a poll without returnImmediately waits for an event. */
  waitMs: 20_000,
  /** Event rows read per poll, shown or not: a bound on one request's work. */
  scanRows: 5000,
} as const;

export interface PollAnswer {
  /** jti → the SET (compact JWS). */
  readonly sets: Record<string, string>;
  readonly moreAvailable: boolean;
}

interface PollRequest {
  readonly ack: readonly string[];
  readonly setErrs: Readonly<Record<string, { readonly err: string; readonly description: string }>>;
  readonly maxEvents: number;
  readonly returnImmediately: boolean;
}

function pollRequest(b: JsonObject): PollRequest {
  const ack = b.ack ?? [];
  if (!Array.isArray(ack) || ack.some((a) => typeof a !== 'string') || ack.length > POLL.maxEvents) throw scimErrors.badRequest(`ack must be a list of at most ${POLL.maxEvents} jti values`);
  const errs = b.setErrs ?? {};
  if (typeof errs !== 'object' || errs === null || Array.isArray(errs) || Object.keys(errs).length > POLL.maxEvents) throw scimErrors.badRequest('setErrs must be an object of jti → {err, description}');
  for (const e of Object.values(errs)) {
    if (typeof e !== 'object' || e === null || Array.isArray(e) || typeof (e as JsonObject).err !== 'string') throw scimErrors.badRequest('each setErrs entry must be {"err": "...", "description": "..."}');
  }
  const maxEvents = b.maxEvents ?? POLL.defaultEvents;
  if (typeof maxEvents !== 'number' || !Number.isInteger(maxEvents) || maxEvents < 0 || maxEvents > POLL.maxEvents) throw scimErrors.badRequest(`maxEvents must be an integer from 0 to ${POLL.maxEvents}`);
  const returnImmediately = b.returnImmediately ?? false;
  if (typeof returnImmediately !== 'boolean') throw scimErrors.badRequest('returnImmediately must be true or false');
  return { ack: ack as string[], setErrs: errs as PollRequest['setErrs'], maxEvents, returnImmediately };
}

export class SetPoller {
  /** Subscriptions with a poll waiting on this node: one waits at a time, the others answer at once. */
  private readonly waiting = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly feed: EventFeed,
    private readonly signer: SetSigner,
    private readonly changes: ChangeSignal,
  ) {}

  /** Where a polled subscription's SETs are addressed: the subscription itself. */
  audience(hook: WebhookRecord): string {
    return `${this.signer.publicUrl}/api/v2/webhooks/${hook.id}`;
  }

  async poll(hook: WebhookRecord, input: JsonObject, abort?: AbortSignal): Promise<PollAnswer> {
    const request = pollRequest(input);
    const position = await this.acknowledge(hook, request);
    let next = await this.next(hook, position, request.maxEvents);
    // §2.4: without returnImmediately the server may hold the request until events arrive.
    // One poll per subscription waits (a receiver polls a subscription at a time): a second does
    // not, so that no caller can hold requests open without bound.
    if (next.events.length === 0 && request.maxEvents > 0 && !request.returnImmediately && !this.waiting.has(hook.id)) {
      this.waiting.add(hook.id);
      try {
        next = (await this.changes.nextSeen(hook.orgId, POLL.waitMs, () => this.next(hook, position, request.maxEvents), (n) => n.events.length > 0, abort)) ?? next;
      } finally {
        this.waiting.delete(hook.id);
      }
    }
    const sets: Record<string, string> = {};
    const audience = this.audience(hook);
    for (const e of next.events) sets[e.id] = await this.signer.sign(hook.orgId, e, audience);
    return { sets, moreAvailable: next.more };
  }

  /** Moves the position past the leading events the receiver is done with; logs each. */
  private async acknowledge(hook: WebhookRecord, request: PollRequest): Promise<EventPosition> {
    const done = new Set([...request.ack, ...Object.keys(request.setErrs)]);
    let position = hook.position;
    if (done.size === 0) return position;
    const log: DeliveryRecord[] = [];
    const time = new Date().toISOString();
    let scanned = 0;
    scan: while (scanned < POLL.scanRows) {
      const rows = await this.feed.rows(hook.orgId, position, 200, hook.divisionIds);
      if (rows.length === 0) break;
      for (const row of rows) {
        scanned++;
        const events = await subscribedEvents(this.feed, hook, row);
        if (events.some((e) => !done.has(e.id))) break scan;
        for (const e of events) {
          const refused = request.setErrs[e.id];
          log.push({
            webhookId: hook.id, orgId: hook.orgId, eventId: e.id, eventType: e.type, attempt: 1, time, latencyMs: 0,
            ...(refused ? { error: `the receiver refused it: ${refused.err}${refused.description ? ` (${String(refused.description).slice(0, 500)})` : ''}` } : { response: 'acknowledged' }),
          });
        }
        position = row.position;
      }
    }
    if (position !== hook.position) {
      await this.store.transaction(async (tx) => {
        await tx.resetWebhook(hook.orgId, hook.id, position);
        await tx.insertDeliveries(log);
      });
    }
    return position;
  }

  /** Up to `max` events after `from`, whole rows only (one transaction's events travel together). */
  private async next(hook: WebhookRecord, from: EventPosition, max: number): Promise<{ events: ChangeEvent[]; more: boolean }> {
    const events: ChangeEvent[] = [];
    let position = from;
    let scanned = 0;
    while (scanned < POLL.scanRows) {
      const rows = await this.feed.rows(hook.orgId, position, 200, hook.divisionIds);
      if (rows.length === 0) return { events, more: false };
      for (const row of rows) {
        scanned++;
        const wanted = await subscribedEvents(this.feed, hook, row);
        if (wanted.length > 0 && events.length + wanted.length > max && (events.length > 0 || max === 0)) return { events, more: true };
        events.push(...wanted);
        position = row.position;
      }
    }
    return { events, more: true };
  }
}
