// An HTTP client for any SCIM 2.0 endpoint: bearer token (given, or fetched with the
// client-credentials grant), retries 429 after Retry-After and 5xx with exponential backoff,
// and a dry-run mode: against a target that advertises validate-only writes (Scimitar's
// ServiceProviderConfig extension) each write is sent with `Prefer: validate-only` and the
// target's real answer comes back, nothing being stored; against any other target no write
// is sent at all.

export interface ScimClientOptions {
  readonly baseUrl: string;
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
}

export interface ScimResponse {
  readonly status: number;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- SCIM JSON from a foreign server, read field by field
}

export class ScimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(`HTTP ${status}: ${detail}`);
  }
}

/** Scimitar's ServiceProviderConfig extension, where a target says it validates writes without making them. */
export const VALIDATE_ONLY_EXTENSION = 'urn:scimitar:params:scim:schemas:extension:2.0:ServiceProviderConfig';

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
    const res = await fetch(this.o.tokenUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(this.o.clientId)}:${encodeURIComponent(this.o.clientSecret)}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; error_description?: string };
    if (!res.ok || !body.access_token) throw new ScimHttpError(res.status, `token request failed: ${body.error_description ?? res.statusText}`);
    return body.access_token;
  }

  /** A dry run asks the target whether it validates writes without making them. */
  async discover(): Promise<void> {
    if (!this.o.dryRun) return;
    const r = await this.request('GET', '/ServiceProviderConfig');
    const ext = r.status === 200 ? (r.body?.[VALIDATE_ONLY_EXTENSION] as { validateOnly?: { supported?: boolean } } | undefined) : undefined;
    this.validating = ext?.validateOnly?.supported === true;
  }

  /** An id that exists only in this dry run (a placeholder, or a validated create's). */
  isVirtual(id: string | undefined): boolean {
    return id !== undefined && (id.startsWith('dry-run-') || this.virtual.has(id));
  }

  async request(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<ScimResponse> {
    const write = method !== 'GET';
    if (write && this.o.dryRun && this.validating) {
      const r = await this.send(method, path, body, { prefer: 'validate-only' });
      if (method === 'POST' && (r.status === 201 || r.status === 200) && typeof r.body?.id === 'string') this.virtual.add(r.body.id);
      return r;
    }
    if (write && this.o.dryRun) {
      // Dry run: nothing leaves this process; creates get a placeholder id.
      return { status: method === 'POST' ? 201 : method === 'DELETE' ? 204 : 200, body: method === 'POST' ? { ...(body as object), id: `dry-run-${++this.dryIds}` } : undefined };
    }
    return this.send(method, path, body, {});
  }

  private async send(method: string, path: string, body: unknown, extra: Record<string, string>): Promise<ScimResponse> {
    const write = method !== 'GET';
    this.token ??= await this.fetchToken();
    const max = this.o.maxRetries ?? 4;
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      this.requests++;
      if (write && extra.prefer) this.validated++;
      else if (write) this.writes++;
      const res = await fetch(`${this.o.baseUrl.replace(/\/+$/, '')}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, accept: 'application/scim+json', ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}), ...extra },
        body: body === undefined ? undefined : JSON.stringify(body),
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
      return { status: res.status, body: json };
    }
  }
}

export function errorDetail(r: ScimResponse): string {
  const b = r.body as { detail?: string; scimType?: string } | undefined;
  return `${r.status}${b?.scimType ? ` ${b.scimType}` : ''}: ${b?.detail ?? (typeof r.body === 'string' ? r.body : 'no detail')}`;
}
