// An HTTP client for any SCIM 2.0 endpoint: bearer token (given, or fetched with the
// client-credentials grant), retries 429 after Retry-After and 5xx with exponential backoff,
// and a dry-run mode: against a target that validates writes without making them (RFC 7240
// `Prefer: validate-only`, answered with `Preference-Applied: validate-only`) each write is
// sent with that preference and the target's real answer comes back, nothing being stored;
// against any other target no write is sent at all.
import { randomUUID } from 'node:crypto';

/** What the client needs of fetch (the global one by default; the service's jobs use a guarded one). */
export type HttpFetch = (url: string, init: { readonly method: string; readonly headers: Readonly<Record<string, string>>; readonly body?: string }) => Promise<{
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

export interface ScimClientOptions {
  readonly baseUrl: string;
  /** How requests are sent (default: the global fetch). */
  readonly fetch?: HttpFetch;
  readonly token?: string;
  readonly tokenUrl?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly dryRun: boolean;
  readonly maxRetries?: number;
  /** Base of the exponential backoff for 5xx, in ms. */
  readonly backoffMs?: number;
  /** Longest wait honoured for a Retry-After, in seconds. */
  readonly maxRetryAfterSeconds?: number;
  /** Hears each request's final answer (provisioning on demand shows them). */
  readonly onExchange?: (x: ScimExchange) => void;
}

/** One request to the target and its final answer. */
export interface ScimExchange {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly validateOnly: boolean;
  readonly status: number;
  readonly answer?: unknown;
}

export interface ScimResponse {
  readonly status: number;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- SCIM JSON from a foreign server, read field by field
  /** The preferences the target says it applied (RFC 7240 Preference-Applied), lower-cased. */
  readonly preferenceApplied?: readonly string[];
}

export class ScimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(`HTTP ${status}: ${detail}`);
  }
}

const VALIDATE_ONLY = 'validate-only';
const appliesValidateOnly = (r: ScimResponse) => r.preferenceApplied?.includes(VALIDATE_ONLY) === true;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ScimClient {
  requests = 0;
  writes = 0;
  /** Writes the target validated and did not make (dry run against a validating target). */
  validated = 0;
  /** Final answers 401 or 403: the target refuses these credentials (quarantine). */
  authRefusals = 0;
  private token: string | undefined;
  private dryIds = 0;
  /** Ids the target gave to creates it validated but did not store: they exist in no later request. */
  private readonly virtual = new Set<string>();
  /** Whether dry-run writes are validated by the target (set by `discover`). */
  validating = false;

  constructor(private readonly o: ScimClientOptions) {
    this.token = o.token;
  }

  private async fetchToken(): Promise<string> {
    if (!this.o.tokenUrl || !this.o.clientId || !this.o.clientSecret) throw new ScimHttpError(401, 'no token, and no client credentials to get one');
    const res = await (this.o.fetch ?? fetch)(this.o.tokenUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(this.o.clientId)}:${encodeURIComponent(this.o.clientSecret)}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    let body: { access_token?: unknown; error_description?: unknown } = {};
    try {
      body = JSON.parse(await res.text()) ?? {};
    } catch {
      // Not JSON: the status says what happened.
    }
    if (res.status < 200 || res.status >= 300 || typeof body.access_token !== 'string') {
      // The token service refusing the client is the target refusing the credentials (quarantine).
      if (res.status === 400 || res.status === 401 || res.status === 403) this.authRefusals++;
      throw new ScimHttpError(res.status, `token request failed: ${typeof body.error_description === 'string' ? body.error_description : `HTTP ${res.status}`}`);
    }
    return body.access_token;
  }

  /**
   * A dry run asks the target whether it validates writes without making them, with the one
   * write that is harmless either way: a validate-only DELETE of a user id nobody has. A
   * target that validates says so in Preference-Applied (RFC 7240 section 3); one that does
   * not answers 404 and nothing happened.
   */
  async discover(): Promise<void> {
    if (!this.o.dryRun) return;
    const r = await this.send('DELETE', `/Users/${randomUUID()}`, undefined, { prefer: VALIDATE_ONLY }, false);
    this.validating = appliesValidateOnly(r);
  }

  /** An id that exists only in this dry run (a placeholder, or a validated create's). */
  isVirtual(id: string | undefined): boolean {
    return id !== undefined && (id.startsWith('dry-run-') || this.virtual.has(id));
  }

  async request(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<ScimResponse> {
    const write = method !== 'GET';
    if (write && this.o.dryRun && this.validating) {
      const r = await this.send(method, path, body, { prefer: VALIDATE_ONLY });
      // A target that stops honouring the preference may have made this write: stop the dry run.
      if (!appliesValidateOnly(r)) throw new ScimHttpError(r.status, `the target answered ${method} ${path} without Preference-Applied: validate-only, so it may have made the write; the dry run stopped`);
      if (method === 'POST' && (r.status === 201 || r.status === 200) && typeof r.body?.id === 'string') this.virtual.add(r.body.id);
      return r;
    }
    if (write && this.o.dryRun) {
      // Dry run: nothing leaves this process; creates get a placeholder id.
      return { status: method === 'POST' ? 201 : method === 'DELETE' ? 204 : 200, body: method === 'POST' ? { ...(body as object), id: `dry-run-${++this.dryIds}` } : undefined };
    }
    return this.send(method, path, body, {});
  }

  /** One request with retries; `counted` false for a probe that is neither a write nor a validation. */
  private async send(method: string, path: string, body: unknown, extra: Record<string, string>, counted = true): Promise<ScimResponse> {
    const write = method !== 'GET';
    this.token ??= await this.fetchToken();
    const max = this.o.maxRetries ?? 4;
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      this.requests++;
      if (write && counted && extra.prefer) this.validated++;
      else if (write && counted) this.writes++;
      const res = await (this.o.fetch ?? fetch)(`${this.o.baseUrl.replace(/\/+$/, '')}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/scim+json', ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}), ...extra },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = text;
      }
      if (res.status === 401 && !refreshed && this.o.clientId) {
        refreshed = true;
        this.token = await this.fetchToken();
        continue;
      }
      if ((res.status === 429 || res.status >= 500) && attempt < max) {
        const retryAfter = Number(res.headers.get('retry-after'));
        const wait = res.status === 429 && Number.isFinite(retryAfter) ? Math.min(retryAfter, this.o.maxRetryAfterSeconds ?? 60) * 1000 : (this.o.backoffMs ?? 500) * 2 ** attempt;
        await sleep(wait);
        continue;
      }
      if (res.status === 401 || res.status === 403) this.authRefusals++;
      const applied = res.headers.get('preference-applied');
      this.o.onExchange?.({ method, path, ...(body !== undefined ? { body } : {}), validateOnly: extra.prefer === VALIDATE_ONLY, status: res.status, ...(json !== undefined ? { answer: json } : {}) });
      return { status: res.status, body: json, ...(applied ? { preferenceApplied: applied.split(',').map((p) => p.trim().split(';')[0].trim().toLowerCase()) } : {}) };
    }
  }
}

export function errorDetail(r: ScimResponse): string {
  const b = r.body as { detail?: string; scimType?: string } | undefined;
  return `${r.status}${b?.scimType ? ` ${b.scimType}` : ''}: ${b?.detail ?? (typeof r.body === 'string' ? r.body : 'no detail')}`;
}
