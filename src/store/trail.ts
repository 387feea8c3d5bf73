// The trail: audit records of accepted changes, refused requests, and the request log.


/** One audit record: who changed what, with the before/after of each changed attribute. */
export interface AuditRecord {
  /** Position in the trail (set when read back). */
  readonly seq?: number;
  readonly id: string;
  readonly orgId: string;
  readonly time: string;
  readonly clientId?: string;
  readonly requestId?: string;
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string;
  /** The division of the user the record describes (its division after the change); absent for resources outside divisions. */
  readonly divisionId?: string;
  readonly changes: Readonly<Record<string, { readonly before?: unknown; readonly after?: unknown }>>;
  /** The resource's version after the change (its ETag), where the change has one. */
  readonly version?: number;
}

/**
 * Where a reader of change events is: the last event it took, in commit order (`commit`: the
 * transaction's position where writers commit out of sequence order, '0' elsewhere).
 */
export interface EventPosition {
  readonly commit: string;
  readonly seq: number;
}

/** Audit rows that are change events, in commit order, after a position. */
export interface EventQuery {
  readonly after?: EventPosition;
  readonly limit: number;
  readonly resourceTypes: readonly string[];
  readonly actions: readonly string[];
  /** As AuditQuery.scope: a division-scoped reader. */
  readonly scope?: AuditQuery['scope'];
  /** The newest first (where a new reader starts); `after` is then ignored. */
  readonly newestFirst?: boolean;
  /** Only events at or after this time (the event retention's horizon). */
  readonly since?: string;
}

export interface EventRow extends AuditRecord {
  readonly seq: number;
  readonly position: EventPosition;
}

/** A page of a trail (audit records, refused requests): by client and time, in write order or newest first. */
export interface TrailQuery {
  readonly clientId?: string;
  readonly from?: string;
  readonly to?: string;
  /** Opaque position returned by the previous page (the next page continues in the same order). */
  readonly after?: number;
  readonly limit: number;
  /** Newest first (the console's feed, the CLI); default oldest first, as records were written. */
  readonly newestFirst?: boolean;
}

export interface AuditQuery extends TrailQuery {
  readonly resourceId?: string;
  /**
   * A division-scoped reader: only records of users in these divisions, plus records of
   * `alsoTypes` (resources that live outside divisions and are filtered by the caller).
   */
  readonly scope?: { readonly divisionIds: readonly string[]; readonly alsoTypes: readonly string[] };
}

export interface AuditPage {
  readonly entities: readonly AuditRecord[];
  /** Position to pass as `after` for the next page; absent on the last page. */
  readonly next?: number;
}

/** What the refusal record and the request log both keep of a request. */
export interface RequestLine {
  readonly id: string;
  readonly time: string;
  readonly clientId?: string;
  readonly requestId?: string;
  readonly method: string;
  /** The path and query, secrets redacted, cut short. */
  readonly path: string;
  readonly status: number;
}

/** A request that was refused: what was asked and why it was refused (the activity feed). */
export interface RefusalRecord extends RequestLine {
  readonly orgId: string;
  readonly scimType?: string;
  readonly detail: string;
  /** The request body as JSON text with passwords and secrets replaced, cut short. */
  readonly body?: string;
  /** A validate-only request (RFC 7240 `Prefer: validate-only`): nothing would have changed either way. */
  readonly validateOnly?: boolean;
}

export type RefusalQuery = TrailQuery;

/** One request as the request log keeps it (SCIM, token endpoint, administration API). */
export interface RequestRecord extends RequestLine {
  /** Absent when the request named no organization (an unknown token or client). */
  readonly orgId?: string;
  readonly durationMs: number;
  /** How the caller authenticated, in words ("token of the client", "expired token", "unknown token", ...). */
  readonly auth: string;
  /** Why it was refused or failed. */
  readonly detail?: string;
}

export interface RequestQuery extends TrailQuery {
  /** `2xx`, `4xx`, `5xx` or one status (401). */
  readonly status?: string;
  /** Part of the path. */
  readonly path?: string;
  /** Also requests that named no organization (a deployment of one organization shows them). */
  readonly withUnattributed?: boolean;
}

export interface RequestPage {
  readonly entities: readonly (RequestRecord & { readonly seq: number })[];
  readonly next?: number;
}

/** Requests per hour by outcome (the console's 24-hour chart). */
export interface RequestBucket {
  /** The hour, ISO 8601 (`2026-12-07T04:00:00.000Z`). */
  readonly hour: string;
  readonly ok: number;
  readonly refused: number;
  readonly failed: number;
}

export interface RefusalPage {
  readonly entities: readonly (RefusalRecord & { readonly seq: number })[];
  readonly next?: number;
}

export interface TrailRepository {
  insertAudit(a: AuditRecord): Promise<void>;
  /**
   * Change events (audit rows of `resourceTypes` and `actions`) committed before every write
   * still running, in commit order, after `after`: a reader that goes on from the last
   * position it took never misses one, whatever order concurrent writes commit in.
   */
  queryEvents(orgId: string, q: EventQuery): Promise<EventRow[]>;
  queryAudits(orgId: string, q: AuditQuery): Promise<AuditPage>;
  deleteAuditsBefore(time: string): Promise<number>;
  insertRefusals(records: readonly RefusalRecord[]): Promise<void>;
  queryRefusals(orgId: string, q: RefusalQuery): Promise<RefusalPage>;
  deleteRefusalsBefore(time: string): Promise<number>;
  insertRequests(records: readonly RequestRecord[]): Promise<void>;
  queryRequests(orgId: string, q: RequestQuery): Promise<RequestPage>;
  /** Requests per hour since `from` (same attribution rule as queryRequests). */
  requestBuckets(orgId: string, from: string, withUnattributed: boolean): Promise<RequestBucket[]>;
  /** The last request of one of the organization's clients that was answered below 400. */
  lastAccepted(orgId: string): Promise<{ time: string; clientId?: string } | undefined>;
  /** Deletes requests older than `time`, then the oldest beyond `maxRows`; the number deleted. */
  pruneRequests(time: string, maxRows: number): Promise<number>;
}
