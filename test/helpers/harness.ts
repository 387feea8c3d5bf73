// An in-process Scimitar on a real SQLite store (a fresh temporary file per harness).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from '../../src/http/app.ts';
import { freePort } from './process.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createOrganization, type CreatedOrganization } from '../../src/directory/organizations.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { ScimProfile, Store } from '../../src/store/contract.ts';
import { digest } from '../../src/auth/secrets.ts';
import type { LoginThrottleOptions } from '../../src/auth/login-throttle.ts';
import { dropSchema, openTestPostgres } from './postgres.ts';

export const BASE = '/api/v2/scim/v2';
export const PUBLIC_URL = 'https://scim.example.test';
export const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GEN = 'urn:ietf:params:scim:schemas:extension:genesys:purecloud:2.0:User';

export interface Harness {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly services: Services;
  /** The SQLite file (undefined on PostgreSQL): for a second connection, as a thread of the server opens one. */
  readonly dbPath?: string;
  close(): Promise<void>;
}

export interface Org extends CreatedOrganization {
  token: string;
}

export interface HarnessOptions {
  bodyLimitBytes?: number;
  tokenCacheTtlMs?: number;
  rateLimitPerMinute?: number;
  /** Rate-limit counters in Redis (shared by harnesses given the same namespace). */
  redisUrl?: string;
  rateLimitNamespace?: string;
  dialect?: 'sqlite' | 'postgres';
  /** The services' clock (token expiry, login backoff). */
  now?: () => number;
  loginThrottle?: LoginThrottleOptions;
  /** Record API requests in the request log (default true). */
  requestLog?: boolean;
  /** Webhooks may go to loopback receivers (SCIMITAR_WEBHOOK_ALLOW_HTTP_LOOPBACK). */
  webhookAllowHttpLoopback?: boolean;
  /** SCIMITAR_SECRET_KEY (provisioning jobs). */
  secretKey?: string;
  /** SCIMITAR_PROVISIONING_FILES_DIR. */
  provisioningFilesDir?: string;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'scimitar-test-'));
  let dropPostgres: (() => Promise<void>) | undefined;
  let store: Store;
  if (options.dialect === 'postgres') {
    const pg = await openTestPostgres();
    store = pg.store;
    dropPostgres = () => dropSchema(pg.schema);
  } else store = openSqliteStore({ path: join(dir, 'test.db') });
  const services = createServices(store, { tokenTtlSeconds: 3600, tokenCacheTtlMs: options.tokenCacheTtlMs ?? 5000, now: options.now, loginThrottle: options.loginThrottle, webhookAllowHttpLoopback: options.webhookAllowHttpLoopback, publicUrl: PUBLIC_URL, ...(options.secretKey ? { secretKey: options.secretKey } : {}), ...(options.provisioningFilesDir ? { provisioningFilesDir: options.provisioningFilesDir } : {}) });
  const app = await buildApp(services, { publicUrl: PUBLIC_URL, bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024, logLevel: process.env.TEST_LOG_LEVEL ?? false, rateLimitPerMinute: options.rateLimitPerMinute, redisUrl: options.redisUrl, rateLimitNamespace: options.rateLimitNamespace, requestLog: options.requestLog });
  return {
    app,
    store,
    services,
    ...(options.dialect === 'postgres' ? {} : { dbPath: join(dir, 'test.db') }),
    async close() {
      await app.close();
      await store.close();
      await dropPostgres?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function tokenFor(h: Harness, clientId: string, secret: string): Promise<string> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'grant_type=client_credentials',
  });
  if (res.statusCode !== 200) throw new Error(`token: ${res.statusCode} ${res.body}`);
  return res.json().access_token;
}

export async function createOrg(h: Harness, profile: ScimProfile = 'genesys', name = `org-${randomUUID().slice(0, 8)}`): Promise<Org> {
  const created = await createOrganization(h.store, { name, scimProfile: profile });
  return { ...created, token: await tokenFor(h, created.clientId, created.clientSecret) };
}

/** A client of `org` holding `permissions` on `divisionId` ('*' = all). */
export async function clientWith(h: Harness, org: Org, permissions: string[], divisionId = '*'): Promise<string> {
  const roleId = randomUUID();
  const clientId = randomUUID();
  const secret = `secret-${randomUUID()}`;
  await h.store.createRole({ id: roleId, orgId: org.organization.id, name: `role-${roleId}`, permissions });
  await h.store.createClient({ id: clientId, orgId: org.organization.id, name: 'limited', secretHash: digest(secret), state: 'active', roleDivisions: [{ roleId, divisionId }], created: new Date().toISOString() });
  return tokenFor(h, clientId, secret);
}

export async function addDivision(h: Harness, org: Org, name: string): Promise<string> {
  const id = randomUUID();
  await h.store.createDivision({ id, orgId: org.organization.id, name, isHome: false, created: new Date().toISOString() });
  return id;
}

export async function addGroup(h: Harness, org: Org, displayName: string, visibility: 'public' | 'members' | 'owners' = 'public'): Promise<string> {
  const id = randomUUID();
  const now = new Date().toISOString();
  await h.store.insertGroup({ id, orgId: org.organization.id, displayName, type: 'official', visibility, version: 1, created: now, lastModified: now });
  return id;
}

export interface Call {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function call(h: Harness, c: Call) {
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  if (c.token) headers.authorization = `Bearer ${c.token}`;
  if (c.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/scim+json';
  const res = await h.app.inject({
    method: c.method ?? 'GET',
    url: c.path.startsWith('/') && !c.path.startsWith('/api') && !c.path.startsWith('/oauth') && !c.path.startsWith('/health') && !c.path.startsWith('/ready') && !c.path.startsWith('/openapi') && !c.path.startsWith('/console') ? `${BASE}${c.path}` : c.path,
    headers,
    payload: c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body),
  });
  let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience: response bodies are asserted field by field
  try {
    json = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: json, raw: res.body };
}

/** The administration API (/api/v2) of `harness()` as `token()` (read at each call: tests set both in before()), with JSON bodies; a call may name another token. */
export function adminApi(harness: () => Harness, token: () => string) {
  return (method: NonNullable<Call['method']>, path: string, body?: unknown, as = token()) =>
    call(harness(), { method, path: `/api/v2${path}`, token: as, body, ...(body !== undefined ? { headers: { 'content-type': 'application/json' } } : {}) });
}

export const patchOp = (...Operations: unknown[]) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations });

export function entraUser(userName: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT],
    externalId: randomUUID(),
    userName,
    active: true,
    displayName: userName.split('@')[0],
    emails: [{ primary: true, type: 'work', value: `work.${userName}` }],
    meta: { resourceType: 'User' },
    ...extra,
  };
}

/** Inserts `n` users straight into the store (fast set-up for large tests); returns their ids in order. */
export async function insertUsers(h: Harness, org: Org, n: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  const now = new Date().toISOString();
  await h.store.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      ids.push(id);
      await tx.insertUser({ id, orgId: org.organization.id, userName: `${prefix}${i}@x.com`, displayName: `${prefix} ${i}`, active: true, divisionId: org.homeDivisionId, version: 1, created: now, lastModified: now, data: {} });
    }
  });
  return ids;
}

/**
 * An organization's console administrator, made through the one-time setup link as a person
 * would: the session cookie (`name=value`) of the signed-in administrator.
 */
export async function consoleAdmin(app: FastifyInstance, orgId: string, userName: string, password = 'a long admin password', displayName = 'Root'): Promise<string> {
  const token = await app.consoleAuth.createSetupToken(orgId);
  const res = await app.inject({
    method: 'POST', url: '/console/setup', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token, userName, displayName, password }).toString(),
  });
  if (res.statusCode !== 303) throw new Error(`console setup answered ${res.statusCode}: ${res.body}`);
  return String(res.headers['set-cookie']).split(';')[0];
}

/**
 * Another app over the harness's services, listening on a free port that is also its public
 * URL: for whatever fetches it over the network (a browser, the validator).
 */
export async function listening(h: Harness, options: Partial<AppOptions> = {}): Promise<{ app: FastifyInstance; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const app = await buildApp(h.services, { publicUrl: url, bodyLimitBytes: 1 << 20, logLevel: false, ...options });
  await app.listen({ port, host: '127.0.0.1' });
  return { app, url };
}
