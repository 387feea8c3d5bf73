// The webhooks aggregate: subscriptions (where to send which events, sealed secret) with
// their delivery state (position, retry clock, lease), and the delivery log.
import type { EventPosition } from './trail.ts';

/** How events are written: Standard Webhooks JSON, or RFC 9967 Security Event Tokens. */
export type WebhookFormat = 'webhook' | 'set';
/** Sent to the URL as they happen, or kept until the receiver polls (RFC 8936; SETs only). */
export type WebhookMethod = 'push' | 'poll';

export interface WebhookRecord {
  readonly id: string;
  readonly orgId: string;
  /** Where events are pushed; empty for a polled subscription. */
  readonly url: string;
  readonly format: WebhookFormat;
  readonly method: WebhookMethod;
  readonly description?: string;
  /** Event types sent; empty: every type. */
  readonly eventTypes: readonly string[];
  /** Divisions whose users' events are sent; undefined: every division. */
  readonly divisionIds?: readonly string[];
  readonly enabled: boolean;
  /** The signing secret, sealed (empty for SETs: the organization's key signs them). */
  readonly secret: string;
  readonly created: string;
  /** The last event acknowledged (or passed over as not subscribed). */
  readonly position: EventPosition;
  /** Failed attempts at the event after `position`. */
  readonly attempts: number;
  /** Epoch ms of the next attempt. */
  readonly nextAttempt: number;
  readonly disabledReason?: string;
}

/** What a subscription's sender changes as it goes. */
export interface WebhookProgress {
  readonly position: EventPosition;
  readonly attempts: number;
  readonly nextAttempt: number;
  readonly enabled?: boolean;
  readonly disabledReason?: string;
}

export interface DeliveryRecord {
  readonly seq?: number;
  readonly webhookId: string;
  readonly orgId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly attempt: number;
  readonly time: string;
  /** The receiver's HTTP status; absent when it could not be reached. */
  readonly status?: number;
  readonly latencyMs: number;
  readonly error?: string;
  /** The start of the receiver's answer. */
  readonly response?: string;
}

export interface WebhookRepository {
  createWebhook(w: WebhookRecord): Promise<void>;
  getWebhook(orgId: string, id: string): Promise<WebhookRecord | undefined>;
  listWebhooks(orgId: string): Promise<WebhookRecord[]>;
  /** Writes what an administrator may change (url, types, divisions, description, enabled, secret). */
  updateWebhook(w: WebhookRecord): Promise<boolean>;
  deleteWebhook(orgId: string, id: string): Promise<boolean>;
  /**
   * Leases up to `limit` enabled pushed subscriptions due at `now` whose lease has run out, for
   * `owner` until `leaseUntil`: of several nodes, exactly one gets each.
   */
  claimWebhooks(now: number, leaseUntil: number, owner: string, limit: number): Promise<WebhookRecord[]>;
  /** Records progress while `owner` holds the lease; false when it lost it. */
  saveWebhookProgress(id: string, owner: string, p: WebhookProgress): Promise<boolean>;
  /** Gives the lease back (due again at `nextAttempt`). */
  releaseWebhook(id: string, owner: string): Promise<void>;
  /** Moves the position (replay) and makes it due now. */
  resetWebhook(orgId: string, id: string, position: EventPosition): Promise<boolean>;
  /** Delivery attempts, in as few statements as the dialect allows. */
  insertDeliveries(records: readonly DeliveryRecord[]): Promise<void>;
  /** The newest first, before `before` (a delivery's seq). */
  listDeliveries(orgId: string, webhookId: string, limit: number, before?: number): Promise<DeliveryRecord[]>;
  deleteDeliveriesBefore(time: string): Promise<number>;
}
