// Webhooks in SQL: subscriptions with their delivery state, leased to one sender at a time
// (`leases` in shared.ts: an UPDATE that only takes rows whose lease ran out; SKIP LOCKED on
// PostgreSQL), and the delivery log.
import type { DeliveryRecord, WebhookRecord, WebhookRepository } from '../contract.ts';
import type { DialectFeatures, Row, SqlExecutor } from './executor.ts';
import { insertRows, leases, limit, one, placeholders, purgeBefore, type BatchColumn } from './shared.ts';

const DELIVERY_COLUMNS: readonly BatchColumn[] = [
  ['webhook_id', 'text'], ['org_id', 'text'], ['event_id', 'text'], ['event_type', 'text'], ['attempt', 'int'], ['time', 'text'],
  ['status', 'int'], ['latency_ms', 'int'], ['error', 'text'], ['response', 'text'],
];

function toWebhook(r: Row): WebhookRecord {
  return {
    id: r.id as string,
    orgId: r.org_id as string,
    url: r.url as string,
    format: (r.format as WebhookRecord['format'] | undefined) ?? 'webhook',
    method: (r.delivery_method as WebhookRecord['method'] | undefined) ?? 'push',
    ...(r.description ? { description: r.description as string } : {}),
    eventTypes: JSON.parse(r.event_types as string) as string[],
    ...(r.division_ids ? { divisionIds: JSON.parse(r.division_ids as string) as string[] } : {}),
    enabled: Number(r.enabled) === 1,
    secret: r.secret as string,
    created: r.created as string,
    position: { commit: r.position_commit as string, seq: Number(r.position_seq) },
    attempts: Number(r.attempts),
    nextAttempt: Number(r.next_attempt),
    ...(r.disabled_reason ? { disabledReason: r.disabled_reason as string } : {}),
  };
}

function toDelivery(r: Row): DeliveryRecord {
  return {
    seq: Number(r.seq), webhookId: r.webhook_id as string, orgId: r.org_id as string, eventId: r.event_id as string, eventType: r.event_type as string,
    attempt: Number(r.attempt), time: r.time as string, ...(r.status !== null && r.status !== undefined ? { status: Number(r.status) } : {}), latencyMs: Number(r.latency_ms),
    ...(r.error ? { error: r.error as string } : {}), ...(r.response ? { response: r.response as string } : {}),
  };
}

export function webhookRepository(db: SqlExecutor, features: DialectFeatures): WebhookRepository {
  const lease = leases(db, features, 'webhooks', "enabled = 1 AND delivery_method = 'push' AND next_attempt <= ?", 'next_attempt');
  return {
    async createWebhook(w) {
      await db.run(
        `INSERT INTO webhooks (id, org_id, url, description, event_types, division_ids, enabled, secret, created, position_commit, position_seq, attempts, next_attempt, lease_until, lease_owner, disabled_reason, format, delivery_method)
          VALUES (${placeholders(18)})`,
        [w.id, w.orgId, w.url, w.description ?? null, JSON.stringify(w.eventTypes), w.divisionIds ? JSON.stringify(w.divisionIds) : null, w.enabled ? 1 : 0, w.secret, w.created,
          w.position.commit, w.position.seq, w.attempts, w.nextAttempt, 0, null, w.disabledReason ?? null, w.format, w.method],
      );
    },
    getWebhook: (orgId, id) => one(db, 'SELECT * FROM webhooks WHERE org_id = ? AND id = ?', [orgId, id], toWebhook),
    async listWebhooks(orgId) {
      return (await db.all('SELECT * FROM webhooks WHERE org_id = ? ORDER BY created, id', [orgId])).map(toWebhook);
    },
    async updateWebhook(w) {
      return (await db.run(
        'UPDATE webhooks SET url = ?, format = ?, delivery_method = ?, description = ?, event_types = ?, division_ids = ?, enabled = ?, secret = ?, disabled_reason = ?, attempts = ?, next_attempt = ? WHERE org_id = ? AND id = ?',
        [w.url, w.format, w.method, w.description ?? null, JSON.stringify(w.eventTypes), w.divisionIds ? JSON.stringify(w.divisionIds) : null, w.enabled ? 1 : 0, w.secret, w.disabledReason ?? null, w.attempts, w.nextAttempt, w.orgId, w.id],
      )) === 1;
    },
    async deleteWebhook(orgId, id) {
      await db.run('DELETE FROM webhook_deliveries WHERE org_id = ? AND webhook_id = ?', [orgId, id]);
      return (await db.run('DELETE FROM webhooks WHERE org_id = ? AND id = ?', [orgId, id])) === 1;
    },
    claimWebhooks: async (now, leaseUntil, owner, n) => (await lease.claim(now, leaseUntil, owner, n)).map(toWebhook),
    async saveWebhookProgress(id, owner, p) {
      return (await db.run(
        `UPDATE webhooks SET position_commit = ?, position_seq = ?, attempts = ?, next_attempt = ?${p.enabled === false ? ', enabled = 0, disabled_reason = ?' : ''} WHERE id = ? AND lease_owner = ?`,
        [p.position.commit, p.position.seq, p.attempts, p.nextAttempt, ...(p.enabled === false ? [p.disabledReason ?? null] : []), id, owner],
      )) === 1;
    },
    releaseWebhook: (id, owner) => lease.release(id, owner),
    async resetWebhook(orgId, id, position) {
      return (await db.run('UPDATE webhooks SET position_commit = ?, position_seq = ?, attempts = 0, next_attempt = 0 WHERE org_id = ? AND id = ?', [position.commit, position.seq, orgId, id])) === 1;
    },
    async insertDeliveries(records) {
      await insertRows(db, features, 'webhook_deliveries', DELIVERY_COLUMNS, records.map((d) => [
        d.webhookId, d.orgId, d.eventId, d.eventType, d.attempt, d.time, d.status ?? null, Math.round(d.latencyMs), d.error ?? null, d.response ?? null,
      ]));
    },
    async listDeliveries(orgId, webhookId, n, before) {
      const rows = await db.all(
        `SELECT * FROM webhook_deliveries WHERE org_id = ? AND webhook_id = ?${before !== undefined ? ' AND seq < ?' : ''} ORDER BY seq DESC ${limit(n)}`,
        [orgId, webhookId, ...(before !== undefined ? [before] : [])],
      );
      return rows.map(toDelivery);
    },
    deleteDeliveriesBefore: (time) => purgeBefore(db, 'webhook_deliveries', time),
  };
}
