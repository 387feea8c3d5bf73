// Configuration: read from the environment once (in main.ts / the CLI), validated, frozen,
// passed down. Every default is documented here and in docs/configuration.md.
import { MIN_SECRET_LENGTH } from './auth/secrets.ts';

export interface Config {
  /** PORT: TCP port. Default 8080. */
  readonly port: number;
  /** HOST: interface to bind. Default 127.0.0.1 (use 0.0.0.0 in a container). */
  readonly host: string;
  /** SCIMITAR_DB: SQLite file. Default ./data/scimitar.db. */
  readonly dbPath: string;
  /** DATABASE_URL: postgres://... selects the PostgreSQL store instead of SQLite. */
  readonly databaseUrl?: string;
  /** SCIMITAR_DB_POOL: PostgreSQL connections per node. Default 10. */
  readonly dbPoolSize: number;
  /** SCIMITAR_PUBLIC_URL: external base URL (behind a proxy). Default http://HOST:PORT. */
  readonly publicUrl: string;
  /** SCIMITAR_BOOTSTRAP_CLIENT_ID / _SECRET: deterministic credentials for the first client. */
  readonly bootstrapClientId?: string;
  readonly bootstrapClientSecret?: string;
  /** SCIMITAR_TOKEN_TTL: access token lifetime in seconds. Default 86400 (24 h), 300..172800 as Genesys allows. */
  readonly tokenTtlSeconds: number;
  /** SCIMITAR_TOKEN_CACHE_MS: how long a node trusts a resolved token before re-reading it. Default 5000. */
  readonly tokenCacheTtlMs: number;
  /** SCIMITAR_BODY_LIMIT: largest request body in bytes (413 beyond). Default 1048576. */
  readonly bodyLimitBytes: number;
  /** SCIMITAR_RATE_LIMIT: SCIM requests per minute per OAuth client (429 beyond). Default 0 = unlimited. */
  readonly rateLimitPerMinute: number;
  /** SCIMITAR_AUDIT_RETENTION_DAYS: audit records older than this are deleted hourly. Default 365; 0 keeps them forever. */
  readonly auditRetentionDays: number;
  /** SCIMITAR_REQUEST_LOG_DAYS: requests in the request log older than this are deleted hourly. Default 7; 0 records no requests (and the sweep empties the log). */
  readonly requestLogDays: number;
  /** SCIMITAR_REQUEST_LOG_MAX: the request log keeps at most this many requests (the oldest go first). Default 1000000. */
  readonly requestLogMaxRows: number;
  /** SCIMITAR_LOG_LEVEL: pino level. Default info. */
  readonly logLevel: string;
  /**
   * SCIMITAR_TRUST_PROXY: which proxies' X-Forwarded-For to believe for the client address
   * (login throttling, logs): a comma-separated list of the proxies' addresses/CIDRs.
   * Default: none (the socket address is the client).
   */
  readonly trustProxy?: readonly string[];
  /** SCIMITAR_METRICS_PORT: serve Prometheus metrics at /metrics on this port. Default: off. */
  readonly metricsPort?: number;
  /** SCIMITAR_METRICS_HOST: interface of the metrics listener. Default 127.0.0.1. */
  readonly metricsHost: string;
  /** REDIS_URL: Redis for rate-limit counters and login-throttle failures shared by every node (redis://host:6379). Default: each node counts alone. */
  readonly redisUrl?: string;
  /** SCIMITAR_WEBHOOK_ALLOW_HTTP_LOOPBACK=1: webhooks may go to this machine (http or https on loopback). Default off. */
  readonly webhookAllowHttpLoopback: boolean;
  /** SCIMITAR_WEBHOOK_ALLOW_PRIVATE=1: webhooks may go to private, link-local and reserved addresses. Default off. */
  readonly webhookAllowPrivate: boolean;
  /**
   * SCIMITAR_EVENT_RETENTION_DAYS: change events older than this are no longer served (the
   * feed, event streams, webhooks, SET polls, provisioning jobs); a webhook that could not
   * deliver one for that long records it as expired and goes on. Default 30. The rows are audit
   * records and stay for SCIMITAR_AUDIT_RETENTION_DAYS.
   */
  readonly eventRetentionDays: number;
  /** SCIMITAR_WEBHOOK_LOG_DAYS: webhook delivery attempts older than this are deleted hourly. Default 30. */
  readonly webhookLogDays: number;
  /** SCIMITAR_PROVISIONING_LOG_DAYS: provisioning log entries older than this are deleted hourly. Default 30 (as Entra keeps its provisioning logs). */
  readonly provisioningLogDays: number;
  /** SCIMITAR_SECRET_KEY (at least 32 characters): seals provisioning jobs' target credentials at rest. Jobs cannot be saved without it. */
  readonly secretKey?: string;
  /**
   * SCIMITAR_PROVISIONING_FILES_DIR: the one folder provisioning jobs may read JSON/CSV source
   * files from (paths inside it only). Unset: jobs read no files (an API caller could otherwise
   * name any file of the server).
   */
  readonly provisioningFilesDir?: string;
}

export const DEFAULTS = Object.freeze({
  port: 8080,
  host: '127.0.0.1',
  dbPath: './data/scimitar.db',
  dbPoolSize: 10,
  tokenTtlSeconds: 86400,
  tokenCacheTtlMs: 5000,
  bodyLimitBytes: 1024 * 1024,
  rateLimitPerMinute: 0,
  auditRetentionDays: 365,
  requestLogDays: 7,
  requestLogMaxRows: 1_000_000,
  webhookLogDays: 30,
  eventRetentionDays: 30,
  provisioningLogDays: 30,
  logLevel: 'info',
});

const KNOWN = new Set([
  'SCIMITAR_DB', 'SCIMITAR_DB_POOL', 'SCIMITAR_PUBLIC_URL', 'SCIMITAR_BOOTSTRAP_CLIENT_ID', 'SCIMITAR_BOOTSTRAP_CLIENT_SECRET',
  'SCIMITAR_TOKEN_TTL', 'SCIMITAR_TOKEN_CACHE_MS',
  'SCIMITAR_TOKEN', // read by the CLI only (--token for --url); allowed here so a shell that sets it can still serve
 'SCIMITAR_BODY_LIMIT', 'SCIMITAR_RATE_LIMIT', 'SCIMITAR_AUDIT_RETENTION_DAYS', 'SCIMITAR_REQUEST_LOG_DAYS', 'SCIMITAR_REQUEST_LOG_MAX', 'SCIMITAR_LOG_LEVEL', 'SCIMITAR_TRUST_PROXY', 'SCIMITAR_METRICS_PORT', 'SCIMITAR_METRICS_HOST',
  'SCIMITAR_WEBHOOK_ALLOW_HTTP_LOOPBACK', 'SCIMITAR_WEBHOOK_ALLOW_PRIVATE', 'SCIMITAR_WEBHOOK_LOG_DAYS', 'SCIMITAR_EVENT_RETENTION_DAYS', 'SCIMITAR_SECRET_KEY', 'SCIMITAR_PROVISIONING_LOG_DAYS', 'SCIMITAR_PROVISIONING_FILES_DIR',
]);

function flag(env: Record<string, string | undefined>, key: string): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new ConfigError(`${key} must be 1 (on) or 0 (off); got ${JSON.stringify(raw)}`);
}

export class ConfigError extends Error {}

function secretKey(raw: string): string {
  if (raw.length < 32) throw new ConfigError('SCIMITAR_SECRET_KEY must be at least 32 characters (e.g. `openssl rand -base64 32`)');
  return raw;
}

function int(env: Record<string, string | undefined>, key: string, def: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${key} must be an integer from ${min} to ${max}; got ${JSON.stringify(raw)}`);
  return n;
}

function redisUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (!/^rediss?:\/\/[^/]+/.test(raw)) throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL');
  return raw;
}

function databaseUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(raw)) throw new ConfigError('DATABASE_URL must be a postgres:// URL (SQLite is chosen with SCIMITAR_DB)');
  return raw;
}

function trustProxy(raw: string | undefined): readonly string[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  const list = raw.split(',').map((s) => s.trim());
  if (list.some((a) => !/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/.test(a))) throw new ConfigError('SCIMITAR_TRUST_PROXY must be a comma-separated list of proxy addresses or CIDRs');
  return Object.freeze(list);
}

export function configFromEnv(env: Record<string, string | undefined>): Config {
  const unknown = Object.keys(env).filter((k) => k.startsWith('SCIMITAR_') && !KNOWN.has(k));
  if (unknown.length > 0) throw new ConfigError(`Unknown configuration: ${unknown.join(', ')} (see docs/configuration.md)`);
  const port = int(env, 'PORT', DEFAULTS.port, 0, 65535);
  const host = env.HOST || DEFAULTS.host;
  const secret = env.SCIMITAR_BOOTSTRAP_CLIENT_SECRET || undefined;
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`SCIMITAR_BOOTSTRAP_CLIENT_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  const clientId = env.SCIMITAR_BOOTSTRAP_CLIENT_ID || undefined;
  if ((clientId === undefined) !== (secret === undefined)) {
    throw new ConfigError('Set SCIMITAR_BOOTSTRAP_CLIENT_ID and SCIMITAR_BOOTSTRAP_CLIENT_SECRET together');
  }
  // Bound to every interface (a container): 0.0.0.0 is no address to give a client.
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const publicUrl = (env.SCIMITAR_PUBLIC_URL || `http://${shownHost}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(publicUrl)) throw new ConfigError(`SCIMITAR_PUBLIC_URL must be an http(s) URL; got ${JSON.stringify(publicUrl)}`);
  return Object.freeze({
    port,
    host,
    dbPath: env.SCIMITAR_DB || DEFAULTS.dbPath,
    databaseUrl: databaseUrl(env.DATABASE_URL),
    dbPoolSize: int(env, 'SCIMITAR_DB_POOL', DEFAULTS.dbPoolSize, 1, 500),
    publicUrl,
    bootstrapClientId: clientId,
    bootstrapClientSecret: secret,
    tokenTtlSeconds: int(env, 'SCIMITAR_TOKEN_TTL', DEFAULTS.tokenTtlSeconds, 300, 172800),
    tokenCacheTtlMs: int(env, 'SCIMITAR_TOKEN_CACHE_MS', DEFAULTS.tokenCacheTtlMs, 0, 600000),
    bodyLimitBytes: int(env, 'SCIMITAR_BODY_LIMIT', DEFAULTS.bodyLimitBytes, 1024, 100 * 1024 * 1024),
    rateLimitPerMinute: int(env, 'SCIMITAR_RATE_LIMIT', DEFAULTS.rateLimitPerMinute, 0, 10_000_000),
    auditRetentionDays: int(env, 'SCIMITAR_AUDIT_RETENTION_DAYS', DEFAULTS.auditRetentionDays, 0, 36500),
    requestLogDays: int(env, 'SCIMITAR_REQUEST_LOG_DAYS', DEFAULTS.requestLogDays, 0, 365),
    requestLogMaxRows: int(env, 'SCIMITAR_REQUEST_LOG_MAX', DEFAULTS.requestLogMaxRows, 1000, 100_000_000),
    logLevel: env.SCIMITAR_LOG_LEVEL || DEFAULTS.logLevel,
    trustProxy: trustProxy(env.SCIMITAR_TRUST_PROXY),
    webhookAllowHttpLoopback: flag(env, 'SCIMITAR_WEBHOOK_ALLOW_HTTP_LOOPBACK'),
    webhookAllowPrivate: flag(env, 'SCIMITAR_WEBHOOK_ALLOW_PRIVATE'),
    webhookLogDays: int(env, 'SCIMITAR_WEBHOOK_LOG_DAYS', DEFAULTS.webhookLogDays, 1, 3650),
    eventRetentionDays: int(env, 'SCIMITAR_EVENT_RETENTION_DAYS', DEFAULTS.eventRetentionDays, 1, 3650),
    provisioningLogDays: int(env, 'SCIMITAR_PROVISIONING_LOG_DAYS', DEFAULTS.provisioningLogDays, 1, 3650),
    ...(env.SCIMITAR_SECRET_KEY ? { secretKey: secretKey(env.SCIMITAR_SECRET_KEY) } : {}),
    ...(env.SCIMITAR_PROVISIONING_FILES_DIR ? { provisioningFilesDir: env.SCIMITAR_PROVISIONING_FILES_DIR } : {}),
    metricsPort: env.SCIMITAR_METRICS_PORT ? int(env, 'SCIMITAR_METRICS_PORT', 0, 1, 65535) : undefined,
    metricsHost: env.SCIMITAR_METRICS_HOST || '127.0.0.1',
    redisUrl: redisUrl(env.REDIS_URL),
  });
}
