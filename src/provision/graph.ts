// Microsoft Graph as the source directory: a client-credentials token from the Microsoft
// identity platform, /users with $select of the mapped attributes and the manager expanded,
// /groups with their members, paging by @odata.nextLink, throttling (429/503 with
// Retry-After) honoured. National clouds: --graph-authority and --graph-base-url (the
// tests point both at a local Graph-shaped server).
//
// The token request is the plain OAuth 2.0 client-credentials grant against the v2.0
// endpoint rather than @azure/msal-node: it is one form POST, msal-node's authority
// discovery wants a real https Microsoft endpoint (a local test server cannot stand in
// for it), and the engine has no other use for its cache. The credential is a client
// secret or a certificate: a signed JWT assertion (private_key_jwt), built with node:crypto.
import type { HttpFetch } from './scim-client.ts';
import { constants, createHash, createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { directoryFromRecords, type Directory } from './source.ts';

/** A certificate credential: the PEM of the certificate registered on the app, and its private key. */
export interface GraphCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/**
 * The client assertion of the Microsoft identity platform's certificate credentials: a JWT
 * signed PS256 with the certificate's key, naming the certificate by its SHA-256 thumbprint
 * (x5t#S256), for the token endpoint (aud), issued by and about the app (iss = sub =
 * client id), valid for ten minutes, with a fresh jti.
 */
export function clientAssertion(cert: GraphCertificate, clientId: string, tokenEndpoint: string, now = Date.now()): string {
  let x509: X509Certificate;
  let key: KeyObject;
  try {
    x509 = new X509Certificate(cert.certificatePem);
    key = createPrivateKey(cert.privateKeyPem);
  } catch (e) {
    throw new GraphError(`the certificate credential cannot be read: ${(e as Error).message}`);
  }
  if (!x509.checkPrivateKey(key)) throw new GraphError('the certificate credential: the private key does not belong to the certificate');
  const header = { alg: 'PS256', typ: 'JWT', 'x5t#S256': b64url(createHash('sha256').update(x509.raw).digest()) };
  const t = Math.floor(now / 1000);
  const claims = { aud: tokenEndpoint, iss: clientId, sub: clientId, jti: randomUUID(), nbf: t, iat: t, exp: t + 600 };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  return `${input}.${b64url(signature)}`;
}

/** Splits a PEM bundle (as exported with the key) into the certificate and the private key. */
export function certificateFromPem(pem: string): GraphCertificate {
  const certificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  const privateKey = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(pem)?.[0];
  if (!certificate) throw new GraphError('the certificate file holds no certificate (-----BEGIN CERTIFICATE-----)');
  if (!privateKey) throw new GraphError('the certificate file holds no unencrypted private key (-----BEGIN PRIVATE KEY-----)');
  return { certificatePem: certificate, privateKeyPem: privateKey };
}

export interface GraphOptions {
  readonly tenantId: string;
  readonly clientId: string;
  /** One of the two credentials: a client secret, or a certificate. */
  readonly clientSecret?: string;
  readonly certificate?: GraphCertificate;
  /** https://login.microsoftonline.com, or a national cloud's (login.microsoftonline.us, login.chinacloudapi.cn). */
  readonly authority?: string;
  /** https://graph.microsoft.com, or a national cloud's (graph.microsoft.us, microsoftgraph.chinacloudapi.cn). */
  readonly baseUrl?: string;
  /** User attributes to $select (the mappings' sources); id, userPrincipalName and accountEnabled always. */
  readonly select?: readonly string[];
  readonly includeGroups?: boolean;
  readonly maxRetries?: number;
  /** Longest Retry-After honoured, in seconds. */
  readonly maxRetryAfterSeconds?: number;
  /** How requests are sent (default: the global fetch; the service's jobs use a guarded one). */
  readonly fetch?: HttpFetch;
}

/** A response body as JSON, or `{}` when it is not JSON. */
async function jsonOf(res: { text(): Promise<string> }): Promise<Record<string, unknown>> {
  try {
    const v: unknown = JSON.parse(await res.text());
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
const ok = (status: number) => status >= 200 && status < 300;

export class GraphError extends Error {}

/** What a delta query needs next time: the deltaLink and the users as last seen. */
export interface GraphDeltaState {
  readonly usersDeltaLink?: string;
  readonly users: Record<string, Record<string, unknown>>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class GraphSource {
  private token: string | undefined;
  requests = 0;
  throttled = 0;

  constructor(private readonly o: GraphOptions) {}

  private get base(): string {
    return (this.o.baseUrl ?? 'https://graph.microsoft.com').replace(/\/+$/, '');
  }

  private async fetchToken(): Promise<string> {
    const authority = (this.o.authority ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
    const endpoint = `${authority}/${encodeURIComponent(this.o.tenantId)}/oauth2/v2.0/token`;
    const credential: Record<string, string> = this.o.certificate
      ? { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: clientAssertion(this.o.certificate, this.o.clientId, endpoint) }
      : { client_secret: this.o.clientSecret ?? '' };
    const res = await (this.o.fetch ?? fetch)(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: this.o.clientId, ...credential, scope: `${this.base}/.default` }).toString(),
    }).catch((e: Error) => {
      throw new GraphError(`cannot reach the Microsoft identity platform at ${authority}: ${(e as { cause?: { code?: string } }).cause?.code ?? e.message}`);
    });
    const body = await jsonOf(res);
    if (!ok(res.status) || typeof body.access_token !== 'string') throw new GraphError(`token request refused (${res.status}${typeof body.error === 'string' ? ` ${body.error}` : ''}): ${String(body.error_description ?? '').split('\n')[0]}`);
    return body.access_token;
  }

  /** One Graph GET, retried on 429/503/504 after Retry-After (or a backoff), with a fresh token on 401 once. */
  async get(url: string): Promise<Record<string, unknown>> {
    this.token ??= await this.fetchToken();
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      this.requests++;
      const res = await (this.o.fetch ?? fetch)(url.startsWith('http') ? url : `${this.base}${url}`, { method: 'GET', headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ConsistencyLevel: 'eventual' } });
      if (res.status === 401 && !refreshed) {
        refreshed = true;
        this.token = await this.fetchToken();
        continue;
      }
      if ((res.status === 429 || res.status === 503 || res.status === 504) && attempt < (this.o.maxRetries ?? 6)) {
        this.throttled++;
        const after = Number(res.headers.get('retry-after'));
        await sleep(Number.isFinite(after) && after >= 0 ? Math.min(after, this.o.maxRetryAfterSeconds ?? 120) * 1000 : 500 * 2 ** attempt);
        continue;
      }
      const body = await jsonOf(res);
      if (!ok(res.status)) {
        const err = body.error as { code?: string; message?: string } | undefined;
        throw new GraphError(`GET ${url.replace(this.base, '')}: ${res.status} ${err?.code ?? ''} ${err?.message ?? ''}`.trim());
      }
      return body;
    }
  }

  /** Every page of a collection, following @odata.nextLink. */
  async all(url: string): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let next: string | undefined = url;
    while (next) {
      const page = await this.get(next);
      out.push(...((page.value as Record<string, unknown>[] | undefined) ?? []));
      next = typeof page['@odata.nextLink'] === 'string' ? (page['@odata.nextLink'] as string) : undefined;
    }
    return out;
  }

  private select(): string[] {
    return [...new Set(['id', 'userPrincipalName', 'accountEnabled', 'displayName', ...(this.o.select ?? [])])].filter((a) => /^[A-Za-z][A-Za-z0-9_]*$/.test(a));
  }

  /**
   * Users by delta query: the first call reads everyone (and returns a deltaLink); a call
   * with the kept deltaLink and snapshot reads only what changed since, applies it to the
   * snapshot (`@removed` reason "changed": soft-deleted, kept with deletedDateTime;
   * "deleted": gone) and returns the whole directory again. An expired deltaLink (410)
   * starts over with a full read.
   */
  async usersByDelta(previous: GraphDeltaState | undefined): Promise<{ users: Record<string, unknown>[]; delta: GraphDeltaState; full: boolean }> {
    // A shallow copy: records are replaced, never changed in place, so the state store can
    // save only the rows that differ from the previous snapshot.
    const snapshot: Record<string, Record<string, unknown>> = previous?.usersDeltaLink ? { ...previous.users } : {};
    let next: string | undefined = previous?.usersDeltaLink ?? `/v1.0/users/delta?$select=${[...this.select(), 'manager'].join(',')}`;
    let full = !previous?.usersDeltaLink;
    let deltaLink: string | undefined;
    while (next) {
      let page: Record<string, unknown>;
      try {
        page = await this.get(next);
      } catch (e) {
        if (e instanceof GraphError && / 410 /.test(e.message) && !full) {
          // The deltaLink expired (resyncRequired): read everything again.
          return this.usersByDelta(undefined);
        }
        throw e;
      }
      for (const r of (page.value as Record<string, unknown>[] | undefined) ?? []) {
        const id = String(r.id);
        const removed = r['@removed'] as { reason?: string } | undefined;
        if (removed?.reason === 'deleted') {
          delete snapshot[id];
          continue;
        }
        if (removed) {
          snapshot[id] = { ...(snapshot[id] ?? { id }), deletedDateTime: snapshot[id]?.deletedDateTime ?? new Date().toISOString() };
          continue;
        }
        const { 'manager@delta': managerDelta, ...fields } = r as Record<string, unknown> & { 'manager@delta'?: { id: string; '@removed'?: unknown }[] };
        const merged: Record<string, unknown> = { ...(snapshot[id] ?? {}), ...fields };
        delete merged.deletedDateTime; // seen again as a user: restored
        if (Array.isArray(managerDelta)) {
          const m = managerDelta.find((x) => !x['@removed']);
          if (m) merged.manager = { id: m.id };
          else delete merged.manager;
        }
        snapshot[id] = merged;
      }
      next = typeof page['@odata.nextLink'] === 'string' ? (page['@odata.nextLink'] as string) : undefined;
      if (typeof page['@odata.deltaLink'] === 'string') deltaLink = page['@odata.deltaLink'] as string;
    }
    if (!deltaLink) throw new GraphError('the delta query ended without an @odata.deltaLink');
    return { users: Object.values(snapshot), delta: { usersDeltaLink: deltaLink, users: snapshot }, full };
  }

  /** Groups with their members' ids (read in full every cycle). */
  async groups(): Promise<Record<string, unknown>[]> {
    const groups: Record<string, unknown>[] = [];
    for (const g of await this.all('/v1.0/groups?$select=id,displayName&$top=999')) {
      const members = await this.all(`/v1.0/groups/${encodeURIComponent(String(g.id))}/members?$select=id&$top=999`);
      groups.push({ ...g, members: members.map((m) => ({ id: m.id })) });
    }
    return groups;
  }

  /** Users (with their manager's id) and, when asked, groups with their members' ids. */
  async readDirectory(): Promise<Directory> {
    const select = this.select();
    const users = await this.all(`/v1.0/users?$select=${select.join(',')}&$expand=manager($select=id)&$top=999`);
    return directoryFromRecords(users, this.o.includeGroups ? await this.groups() : [], { users: 'Graph /users', groups: 'Graph /groups' });
  }

  /** The directory by delta query (see usersByDelta), with the state to keep for the next cycle. */
  async readDirectoryDelta(previous: GraphDeltaState | undefined): Promise<{ directory: Directory; delta: GraphDeltaState; full: boolean }> {
    const { users, delta, full } = await this.usersByDelta(previous);
    return { directory: directoryFromRecords(users, this.o.includeGroups ? await this.groups() : [], { users: 'Graph /users/delta', groups: 'Graph /groups' }), delta, full };
  }
}
