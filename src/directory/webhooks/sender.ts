// The webhook sender, run by every server node: it leases due subscriptions (one node per
// subscription at a time; a lease runs out if its node dies, and another node takes over),
// reads each one's next events after the position it acknowledged, and POSTs them one at a
// time, in commit order, signed per Standard Webhooks. A 2xx moves the position on; a 410
// disables the subscription; anything else (5xx, 4xx, timeout, refused connection) is retried
// with exponential backoff and jitter, capped at an hour between attempts, for as long as the
// event is kept: an event is never skipped. Every attempt goes to the delivery log.
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Store, WebhookRecord } from '../../store/contract.ts';
import { eventsOf, type ChangeEvent } from '../../trail/events.ts';
import { SET_MEDIA_TYPE } from '../../trail/security-events.ts';
import type { EventFeed } from '../events.ts';
import type { Sealer } from '../sealed.ts';
import type { TargetPolicy } from './target.ts';
import { AnswerError, guardedFetch, type GuardedFetch } from '../guarded-fetch.ts';
import { QueuedWriter } from '../queued-writer.ts';
import { WakeableLoop } from '../wakeable-loop.ts';
import type { SetSigner } from './set-signer.ts';
import { subscribedEvents } from './subscribed.ts';
import type { DeliveryRecord } from '../../store/contract.ts';

class DeliveryRecorder extends QueuedWriter<DeliveryRecord> {
  constructor(store: Store, options: { onError: (err: unknown) => void }) {
    super((batch) => store.transaction((tx) => tx.insertDeliveries(batch)), { flushMs: 200, maxQueued: 50_000, onError: options.onError });
  }

  record(d: DeliveryRecord): void {
    this.enqueue(d);
  }
}

export interface SenderOptions {
  readonly policy: TargetPolicy;
  /** How often a node looks for due subscriptions (ms). */
  readonly intervalMs?: number;
  /** How long a node holds a subscription it leased (ms). */
  readonly leaseMs?: number;
  /** How long a receiver has to answer (ms). */
  readonly timeoutMs?: number;
  /** Most events sent to one subscription per lease. */
  readonly perLease?: number;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly onError?: (err: unknown) => void;
  /** Accepted changes: an idle sender looks for due subscriptions at once instead of at its interval. */
  readonly changes?: { watch(watcher: (orgId: string) => void): () => void };
}

export const RETRY = { firstMs: 5_000, maxMs: 3_600_000 } as const;
/** How long a node holds a subscription: a node that dies leaves its subscriptions to another after this. */
export const LEASE_MS = 30_000;
/** How often a subscription is checked for events that aged out of the retention before delivery. */
const EXPIRY_CHECK_MS = 60_000;
/** Acknowledged rows between two saves of a subscription's position. */
const SAVE_EVERY = 50;

/** The wait before attempt `failures + 1`: doubling from RETRY.firstMs, at most RETRY.maxMs, jittered by ±50%. */
export function backoffMs(failures: number, random: () => number = Math.random): number {
  const base = Math.min(RETRY.maxMs, RETRY.firstMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(base * (0.5 + random()));
}

/** A new signing secret in Standard Webhooks' form (`whsec_` and 24 random bytes in base64). */
export const newSigningSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/** The delivery log's row for attempt number `n` at `event`. */
function deliveryOf(hook: WebhookRecord, event: { readonly id: string; readonly type: string }, n: number, time: string, a: Attempt): DeliveryRecord {
  return {
    webhookId: hook.id, orgId: hook.orgId, eventId: event.id, eventType: event.type, attempt: n, time,
    ...(a.status !== undefined ? { status: a.status } : {}), latencyMs: a.latencyMs, ...(a.error ? { error: a.error } : {}), ...(a.response ? { response: a.response } : {}),
  };
}

export interface Attempt {
  readonly status?: number;
  readonly error?: string;
  readonly response?: string;
  readonly latencyMs: number;
}

/** A signed event ready to POST. */
interface OutgoingEvent {
  readonly id: string;
  readonly type: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Standard Webhooks: the JSON envelope `{type, timestamp, data}`, signed over "id.timestamp.body". */
function webhookRequest(signer: Webhook, event: { readonly id: string; readonly type: string; readonly time: string }, data: unknown): OutgoingEvent {
  const body = JSON.stringify({ type: event.type, timestamp: event.time, data });
  // The signature's time is the wall clock's (receivers compare it with theirs).
  const sentAt = new Date();
  return {
    id: event.id, type: event.type, body,
    headers: { 'content-type': 'application/json', 'webhook-id': event.id, 'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)), 'webhook-signature': signer.sign(event.id, sentAt, body) },
  };
}

/** RFC 8935 §2: the SET itself is the body; the receiver answers 202, or 400 with a JSON error. */
function setRequest(id: string, jwt: string, type = 'webhook.test'): OutgoingEvent {
  return { id, type, body: jwt, headers: { 'content-type': SET_MEDIA_TYPE, accept: 'application/json' } };
}

export class WebhookSender {
  private readonly owner = randomUUID();
  private readonly loop: WakeableLoop;
  private onError: (err: unknown) => void;
  /** When each subscription was last checked for events that aged out (at most once a minute while it keeps up: they age by days). */
  private readonly expiryCheckedAt = new Map<string, number>();
  /** Attempts go to the delivery log in batches, off the sending path. */
  private readonly log: DeliveryRecorder;
  /** Receivers are reached through the guarded client (connections kept open; at most 2,000 characters of an answer kept for the log). */
  private readonly http: GuardedFetch;

  constructor(
    private readonly store: Store,
    private readonly feed: EventFeed,
    private readonly secrets: Sealer,
    private readonly setSigner: SetSigner,
    private readonly options: SenderOptions,
  ) {
    this.onError = options.onError ?? (() => undefined);
    this.http = guardedFetch(options.policy, { timeoutMs: options.timeoutMs ?? 10_000, maxSockets: 64, maxBodyBytes: 2000 });
    this.log = new DeliveryRecorder(store, { onError: (err) => this.onError(err) });
    this.loop = new WakeableLoop(async () => (await this.tick()) > 0, { intervalMs: options.intervalMs ?? 500, eagerMs: 100, eagerRounds: 20 });
    options.changes?.watch(() => this.loop.poke());
  }

  /** Writes the delivery log's queue now (tests, and stop()). */
  flushLog(): Promise<void> {
    return this.log.flush();
  }

  /** Sends until stop(); `onError` hears what failed outside a delivery (the store, a sealed secret). */
  start(onError?: (err: unknown) => void): void {
    if (onError) this.onError = onError;
    this.loop.start((err) => this.onError(err));
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.log.flush();
    this.http.close();
  }

  /** One round: every due subscription this node could lease, sent for. Returns the attempts made. */
  async tick(): Promise<number> {
    const now = this.now();
    const hooks = await this.store.claimWebhooks(now, now + (this.options.leaseMs ?? LEASE_MS), this.owner, 20);
    let attempts = 0;
    await Promise.all(hooks.map(async (hook) => {
      try {
        attempts += await this.send(hook);
      } catch (err) {
        this.onError(err);
      } finally {
        await this.store.releaseWebhook(hook.id, this.owner);
      }
    }));
    return attempts;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Sends the subscription's next events in order until one fails or the lease's share is done. */
  private async send(hook: WebhookRecord): Promise<number> {
    const signer = await this.signer(hook);
    let position = hook.position;
    let failures = hook.attempts;
    let attempts = 0;
    // Progress is saved every SAVE_EVERY acknowledged rows and when the lease's share ends: a
    // node that dies in between sends those few again (at least once, same webhook-id).
    let unsaved = 0;
    const save = async () => {
      if (unsaved === 0) return true;
      unsaved = 0;
      return this.store.saveWebhookProgress(hook.id, this.owner, { position, attempts: 0, nextAttempt: 0 });
    };
    // A node stops sending for a subscription before its lease runs out (after half of it), so
    // that no other node can take the subscription while this one still sends.
    const until = performance.now() + (this.options.leaseMs ?? LEASE_MS) / 2;
    // Events that aged out of the retention before they were delivered (a receiver failing, or
    // the subscription disabled, for that long) are not sent: the log says so, once.
    // Checked while the subscription is failing, and otherwise at most once a minute: a
    // subscription that keeps up cannot have an event of 30 days ago left to send.
    const check = failures > 0 || (this.expiryCheckedAt.get(hook.id) ?? -Infinity) < this.now() - EXPIRY_CHECK_MS;
    const expired = check ? await this.feed.expiredAfter(hook.orgId, position, hook.divisionIds) : undefined;
    this.expiryCheckedAt.set(hook.id, this.now());
    if (expired) {
      const [first] = eventsOf(expired);
      this.log.record(deliveryOf(hook, { id: first?.id ?? expired.id, type: first?.type ?? 'expired' }, failures + 1, new Date(this.now()).toISOString(), {
        latencyMs: 0, error: `expired: this event and any others older than ${this.feed.retentionDays} days (SCIMITAR_EVENT_RETENTION_DAYS) were not delivered`,
      }));
      failures = 0;
    }
    while (performance.now() < until) {
      const rows = await this.feed.rows(hook.orgId, position, this.options.perLease ?? 200, hook.divisionIds);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (performance.now() > until) break;
        // The row's events as this subscription may see them, of the types it asked for.
        for (const event of await subscribedEvents(this.feed, hook, row)) {
          const attempt = await this.post(hook, await signer(event));
          attempts++;
          this.log.record(deliveryOf(hook, event, failures + 1, new Date(this.now()).toISOString(), attempt));
          if (attempt.status === 410) {
            unsaved = 0;
            await this.store.saveWebhookProgress(hook.id, this.owner, { position, attempts: 0, nextAttempt: 0, enabled: false, disabledReason: `the receiver answered 410 Gone to ${event.id}` });
            return attempts;
          }
          if (attempt.status === undefined || attempt.status < 200 || attempt.status >= 300) {
            unsaved = 0;
            await this.store.saveWebhookProgress(hook.id, this.owner, { position, attempts: failures + 1, nextAttempt: this.now() + backoffMs(failures + 1, this.options.random) });
            return attempts;
          }
          failures = 0;
        }
        position = row.position;
        if (++unsaved >= SAVE_EVERY && !(await save())) return attempts;
      }
    }
    await save();
    return attempts;
  }

  /**
   * Sends a `webhook.test` event to the subscription now, outside its order (its position does
   * not move), and logs it: what an administrator's "Send a test event" shows.
   */
  async sendTest(hook: WebhookRecord): Promise<Attempt> {
    const event = { id: `test-${randomUUID()}`, type: 'webhook.test', time: new Date().toISOString() };
    const request = hook.format === 'set'
      ? setRequest(event.id, await this.setSigner.signTest(hook.orgId, event.id, hook.url))
      : webhookRequest(new Webhook(String(await this.secrets.open(hook.orgId, hook.secret))), event, { message: 'A test event from Scimitar: no resource changed.' });
    const attempt = await this.post(hook, request);
    this.log.record(deliveryOf(hook, event, 1, event.time, attempt));
    // The administrator reads the log next: it is written before the answer.
    await this.log.flush();
    return attempt;
  }

  /** How this subscription writes each event: signed by its secret (Standard Webhooks) or as a SET signed by the organization's key. */
  private async signer(hook: WebhookRecord): Promise<(event: ChangeEvent) => Promise<OutgoingEvent>> {
    if (hook.format === 'set') return async (event) => setRequest(event.id, await this.setSigner.sign(hook.orgId, event, hook.url), event.type);
    const webhook = new Webhook(String(await this.secrets.open(hook.orgId, hook.secret)));
    return async (event) => webhookRequest(webhook, event, event);
  }

  /** One POST of a signed event; what the receiver answered, or why it could not. */
  private async post(hook: WebhookRecord, out: OutgoingEvent): Promise<Attempt> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    try {
      const res = await this.http(hook.url, { method: 'POST', headers: { ...out.headers, 'user-agent': 'Scimitar-Webhooks/1' }, body: out.body });
      return { status: res.status, response: await res.text(), latencyMs: elapsed() };
    } catch (e) {
      return { ...(e instanceof AnswerError && e.status !== undefined ? { status: e.status } : {}), error: (e as Error).message, latencyMs: elapsed() };
    }
  }
}
