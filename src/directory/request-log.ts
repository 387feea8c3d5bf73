// The request log: every SCIM, token and administration request, reads and 401s included,
// with who made it, how it authenticated and, for a refusal, why, so that "is Entra reaching
// us, and why does its Test Connection fail?" has an answer in the console. Recorded off the
// request path (queued-writer.ts); pruned by age and size (serve.ts); read by whoever may read
// the audit trail on every division. A request that named no organization (an unknown token
// or client) belongs to none: a deployment of one organization shows it to that one, a
// deployment of several to nobody (it could be any tenant's).
import { randomUUID } from 'node:crypto';
import { ALL_DIVISIONS, divisionsWith } from '../auth/permissions.ts';
import { scimErrors } from '../scim/index.ts';
import type { RequestBucket, RequestRecord, Store } from '../store/contract.ts';
import { requirePermission, type AdminContext } from './admin/context.ts';
import { QueuedWriter, type QueuedWriterOptions } from './queued-writer.ts';
import { Sealer } from './sealed.ts';

/** A request as the hot path queues it: what it knows, unformatted (see `RequestRecorder`). */
export interface RequestSeen extends Omit<RequestRecord, 'id' | 'time' | 'path' | 'orgId' | 'clientId' | 'requestId' | 'detail'> {
  readonly orgId: string | undefined;
  readonly clientId: string | undefined;
  readonly requestId: string | undefined;
  readonly detail: string | undefined;
  /** The URL as requested; redacted and cut when written. */
  readonly url: string;
  /** Epoch milliseconds. */
  readonly at: number;
}

/** Takes a batch of the request log off this thread (the server's background thread, host.ts). */
export interface RequestBatchSink {
  /** False when it cannot take the batch now: the recorder writes it itself. */
  writeRequests(batch: readonly RequestSeen[]): boolean;
}

export class RequestRecorder extends QueuedWriter<RequestSeen> {
  private sink: RequestBatchSink | undefined;

  /**
   * Every request is recorded: one write per second at most, in batches, keeps reads fast. The
   * request pays only for queueing what it saw; ids, times and redaction are made when the
   * batch is written, on the background thread when the server runs one (docs/benchmarks.md,
   * "The request log's cost on reads").
   */
  constructor(store: Store, options: QueuedWriterOptions = {}) {
    super(async (batch) => {
      if (this.sink?.writeRequests(batch)) return;
      await store.transaction((tx) => tx.insertRequests(requestRecords(batch)));
    }, { flushMs: 1000, maxQueued: 50_000, ...options });
  }

  record(r: RequestSeen): void {
    this.enqueue(r);
  }

  /** Queues again records a sink took and could not write (its thread ended): they are written with the next batch. */
  takeBack(batch: readonly RequestSeen[]): void {
    for (const r of batch) this.enqueue(r);
  }

  /** Batches go to `sink` from now on (undefined: written here again). */
  writeThrough(sink: RequestBatchSink | undefined): void {
    this.sink = sink;
  }
}

/** A URL with the values of secret-bearing query parameters replaced. */
export function redactUrl(url: string): string {
  return url.includes('=') ? url.replace(/([?&](?:token|access_token|client_secret|password)=)[^&#]*/gi, '$1[redacted]') : url;
}

/** Rows of the request log, as written: ids, times, URLs redacted and cut. */
export function requestRecords(batch: readonly RequestSeen[]): RequestRecord[] {
  return batch.map(formatted);
}

function formatted(r: RequestSeen): RequestRecord {
  return {
    // Its own id: a request id may be the client's (X-Request-Id) and repeat.
    id: randomUUID(), time: new Date(r.at).toISOString(),
    ...(r.orgId !== undefined ? { orgId: r.orgId } : {}), ...(r.clientId !== undefined ? { clientId: r.clientId } : {}), ...(r.requestId !== undefined ? { requestId: r.requestId } : {}),
    method: r.method, path: redactUrl(r.url).slice(0, 1000), status: r.status, durationMs: r.durationMs, auth: r.auth,
    ...(r.detail !== undefined ? { detail: r.detail.slice(0, 1000) } : {}),
  };
}

export interface RequestQueryInput {
  readonly limit: number;
  readonly cursor?: string;
  readonly status?: string;
  readonly client?: string;
  readonly path?: string;
  readonly from?: string;
  readonly to?: string;
}

export interface RequestEntry {
  readonly id: string;
  readonly time: string;
  readonly outcome: 'ok' | 'refused' | 'failed';
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly clientId?: string;
  /** Who, by name: a client's name, or what the credential was ("unknown token"). */
  readonly client: string;
  /** How it authenticated, in words: "token of Entra", "expired token of Entra", "no token". */
  readonly auth: string;
  readonly detail?: string;
}

export interface RequestLogPage {
  readonly entries: readonly RequestEntry[];
  readonly cursor?: string;
}

export interface RequestSummary {
  readonly hours: readonly RequestBucket[];
  /** The last request of one of the organization's clients that was accepted. */
  readonly lastAccepted?: { readonly time: string; readonly client: string };
}

const STATUS = /^(?:[2-5]xx|[1-5]\d\d)$/;

export class RequestLog {
  private readonly sealer: Sealer;

  constructor(private readonly store: Store) {
    this.sealer = new Sealer(store, 'request-cursor');
  }

  /** Requests are organization-wide (their paths name any division's users): every division. */
  private require(ctx: AdminContext): void {
    requirePermission(ctx, 'audits:audit:view');
    if (divisionsWith(ctx.principal, ['audits:audit:view']) !== ALL_DIVISIONS) throw scimErrors.forbidden('The request log needs audits:audit:view on every division');
  }

  private async unattributedVisible(): Promise<boolean> {
    return (await this.store.listOrganizations()).length === 1;
  }

  private async names(orgId: string): Promise<Map<string, string>> {
    return new Map((await this.store.listClients(orgId)).map((c) => [c.id, c.name]));
  }

  async page(ctx: AdminContext, q: RequestQueryInput): Promise<RequestLogPage> {
    this.require(ctx);
    if (q.status !== undefined && !STATUS.test(q.status)) throw scimErrors.badRequest('status must be 2xx, 4xx, 5xx or a status code');
    const iso = (name: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      if (Number.isNaN(Date.parse(v))) throw scimErrors.badRequest(`${name} must be an ISO 8601 date-time`);
      return new Date(v).toISOString();
    };
    let after: number | undefined;
    if (q.cursor !== undefined) {
      const seq = await this.sealer.open(ctx.org.id, q.cursor);
      if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw scimErrors.badRequest('cursor is not one this server issued');
      after = seq as number;
    }
    const page = await this.store.queryRequests(ctx.org.id, {
      limit: q.limit, newestFirst: true, after, clientId: q.client, from: iso('from', q.from), to: iso('to', q.to),
      ...(q.status !== undefined ? { status: q.status } : {}), ...(q.path ? { path: q.path } : {}), withUnattributed: await this.unattributedVisible(),
    });
    const names = await this.names(ctx.org.id);
    const entries = page.entities.map((r): RequestEntry => {
      const name = r.clientId ? names.get(r.clientId) ?? (r.orgId ? 'a deleted client' : 'an unknown client') : undefined;
      return {
        id: r.id, time: r.time, outcome: r.status < 400 ? 'ok' : r.status < 500 ? 'refused' : 'failed', method: r.method, path: r.path, status: r.status,
        durationMs: r.durationMs, ...(r.clientId && r.orgId ? { clientId: r.clientId } : {}), client: name ?? r.auth,
        auth: name && r.orgId ? `${r.auth} of ${name}` : r.auth, ...(r.detail ? { detail: r.detail } : {}),
      };
    });
    return { entries, ...(page.next !== undefined ? { cursor: await this.sealer.seal(ctx.org.id, page.next) } : {}) };
  }

  /** Requests per hour over the last `hours`, and when a client of the organization was last accepted. */
  async summary(ctx: AdminContext, hours = 24, now = Date.now()): Promise<RequestSummary> {
    this.require(ctx);
    const start = new Date(Math.floor(now / 3_600_000) * 3_600_000 - (hours - 1) * 3_600_000);
    const counted = new Map((await this.store.requestBuckets(ctx.org.id, start.toISOString(), await this.unattributedVisible())).map((b) => [b.hour, b]));
    const buckets: RequestBucket[] = [];
    for (let i = 0; i < hours; i++) {
      const hour = new Date(start.getTime() + i * 3_600_000).toISOString();
      buckets.push(counted.get(hour) ?? { hour, ok: 0, refused: 0, failed: 0 });
    }
    const last = await this.store.lastAccepted(ctx.org.id);
    const names = await this.names(ctx.org.id);
    return { hours: buckets, ...(last ? { lastAccepted: { time: last.time, client: (last.clientId && names.get(last.clientId)) || 'a client' } } : {}) };
  }
}
