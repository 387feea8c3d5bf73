// The trail in SQL: audit records, refused requests, the request log.
import type { AuditPage, AuditQuery, AuditRecord, EventQuery, EventRow, TrailQuery, TrailRepository } from '../contract.ts';
import type { DialectFeatures, Row, SqlExecutor } from './executor.ts';
import { auditInsert, insertRows, limit, one, placeholders, purgeBefore, runStatement, type BatchColumn } from './shared.ts';

const REFUSAL_COLUMNS: readonly BatchColumn[] = [
  ['id', 'text'], ['org_id', 'text'], ['time', 'text'], ['client_id', 'text'], ['request_id', 'text'], ['method', 'text'], ['path', 'text'],
  ['status', 'int'], ['scim_type', 'text'], ['detail', 'text'], ['body', 'text'], ['validate_only', 'int'],
];
const REQUEST_COLUMNS: readonly BatchColumn[] = [
  ['id', 'text'], ['org_id', 'text'], ['time', 'text'], ['at', 'int8'], ['client_id', 'text'], ['request_id', 'text'], ['method', 'text'], ['path', 'text'],
  ['status', 'int'], ['duration_ms', 'int'], ['auth', 'text'], ['detail', 'text'],
];

/**
 * The WHERE of a trail page (audits, refusals, requests): organization, client, time range,
 * position in the order asked. The request log's range reads its epoch-milliseconds column
 * (`at`, migration 22), the others their ISO `time`.
 */
function trailWhere(orgId: string, q: TrailQuery, byEpoch = false): { where: string[]; params: unknown[] } {
  const where = ['org_id = ?'];
  const params: unknown[] = [orgId];
  const add = (sql: string, v: unknown) => {
    where.push(sql);
    params.push(v);
  };
  if (q.clientId !== undefined) add('client_id = ?', q.clientId);
  const bound = (iso: string) => (byEpoch ? Date.parse(iso) : iso);
  if (q.from !== undefined) add(byEpoch ? 'at >= ?' : 'time >= ?', bound(q.from));
  if (q.to !== undefined) add(byEpoch ? 'at < ?' : 'time < ?', bound(q.to));
  if (q.after !== undefined) add(q.newestFirst ? 'seq < ?' : 'seq > ?', q.after);
  return { where, params };
}

/** A division-scoped reader's condition: rows of users in its divisions, or of the types that live outside divisions. */
function addScope(scope: NonNullable<AuditQuery['scope']>, where: string[], params: unknown[]): void {
  const { divisionIds, alsoTypes } = scope;
  const parts = [...(divisionIds.length > 0 ? [`division_id IN (${placeholders(divisionIds.length)})`] : []), ...(alsoTypes.length > 0 ? [`resource_type IN (${placeholders(alsoTypes.length)})`] : [])];
  where.push(parts.length > 0 ? `(${parts.join(' OR ')})` : '1 = 0');
  params.push(...divisionIds, ...alsoTypes);
}

function toAudit(r: Row): AuditRecord {
  return {
    id: r.id as string,
    orgId: r.org_id as string,
    time: r.time as string,
    clientId: (r.client_id as string | null) ?? undefined,
    requestId: (r.request_id as string | null) ?? undefined,
    action: r.action as string,
    resourceType: r.resource_type as string,
    resourceId: r.resource_id as string,
    ...(r.division_id ? { divisionId: r.division_id as string } : {}),
    changes: typeof r.changes === 'string' ? JSON.parse(r.changes) : (r.changes as AuditRecord['changes']),
    ...(r.version !== null && r.version !== undefined ? { version: Number(r.version) } : {}),
  };
}

export function trailRepository(db: SqlExecutor, features: DialectFeatures): TrailRepository {
  return {
    async insertAudit(a: AuditRecord) {
      await runStatement(db, auditInsert(a));
    },
    async queryAudits(orgId, q: AuditQuery): Promise<AuditPage> {
      const { where, params } = trailWhere(orgId, q);
      if (q.resourceId !== undefined) {
        where.push('resource_id = ?');
        params.push(q.resourceId);
      }
      if (q.scope) addScope(q.scope, where, params);
      const rows = await db.all(`SELECT * FROM audits WHERE ${where.join(' AND ')} ORDER BY seq${q.newestFirst ? ' DESC' : ''} LIMIT ?`, [...params, q.limit + 1]);
      const more = rows.length > q.limit;
      const page = rows.slice(0, q.limit);
      return {
        entities: page.map((r) => ({ ...toAudit(r), seq: Number(r.seq) })),
        ...(more ? { next: Number(page[page.length - 1].seq) } : {}),
      };
    },
    deleteAuditsBefore: (time) => purgeBefore(db, 'audits', time),
    async queryEvents(orgId, q: EventQuery): Promise<EventRow[]> {
      const where = [`org_id = ? AND resource_type IN (${placeholders(q.resourceTypes.length)}) AND action IN (${placeholders(q.actions.length)})`];
      const params: unknown[] = [orgId, ...q.resourceTypes, ...q.actions];
      if (q.scope) addScope(q.scope, where, params);
      if (q.since !== undefined) {
        where.push('time >= ?');
        params.push(q.since);
      }
      const order = features.commitOrder;
      if (order) {
        where.push(order.visible);
        if (q.after && !q.newestFirst) {
          const after = order.after(q.after.commit, q.after.seq);
          where.push(after.sql);
          params.push(...after.params);
        }
      } else if (q.after && !q.newestFirst) {
        where.push('seq > ?');
        params.push(q.after.seq);
      }
      const rows = await db.all(`SELECT *${order ? `, ${order.select}` : ''} FROM audits WHERE ${where.join(' AND ')} ORDER BY ${order ? (q.newestFirst ? order.reverse : order.order) : q.newestFirst ? 'seq DESC' : 'seq'} ${limit(q.limit)}`, params);
      return rows.map((r) => ({ ...toAudit(r), seq: Number(r.seq), position: { commit: order ? String(r.commit_pos) : '0', seq: Number(r.seq) } }));
    },
    async insertRefusals(records) {
      await insertRows(db, features, 'refusals', REFUSAL_COLUMNS, records.map((r) => [
        r.id, r.orgId, r.time, r.clientId ?? null, r.requestId ?? null, r.method, r.path, r.status, r.scimType ?? null, r.detail, r.body ?? null, r.validateOnly ? 1 : null,
      ]));
    },
    async queryRefusals(orgId, q) {
      const { where, params } = trailWhere(orgId, q);
      const rows = await db.all(`SELECT * FROM refusals WHERE ${where.join(' AND ')} ORDER BY seq${q.newestFirst ? ' DESC' : ''} LIMIT ?`, [...params, q.limit + 1]);
      const page = rows.slice(0, q.limit);
      return {
        entities: page.map((r) => ({
          seq: Number(r.seq), id: r.id as string, orgId: r.org_id as string, time: r.time as string,
          ...(r.client_id ? { clientId: r.client_id as string } : {}), ...(r.request_id ? { requestId: r.request_id as string } : {}),
          method: r.method as string, path: r.path as string, status: Number(r.status), ...(r.scim_type ? { scimType: r.scim_type as string } : {}),
          detail: r.detail as string, ...(r.body ? { body: r.body as string } : {}), ...(Number(r.validate_only) === 1 ? { validateOnly: true } : {}),
        })),
        ...(rows.length > q.limit ? { next: Number(page[page.length - 1].seq) } : {}),
      };
    },
    deleteRefusalsBefore: (time) => purgeBefore(db, 'refusals', time),
    async insertRequests(records) {
      await insertRows(db, features, 'requests', REQUEST_COLUMNS, records.map((r) => [
        r.id, r.orgId ?? null, r.time, Date.parse(r.time), r.clientId ?? null, r.requestId ?? null, r.method, r.path, r.status, Math.round(r.durationMs), r.auth, r.detail ?? null,
      ]));
    },
    async queryRequests(orgId, q) {
      const { where, params } = trailWhere(orgId, q, true);
      if (q.withUnattributed) where[0] = '(org_id = ? OR org_id IS NULL)';
      if (q.status !== undefined) {
        const cls = /^([2-5])xx$/.exec(q.status);
        if (cls) {
          where.push('status >= ? AND status < ?');
          params.push(Number(cls[1]) * 100, Number(cls[1]) * 100 + 100);
        } else {
          where.push('status = ?');
          params.push(Number(q.status));
        }
      }
      if (q.path !== undefined) {
        where.push(`path LIKE ? ESCAPE '\\'`);
        params.push(`%${q.path.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      }
      const rows = await db.all(`SELECT * FROM requests WHERE ${where.join(' AND ')} ORDER BY seq${q.newestFirst ? ' DESC' : ''} LIMIT ?`, [...params, q.limit + 1]);
      const page = rows.slice(0, q.limit);
      return {
        entities: page.map((r) => ({
          seq: Number(r.seq), id: r.id as string, ...(r.org_id ? { orgId: r.org_id as string } : {}), time: r.time as string,
          ...(r.client_id ? { clientId: r.client_id as string } : {}), ...(r.request_id ? { requestId: r.request_id as string } : {}),
          method: r.method as string, path: r.path as string, status: Number(r.status), durationMs: Number(r.duration_ms), auth: r.auth as string,
          ...(r.detail ? { detail: r.detail as string } : {}),
        })),
        ...(rows.length > q.limit ? { next: Number(page[page.length - 1].seq) } : {}),
      };
    },
    async requestBuckets(orgId, from, withUnattributed) {
      // The hour is the first 13 characters of the ISO time: the same text on both dialects.
      const rows = await db.all(
        `SELECT substr(time, 1, 13) AS hour,
           SUM(CASE WHEN status < 400 THEN 1 ELSE 0 END) AS ok,
           SUM(CASE WHEN status >= 400 AND status < 500 THEN 1 ELSE 0 END) AS refused,
           SUM(CASE WHEN status >= 500 THEN 1 ELSE 0 END) AS failed
         FROM requests WHERE ${withUnattributed ? '(org_id = ? OR org_id IS NULL)' : 'org_id = ?'} AND at >= ? GROUP BY substr(time, 1, 13) ORDER BY 1`,
        [orgId, Date.parse(from)],
      );
      return rows.map((r) => ({ hour: `${r.hour as string}:00:00.000Z`, ok: Number(r.ok), refused: Number(r.refused), failed: Number(r.failed) }));
    },
    lastAccepted: (orgId) => one(db, 'SELECT time, client_id FROM requests WHERE org_id = ? AND status < 400 ORDER BY seq DESC LIMIT 1', [orgId], (r) => ({ time: r.time as string, ...(r.client_id ? { clientId: r.client_id as string } : {}) })),
    async pruneRequests(time, maxRows) {
      let n = await purgeBefore(db, 'requests', { column: 'at', value: Date.parse(time) });
      const rows = await db.all('SELECT seq FROM requests ORDER BY seq DESC LIMIT 1 OFFSET ?', [maxRows]);
      if (rows.length > 0) n += await db.run('DELETE FROM requests WHERE seq <= ?', [Number(rows[0].seq)]);
      return n;
    },
  };
}
