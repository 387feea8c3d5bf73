// The per-client request limit (Genesys limits each OAuth client per minute), on
// @fastify/rate-limit: a fixed one-minute window per client id. With `redisUrl` the counters
// live in Redis, so the limit holds across every node that shares it; without, each node
// counts for itself (one node: exact; N nodes: up to N times the limit).
//
// Redis is an accelerator, not a dependency: when it is unreachable or slow (commands time out
// after 500 ms and are not queued while it reconnects) requests are let through and the
// failure is logged, because refusing every provisioning call while Redis restarts would be
// an outage of its own. A Redis that hangs (up, but not answering) would make every request
// wait its 500 ms: a circuit breaker stops asking it for BREAKER_MS after a command that
// failed or took nearly the timeout, with one log line and a metric, then asks again.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';

export interface RateLimitOptions {
  /** Requests per minute per client; 0 = unlimited. */
  readonly perMinute: number;
  readonly redisUrl?: string;
  /** Prefix of the Redis keys (tests use one each). */
  readonly namespace?: string;
  /** Called when the breaker opens (the metric). */
  readonly onBreakerOpen?: () => void;
}

/** Redis commands time out after this long. */
const COMMAND_TIMEOUT_MS = 500;
/** How long the rate limit stops asking Redis after a command that failed or nearly timed out. */
export const BREAKER_MS = 30_000;

export interface RateDecision {
  readonly allowed: boolean;
  readonly retryAfterSeconds: number;
  readonly remaining: number;
}

/** `weight`: how many requests this one counts as (a Bulk counts each of its operations). */
export type ClientRateLimit = (request: FastifyRequest, clientId: string, weight?: number) => Promise<RateDecision>;

declare module 'fastify' {
  interface FastifyRequest {
    rateLimitKey?: string;
  }
  interface FastifyContextConfig {
    /** How many requests a request of this route counts as against the client's limit (default 1). */
    rateWeight?: (request: FastifyRequest) => number;
  }
}

/** Counters taken at once for a weighted request (one Redis round trip each, sent together). */
const WEIGHT_BATCH = 64;

/** Registers the limiter on `app` and returns the check the authenticator calls; undefined when unlimited. */
export async function clientRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<ClientRateLimit | undefined> {
  if (options.perMinute <= 0) return undefined;
  const redis = options.redisUrl
    ? new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: COMMAND_TIMEOUT_MS, connectTimeout: 2000, lazyConnect: false })
    : undefined;
  if (redis) {
    let reported = false;
    redis.on('error', (err: Error) => {
      // One line per outage, not one per reconnection attempt.
      if (!reported) app.log.warn({ err: err.message }, 'rate-limit store (Redis) unreachable: requests are not limited until it is back');
      reported = true;
    });
    redis.on('ready', () => {
      if (reported) app.log.info('rate-limit store (Redis) is back');
      reported = false;
    });
    app.addHook('onClose', async () => {
      redis.disconnect();
    });
    // Commands are not queued while connecting, so wait (briefly) for the first connection:
    // otherwise the first requests after start would all go unlimited.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  await app.register(rateLimit, {
    global: false,
    max: options.perMinute,
    timeWindow: 60_000,
    skipOnError: true,
    keyGenerator: (request) => request.rateLimitKey ?? request.ip,
    nameSpace: options.namespace ?? 'scimitar-rate:',
    ...(redis ? { redis } : {}),
  });
  const check = app.createRateLimit();
  const decide = (r: Awaited<ReturnType<typeof check>>): RateDecision =>
    r.isAllowed ? { allowed: true, retryAfterSeconds: 0, remaining: Number.MAX_SAFE_INTEGER }
      : { allowed: !r.isExceeded, retryAfterSeconds: Math.max(1, r.ttlInSeconds), remaining: r.remaining };
  const ALLOW: RateDecision = { allowed: true, retryAfterSeconds: 0, remaining: Number.MAX_SAFE_INTEGER };
  let openUntil = 0;
  /** One check; a Redis that failed or nearly timed out opens the breaker (fail open meanwhile). */
  const guarded = async (request: FastifyRequest): Promise<RateDecision> => {
    if (!redis) return decide(await check(request));
    if (Date.now() < openUntil) return ALLOW;
    const started = Date.now();
    const decision = decide(await check(request));
    if (redis.status !== 'ready' || Date.now() - started >= COMMAND_TIMEOUT_MS * 0.8) {
      openUntil = Date.now() + BREAKER_MS;
      app.log.warn({ tookMs: Date.now() - started, status: redis.status }, `rate-limit store (Redis) is slow or failing: not asked for ${BREAKER_MS / 1000} s; requests are not limited meanwhile`);
      options.onBreakerOpen?.();
      return ALLOW;
    }
    return decision;
  };
  return async (request, clientId, weight = 1) => {
    request.rateLimitKey = clientId;
    let decision = await guarded(request);
    // The store counts one at a time: take the rest of the weight in batches, and stop at the
    // first refusal (so a Bulk far over the limit costs at most the limit plus one batch).
    for (let left = weight - 1; left > 0 && decision.allowed; left -= WEIGHT_BATCH) {
      const batch = await Promise.all(Array.from({ length: Math.min(left, WEIGHT_BATCH) }, () => guarded(request)));
      decision = batch.find((d) => !d.allowed) ?? decision;
    }
    return decision;
  };
}
