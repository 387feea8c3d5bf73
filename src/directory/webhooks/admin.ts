// /api/v2/webhooks: subscriptions to change events. `{"url": "..."}` alone subscribes to every
// event type of every division the caller may see; the signing secret is shown once, at
// creation and at rotation. A division-scoped caller subscribes only to its divisions and
// sees only subscriptions within them (an organization-wide one needs every division).
import { randomUUID } from 'node:crypto';
import { scimErrors, type JsonObject } from '../../scim/index.ts';
import type { DeliveryRecord, Store, WebhookMethod, WebhookFormat, WebhookRecord } from '../../store/contract.ts';
import { actorOf, diffAttributes, writeAudit } from '../../trail/audit.ts';
import { EVENT_TYPES } from '../../trail/events.ts';
import { body, optionalString, requirePermission, type AdminContext } from '../admin/context.ts';
import { askedDivisions, withinCaller } from '../admin/division-scope.ts';
import type { ChangeSignal } from '../change-signal.ts';
import { EVENTS_PERMISSION, type EventFeed } from '../events.ts';
import { Sealer } from '../sealed.ts';
import { SetPoller, type PollAnswer } from './poll.ts';
import type { SetSigner } from './set-signer.ts';
import { newSigningSecret } from './sender.ts';
import { checkTargetUrl, type TargetPolicy } from './target.ts';

export const WEBHOOK_PERMISSIONS = { view: 'webhooks:subscription:view', add: 'webhooks:subscription:add', edit: 'webhooks:subscription:edit', delete: 'webhooks:subscription:delete' } as const;

export interface WebhookEntity {
  id: string;
  /** Absent for a polled subscription. */
  url?: string;
  format: WebhookFormat;
  deliveryMethod: WebhookMethod;
  /** SETs: the `iss` they carry and where its public keys are. */
  issuer?: string;
  jwksUri?: string;
  /** Polled SETs: where the receiver polls (RFC 8936). */
  pollUri?: string;
  description?: string;
  /** Empty: every event type. */
  eventTypes: readonly string[];
  /** Absent: every division. */
  divisionIds?: readonly string[];
  enabled: boolean;
  dateCreated: string;
  /** Delivery state: failing while the next event keeps being refused. */
  delivery: { failing: boolean; attempts: number; nextAttempt?: string; disabledReason?: string };
  selfUri: string;
  /** The signing secret: only in the answer that made it. */
  secret?: string;
}

export interface DeliveryEntity {
  id: number;
  eventId: string;
  eventType: string;
  attempt: number;
  time: string;
  status?: number;
  latencyMs: number;
  error?: string;
  response?: string;
}

const actor = (ctx: AdminContext) => actorOf({ org: ctx.org, principal: ctx.principal, requestId: ctx.requestId });
const auditable = (w: WebhookRecord) => ({ url: w.url, format: w.format, method: w.method, description: w.description, eventTypes: w.eventTypes, divisionIds: w.divisionIds, enabled: w.enabled });

export class WebhookAdmin {
  private readonly secrets: Sealer;
  private readonly poller: SetPoller;

  constructor(
    private readonly store: Store,
    private readonly feed: EventFeed,
    private readonly policy: TargetPolicy,
    private readonly signer: SetSigner,
    changes: ChangeSignal,
  ) {
    this.secrets = webhookSecrets(store);
    this.poller = new SetPoller(store, feed, signer, changes);
  }

  private entity(w: WebhookRecord, secret?: string): WebhookEntity {
    const set = w.format === 'set' ? { issuer: this.signer.issuer(w.orgId), jwksUri: `${this.signer.issuer(w.orgId)}/jwks` } : {};
    return {
      id: w.id, ...(w.url ? { url: w.url } : {}), format: w.format, deliveryMethod: w.method, ...set, ...(w.method === 'poll' ? { pollUri: `/api/v2/webhooks/${w.id}/poll` } : {}),
      ...(w.description ? { description: w.description } : {}), eventTypes: w.eventTypes, ...(w.divisionIds ? { divisionIds: w.divisionIds } : {}),
      enabled: w.enabled, dateCreated: w.created,
      delivery: {
        failing: w.attempts > 0, attempts: w.attempts, ...(w.attempts > 0 ? { nextAttempt: new Date(w.nextAttempt).toISOString() } : {}),
        ...(w.disabledReason ? { disabledReason: w.disabledReason } : {}),
      },
      selfUri: `/api/v2/webhooks/${w.id}`, ...(secret ? { secret } : {}),
    };
  }

  private async visible(ctx: AdminContext, id: string, permission: string): Promise<WebhookRecord> {
    requirePermission(ctx, permission);
    const w = await this.store.getWebhook(ctx.org.id, id);
    if (!w || !withinCaller(ctx, w.divisionIds, permission)) throw scimErrors.notFound(`Webhook ${id} not found`);
    return w;
  }

  async list(ctx: AdminContext): Promise<{ entities: WebhookEntity[]; total: number }> {
    requirePermission(ctx, WEBHOOK_PERMISSIONS.view);
    const all = (await this.store.listWebhooks(ctx.org.id)).filter((w) => withinCaller(ctx, w.divisionIds, WEBHOOK_PERMISSIONS.view));
    return { entities: all.map((w) => this.entity(w)), total: all.length };
  }

  async get(ctx: AdminContext, id: string): Promise<WebhookEntity> {
    return this.entity(await this.visible(ctx, id, WEBHOOK_PERMISSIONS.view));
  }

  /** What a body asks for, checked: the URL (policy), known event types, divisions the caller holds. */
  private async read(ctx: AdminContext, b: JsonObject, permission: string, current?: WebhookRecord) {
    const format = (b.format ?? current?.format ?? 'webhook') as WebhookFormat;
    const method = (b.deliveryMethod ?? current?.method ?? 'push') as WebhookMethod;
    if (format !== 'webhook' && format !== 'set') throw scimErrors.badRequest('format must be "webhook" (Standard Webhooks) or "set" (RFC 9967 Security Event Tokens)');
    if (method !== 'push' && method !== 'poll') throw scimErrors.badRequest('deliveryMethod must be "push" or "poll"');
    if (current && (format !== current.format || method !== current.method)) throw scimErrors.badRequest('format and deliveryMethod are fixed when a subscription is made: make another subscription');
    if (method === 'poll' && format !== 'set') throw scimErrors.badRequest('only Security Event Tokens (format "set") are polled (RFC 8936); read Standard Webhooks events from GET /api/v2/events');
    if (method === 'poll' && b.url !== undefined) throw scimErrors.badRequest('a polled subscription has no url: the receiver polls its pollUri');
    const url = method === 'poll' ? '' : b.url === undefined && current ? current.url : checkTargetUrl(b.url, this.policy).href;
    const types = b.eventTypes === undefined ? current?.eventTypes ?? [] : b.eventTypes;
    if (!Array.isArray(types) || types.some((t) => typeof t !== 'string' || !(EVENT_TYPES as readonly string[]).includes(t))) {
      throw scimErrors.badRequest(`eventTypes must be a list of: ${EVENT_TYPES.join(', ')} (empty: every type)`);
    }
    const divisionIds = await askedDivisions(ctx, this.store, b, permission, current?.divisionIds, 'subscribe to');
    const enabled = b.enabled === undefined ? current?.enabled ?? true : b.enabled;
    if (typeof enabled !== 'boolean') throw scimErrors.badRequest('enabled must be true or false');
    const description = b.description === undefined ? current?.description : optionalString(b, 'description');
    return { url, format, method, eventTypes: [...new Set(types as string[])], divisionIds, enabled, description };
  }

  async create(ctx: AdminContext, input: unknown): Promise<WebhookEntity & { selfUri: string }> {
    requirePermission(ctx, WEBHOOK_PERMISSIONS.add);
    const asked = await this.read(ctx, body(input), WEBHOOK_PERMISSIONS.add);
    // SETs are signed with the organization's key: such a subscription has no secret.
    const secret = asked.format === 'webhook' ? newSigningSecret() : undefined;
    // A new subscription starts at the newest event: it receives what happens from now on.
    const rows = await this.feed.latest(ctx.org.id);
    const w: WebhookRecord = {
      id: randomUUID(), orgId: ctx.org.id, ...asked, secret: secret ? await this.secrets.seal(ctx.org.id, secret) : '',
      created: new Date().toISOString(), position: rows ?? { commit: '0', seq: 0 }, attempts: 0, nextAttempt: 0,
    };
    await this.store.transaction(async (tx) => {
      await tx.createWebhook(w);
      await writeAudit(tx, actor(ctx), 'create', 'Webhook', w.id, diffAttributes(undefined, auditable(w)));
    });
    return this.entity(w, secret);
  }

  async update(ctx: AdminContext, id: string, input: unknown): Promise<WebhookEntity> {
    const w = await this.visible(ctx, id, WEBHOOK_PERMISSIONS.edit);
    const asked = await this.read(ctx, body(input), WEBHOOK_PERMISSIONS.edit, w);
    // Enabling again clears the reason it was disabled and the retry clock.
    const next: WebhookRecord = { ...w, ...asked, ...(asked.enabled && !w.enabled ? { disabledReason: undefined, attempts: 0, nextAttempt: 0 } : {}) };
    await this.store.transaction(async (tx) => {
      await tx.updateWebhook(next);
      const changes = diffAttributes(auditable(w), auditable(next));
      if (Object.keys(changes).length > 0) await writeAudit(tx, actor(ctx), 'update', 'Webhook', id, changes);
    });
    return this.entity(next);
  }

  async rotateSecret(ctx: AdminContext, id: string): Promise<WebhookEntity> {
    const w = await this.visible(ctx, id, WEBHOOK_PERMISSIONS.edit);
    if (w.format === 'set') throw scimErrors.badRequest(`Security Event Tokens are signed with the organization's key, published at ${this.signer.issuer(w.orgId)}/jwks: this subscription has no secret`);
    const secret = newSigningSecret();
    const next = { ...w, secret: await this.secrets.seal(ctx.org.id, secret) };
    await this.store.transaction(async (tx) => {
      await tx.updateWebhook(next);
      await writeAudit(tx, actor(ctx), 'rotateSecret', 'Webhook', id, { secret: { before: '[redacted]', after: '[redacted]' } });
    });
    return this.entity(next, secret);
  }

  async delete(ctx: AdminContext, id: string): Promise<void> {
    const w = await this.visible(ctx, id, WEBHOOK_PERMISSIONS.delete);
    await this.store.transaction(async (tx) => {
      await tx.deleteWebhook(ctx.org.id, id);
      await writeAudit(tx, actor(ctx), 'delete', 'Webhook', id, diffAttributes(auditable(w), undefined));
    });
  }

  /** Sends again from a position of the event feed (`after`, from GET /api/v2/events), or from the oldest event kept; at once. */
  async replay(ctx: AdminContext, id: string, input: unknown): Promise<WebhookEntity> {
    const w = await this.visible(ctx, id, WEBHOOK_PERMISSIONS.edit);
    const b = input === undefined || input === null ? {} : body(input);
    const after = typeof b.after === 'string' ? await this.feed.position(ctx.org.id, b.after) : undefined;
    await this.store.resetWebhook(ctx.org.id, id, after ?? { commit: '0', seq: 0 });
    return this.entity({ ...w, position: after ?? { commit: '0', seq: 0 }, attempts: 0, nextAttempt: 0 });
  }

  /** Sends a test event now (outside the order; the position does not move) and says what the receiver answered. */
  /**
   * RFC 8936: acknowledges what the receiver `ack`s (or refused, `setErrs`) and answers the next
   * SETs. Polling needs the event feed's permission over the subscription's divisions.
   */
  async poll(ctx: AdminContext, id: string, input: unknown, abort?: AbortSignal): Promise<PollAnswer> {
    const w = await this.visible(ctx, id, EVENTS_PERMISSION);
    if (w.method !== 'poll') throw scimErrors.badRequest('this subscription is pushed to its url: only a subscription with deliveryMethod "poll" is polled');
    if (!w.enabled) throw scimErrors.conflict('this subscription is disabled: enable it to poll');
    return this.poller.poll(w, input === undefined || input === null ? {} : body(input), abort);
  }

  async test(ctx: AdminContext, id: string, sender: { sendTest(w: WebhookRecord): Promise<{ status?: number; error?: string; latencyMs: number }> }): Promise<{ status?: number; error?: string; latencyMs: number }> {
    const w = await this.visible(ctx, id, WEBHOOK_PERMISSIONS.edit);
    if (w.method === 'poll') throw scimErrors.badRequest('a polled subscription has no url to send a test to');
    return sender.sendTest(w);
  }

  /** Tries the failing event again now instead of at its next retry. */
  async retry(ctx: AdminContext, id: string): Promise<WebhookEntity> {
    const w = await this.visible(ctx, id, WEBHOOK_PERMISSIONS.edit);
    await this.store.resetWebhook(ctx.org.id, id, w.position);
    return this.entity({ ...w, nextAttempt: 0 });
  }

  async deliveries(ctx: AdminContext, id: string, query: Record<string, unknown>): Promise<{ entities: DeliveryEntity[]; before?: number }> {
    await this.visible(ctx, id, WEBHOOK_PERMISSIONS.view);
    const limit = Math.min(200, Math.max(1, Number(query.limit ?? 50) || 50));
    const before = query.before === undefined ? undefined : Number(query.before);
    if (before !== undefined && !Number.isSafeInteger(before)) throw scimErrors.badRequest('before must be a delivery id');
    const rows = await this.store.listDeliveries(ctx.org.id, id, limit, before);
    const entities = rows.map((d: DeliveryRecord) => ({
      id: d.seq!, eventId: d.eventId, eventType: d.eventType, attempt: d.attempt, time: d.time, ...(d.status !== undefined ? { status: d.status } : {}), latencyMs: d.latencyMs,
      ...(d.error ? { error: d.error } : {}), ...(d.response ? { response: d.response } : {}),
    }));
    return { entities, ...(rows.length === limit ? { before: rows.at(-1)!.seq! } : {}) };
  }
}

/** The sealer of webhook signing secrets (its key is shared by every node through the store). */
export const webhookSecrets = (store: Store) => new Sealer(store, 'webhook-secret');

