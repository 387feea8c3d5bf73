// Prometheus metrics (prom-client), one registry per app (no globals). Labels are bounded:
// route templates, methods, status classes, resource types and outcomes; never an
// organization, a client or an id, so the figures reveal no tenant and cardinality stays
// fixed. Served on a separate listen address (SCIMITAR_METRICS_PORT), never on the API port.
import client from 'prom-client';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store/contract.ts';
import { isValidateOnlyWrite } from '../directory/validate-only.ts';
import { SECRET_TOKEN_WARNING_MS } from '../directory/admin/clients.ts';

export interface Metrics {
  readonly registry: client.Registry;
  /** One token request's outcome. */
  token(outcome: 'issued' | 'refused' | 'throttled'): void;
  /** A request refused by the per-client rate limit. */
  rateLimited(): void;
  /** The rate limit stopped asking Redis for a while after a slow or failed command. */
  redisBreakerOpened(): void;
  /**
   * Recounts what the store holds that a scrape shows (secret tokens about to expire). The
   * server calls it at start and with its hourly sweep: a scrape itself never queries the store.
   */
  refresh(): Promise<void>;
}

const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;

/** SCIM resource type and operation of a route, or undefined for other routes. */
function scimOperation(route: string, method: string): { type: string; op: string } | undefined {
  const m = /^\/api\/v2\/scim(?:\/v2)?(\/[^/]*)?(\/[^/]+)?/.exec(route);
  if (!m) return undefined;
  const first = (m[1] ?? '/').slice(1);
  const second = m[2]?.slice(1);
  if (first === 'Bulk') return { type: 'Bulk', op: 'bulk' };
  if (first === '.search') return { type: 'any', op: 'search' };
  if (first !== 'Users' && first !== 'Groups') return { type: first === '' ? 'any' : 'discovery', op: method.toLowerCase() };
  const type = first === 'Users' ? 'User' : 'Group';
  if (second === '.search') return { type, op: 'search' };
  const byMethod: Record<string, string> = second ? { GET: 'get', PUT: 'replace', PATCH: 'patch', DELETE: 'delete' } : { GET: 'list', POST: 'create' };
  return { type, op: byMethod[method] ?? method.toLowerCase() };
}

export function createMetrics(app: FastifyInstance, store: Store): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const requests = new client.Counter({ name: 'scimitar_http_requests_total', help: 'HTTP requests by route template, method and status class', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const duration = new client.Histogram({
    name: 'scimitar_http_request_duration_seconds', help: 'HTTP request latency by route template, method and status class',
    labelNames: ['route', 'method', 'status'], buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry],
  });
  const scim = new client.Counter({ name: 'scimitar_scim_operations_total', help: 'SCIM operations by resource type, operation and outcome (validate-only requests not included)', labelNames: ['resource_type', 'operation', 'outcome'], registers: [registry] });
  const checks = new client.Counter({ name: 'scimitar_scim_validate_only_total', help: 'Validate-only SCIM writes (Prefer: validate-only, nothing changed) by resource type, operation and outcome', labelNames: ['resource_type', 'operation', 'outcome'], registers: [registry] });
  const tokens = new client.Counter({ name: 'scimitar_oauth_tokens_total', help: 'Token requests by outcome (issued, refused, throttled)', labelNames: ['outcome'], registers: [registry] });
  const limited = new client.Counter({ name: 'scimitar_rate_limited_requests_total', help: 'Requests refused by the per-client rate limit', registers: [registry] });
  const breaker = new client.Counter({ name: 'scimitar_redis_breaker_open_total', help: 'Times the rate limit stopped asking a slow or failing Redis (requests pass unlimited meanwhile)', registers: [registry] });

  const queries = new client.Histogram({
    name: 'scimitar_db_query_duration_seconds', help: 'Database statement latency by kind (read, write)',
    labelNames: ['kind', 'dialect'], buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1], registers: [registry],
  });
  store.instrument((seconds, kind) => queries.observe({ kind, dialect: store.dialect }, seconds));
  // Group commit (SQLite): transactions per commit is how many requests share one WAL write.
  for (const [name, help, key] of [
    ['scimitar_db_transactions_total', 'Database transactions run', 'transactions'],
    ['scimitar_db_commits_total', 'Database commits made (on SQLite concurrent transactions share one)', 'commits'],
  ] as const) {
    new client.Counter({
      name, help, labelNames: ['dialect'], registers: [registry],
      collect() {
        this.reset();
        this.inc({ dialect: store.dialect }, store.commitStats()[key]);
      },
    });
  }
  // Secret tokens (Entra's "Secret Token") about to expire, every organization together (no
  // tenant in a label): alert on it before provisioning stops. Counted by `refresh`.
  const expiring = new client.Gauge({ name: 'scimitar_secret_tokens_expiring', help: 'Secret tokens that expire within 7 days (provisioning with them stops at expiry)', registers: [registry] });
  if (store.poolStats()) {
    // Read at scrape time: connections open, idle, and requests waiting for one.
    new client.Gauge({
      name: 'scimitar_db_pool_connections', help: 'PostgreSQL pool: connections by state (total, idle) and requests waiting for one', labelNames: ['state'], registers: [registry],
      collect() {
        const p = store.poolStats();
        if (!p) return;
        this.set({ state: 'total' }, p.total);
        this.set({ state: 'idle' }, p.idle);
        this.set({ state: 'waiting' }, p.waiting);
      },
    });
  }

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    // Unmatched URLs share one label: their paths are the client's, not a bounded set.
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { route, method: request.method, status: statusClass(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
    const op = scimOperation(route, request.method);
    if (!op) return;
    const outcome = reply.statusCode < 400 ? 'success' : reply.statusCode < 500 ? 'client_error' : 'server_error';
    (isValidateOnlyWrite(request.method, request.headers.prefer) ? checks : scim).inc({ resource_type: op.type, operation: op.op, outcome });
  });

  return {
    registry,
    token: (outcome) => tokens.inc({ outcome }),
    rateLimited: () => limited.inc(),
    redisBreakerOpened: () => breaker.inc(),
    async refresh() {
      const now = Date.now();
      expiring.set(await store.countSecretTokensExpiring(now, now + SECRET_TOKEN_WARNING_MS));
    },
  };
}

/**
 * Prometheus scrapes a listener of its own: metrics are node-wide (every organization), so
 * they never share the API port that tenants reach.
 */
export function serveMetrics(app: FastifyInstance, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    app.metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': app.metrics.registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
