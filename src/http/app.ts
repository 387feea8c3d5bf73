// The Fastify application: content types, limits, request ids, logging, error rendering,
// and the route plugins. No globals: everything it needs comes in as arguments.
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { checkJsonBody, checkParameters } from './input-guard.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import type { Services } from '../services.ts';
import { notFound, oauthErrorHandler, scimErrorHandler } from './errors.ts';
import { acceptForms } from './form-body.ts';
import { oauthRoutes } from './routes/oauth.ts';
import { scimRoutes } from './routes/scim.ts';
import { clientRateLimit } from './rate-limit.ts';
import { RefusalRecorder, redactedExcerpt } from '../directory/refusals.ts';
import { redactUrl, RequestRecorder } from '../directory/request-log.ts';
import { isValidateOnlyWrite } from '../directory/validate-only.ts';
import { createAuthenticator } from './auth.ts';
import { adminRoutes } from './routes/admin.ts';
import { consoleRoutes } from './console/routes.ts';
import type { StreamLimits } from './console/stream-slots.ts';
import { ConsoleAuth } from '../directory/console-users.ts';
import type { LoginThrottleOptions } from '../auth/login-throttle.ts';
import { healthSchema, openApiSchema, readySchema } from './schemas/oauth.ts';
import { withSchema } from './schemas/common.ts';

export interface AppOptions {
  readonly publicUrl: string;
  readonly bodyLimitBytes: number;
  /** pino level, or false for no logging (tests). */
  readonly logLevel: string | false;
  /** Where log lines go (tests read them); stdout by default. */
  readonly logStream?: NodeJS.WritableStream;
  /** SCIM requests per minute per client; 0 = unlimited. */
  readonly rateLimitPerMinute?: number;
  /** Record API requests in the request log (default true; SCIMITAR_REQUEST_LOG_DAYS=0 turns it off). */
  readonly requestLog?: boolean;
  /** Redis for counters shared by every node (REDIS_URL); without it each node counts alone. */
  readonly redisUrl?: string;
  /** Prefix of the rate-limit keys in Redis. */
  readonly rateLimitNamespace?: string;
  /** Fastify's trustProxy: proxies whose X-Forwarded-For names the client. */
  readonly trustProxy?: readonly string[];
  /** The package version, shown in the API description. */
  readonly version?: string;
  /** How often the console's live activity feed looks for new entries (ms). */
  readonly consoleLiveIntervalMs?: number;
  /** Caps on open live activity streams (tests). */
  readonly consoleStreamLimits?: StreamLimits;
  /** The console's clock and sign-in backoff (tests). */
  readonly consoleNow?: () => number;
  readonly consoleLoginThrottle?: LoginThrottleOptions;
}

type ContentTypeParserFunction = (request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => void;

export interface RouteEntry {
  readonly method: string;
  readonly url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: readonly RouteEntry[];
    metrics: Metrics;
    refusals: RefusalRecorder;
    requestLog: RequestRecorder;
    consoleAuth: ConsoleAuth;
  }
  interface FastifyRequest {
    /** Why the request was refused, set where the error is rendered (errors.ts). */
    refusal?: { scimType?: string; error?: string; detail: string };
    /** The client id a token request named (set by the OAuth route). */
    oauthClientId?: string;
    /** Who made the request, once its token was accepted (set before the rate limit). */
    caller?: { clientId: string; orgId: string };
    /** How the request authenticated, in words, and whose credential it was when known (the request log). */
    authOutcome?: { auth: string; clientId?: string; orgId?: string };
  }
  interface FastifyContextConfig {
    /** A POST that changes nothing in the directory (a search, a poll, a preview, a test): it signals no change. */
    changesNothing?: boolean;
  }
}


export const SCIM_BASE_PATHS = ['/api/v2/scim/v2', '/api/v2/scim'] as const;

export async function buildApp(services: Services, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logLevel === false ? false : {
      level: options.logLevel, ...(options.logStream ? { stream: options.logStream } : {}),
      // The console's setup link carries its one-time token in the query: never logged.
      serializers: { req: (req: { method: string; url: string; id: string }) => ({ method: req.method, url: redactUrl(req.url), id: req.id }) },
    },
    bodyLimit: options.bodyLimitBytes,
    ...(options.trustProxy !== undefined ? { trustProxy: [...options.trustProxy] } : {}),
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 256 },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
    },
  });

  // Every route, as registered: the authorization walk tests (and the API description) read it.
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
  });
  app.decorate('routeTable', routes);

  // JSON bodies (SCIM and plain): an empty body is no body (SDKs send Content-Type on a
  // bodiless DELETE); a parsed body passes the hostile-input limits before anything sees it.
  const secureJson = app.getDefaultJsonParser('error', 'error');
  const json: ContentTypeParserFunction = (request, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) return done(null, undefined);
    secureJson(request, String(body), (err, parsed) => {
      if (err) return done(err, undefined);
      try {
        checkJsonBody(parsed);
        done(null, parsed);
      } catch (e) {
        done(e as Error, undefined);
      }
    });
  };
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', 'application/scim+json'], { parseAs: 'string' }, json);
  // Form bodies: only the token endpoint and the console take them (form-body.ts).
  app.addHook('preValidation', async (request) => checkParameters(request.query, request.params));

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // The request log: every API request, accepted or not, with how it authenticated (set by the
  // authenticator and the token endpoint, which have read the client already).
  const requestLog = new RequestRecorder(services.store, { onError: (err) => app.log.error({ err }, 'could not record requests') });
  app.decorate('requestLog', requestLog);
  app.addHook('onClose', () => requestLog.flush());
  // A callback hook, not an async one, and no formatting here: this runs for every request
  // (docs/benchmarks.md, "The request log's cost on reads").
  if (options.requestLog ?? true) {
    app.addHook('onResponse', (request, reply, done) => {
      const url = request.url;
      if (url.startsWith('/api/') || url.startsWith('/oauth/')) { // the APIs, not the console's pages or probes
        const who = request.authOutcome;
        requestLog.record({
          orgId: who?.orgId || undefined, clientId: who?.orgId ? who.clientId : undefined, requestId: request.id,
          method: request.method, url, status: reply.statusCode, durationMs: reply.elapsedTime, auth: who?.auth ?? 'none',
          detail: reply.statusCode >= 400 ? request.refusal?.detail : undefined, at: Date.now(),
        });
      }
      done();
    });
  }
  // An accepted write tells the live views of its organization (change-signal.ts); a read sent
  // as a POST (route config `changesNothing`) and a validate-only write tell nobody, or every
  // waiter of the organization would wake for nothing (two SET receivers long-polling would wake
  // each other without end).
  app.addHook('onResponse', (request, reply, done) => {
    const changed = request.method !== 'GET' && request.method !== 'HEAD' && reply.statusCode < 400
      && !request.routeOptions.config.changesNothing && reply.getHeader('preference-applied') !== 'validate-only';
    if (changed) {
      const orgId = request.caller?.orgId ?? request.consoleCaller?.org.id;
      if (orgId) services.changes.notify(orgId);
    }
    done();
  });
  const refusals = new RefusalRecorder(services.store, { onError: (err) => app.log.error({ err }, 'could not record refused requests') });
  app.decorate('refusals', refusals);
  app.addHook('onClose', () => refusals.flush());
  // Every refused request says who, where and why in one line (never a secret: the detail is
  // the error's own message, which quotes no credential, and no header or body is logged).
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode < 400) return;
    const caller = request.scimContext ?? request.adminContext;
    const refusal = request.refusal;
    const line = {
      clientId: caller?.principal.clientId ?? request.caller?.clientId ?? request.oauthClientId,
      orgId: caller?.org.id ?? request.caller?.orgId,
      route: request.routeOptions.url ?? null,
      method: request.method,
      status: reply.statusCode,
      ...(refusal?.scimType ? { scimType: refusal.scimType } : {}),
      ...(refusal?.error ? { error: refusal.error } : {}),
      detail: refusal?.detail,
    };
    if (reply.statusCode >= 500) request.log.error(line, 'request failed');
    else request.log.info(line, 'request refused');
    // The organization's own record of it (the activity feed), when the caller is known.
    const who = request.caller;
    if (who && refusal) {
      refusals.record({
        orgId: who.orgId, clientId: who.clientId, requestId: request.id, method: request.method, path: redactUrl(request.url).slice(0, 1000), status: reply.statusCode,
        ...(refusal.scimType ? { scimType: refusal.scimType } : {}), detail: refusal.detail.slice(0, 1000), body: redactedExcerpt(request.body),
        ...(isValidateOnlyWrite(request.method, request.headers.prefer) ? { validateOnly: true } : {}),
      });
    }
  });
  // Each surface's plugin sets its own error and not-found handlers; these are for the rest.
  app.setErrorHandler(scimErrorHandler);
  app.setNotFoundHandler(notFound(scimErrorHandler));

  // The API description, generated from the route schemas (every route declares one).
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Scimitar', version: options.version ?? '0.0.0', description: 'SCIM 2.0 (RFC 7643/7644) with Genesys Cloud semantics, the administration API and the token endpoint.' },
      servers: [{ url: options.publicUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An access token from POST /oauth/token' } } },
    },
  });
  app.get('/openapi.json', withSchema(openApiSchema), async () => app.swagger());

  app.get('/healthz', withSchema(healthSchema), async () => ({ status: 'ok' }));
  app.get('/readyz', withSchema(readySchema), async (_req, reply) => {
    try {
      await services.store.ping();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });

  const metrics = createMetrics(app, services.store);
  app.decorate('metrics', metrics);

  await app.register(async (oauth) => {
    oauth.setErrorHandler(oauthErrorHandler);
    oauth.setNotFoundHandler(notFound(oauthErrorHandler));
    acceptForms(oauth, false);
    oauthRoutes(oauth, services.tokens, metrics);
  }, { prefix: '/oauth' });
  // One limiter for both base paths: a client's budget is shared between them.
  const limit = await clientRateLimit(app, { perMinute: options.rateLimitPerMinute ?? 0, redisUrl: options.redisUrl, namespace: options.rateLimitNamespace, onBreakerOpen: () => metrics.redisBreakerOpened() });
  const authenticate = createAuthenticator(services, limit, metrics);
  for (const prefix of SCIM_BASE_PATHS) {
    app.register(async (scoped) => scimRoutes(scoped, { services, scimBaseUrl: `${options.publicUrl}${SCIM_BASE_PATHS[0]}`, maxResults: 1000, bodyLimitBytes: options.bodyLimitBytes, authenticate }), { prefix });
  }
  const consoleAuth = new ConsoleAuth(services, { now: options.consoleNow, loginThrottle: options.consoleLoginThrottle });
  adminRoutes(app, { services, authenticate, publicUrl: options.publicUrl, consoleAuth });
  app.decorate('consoleAuth', consoleAuth);
  await consoleRoutes(app, { services, auth: consoleAuth, publicUrl: options.publicUrl, liveIntervalMs: options.consoleLiveIntervalMs, now: options.consoleNow, streamLimits: options.consoleStreamLimits });
  await app.ready();
  return app;
}
