// The per-client request limit (Genesys limits each OAuth client per minute), on
// @fastify/rate-limit: a fixed one-minute window per client id. With `redisUrl` the counters
// live in Redis, so the limit holds across every node that shares it; without, each node
// counts for itself (one node: exact; N nodes: up to N times the limit).
//
// Redis is an accelerator, not a dependency: when it is unreachable or slow (commands time out
// after 500 ms and are not queued while it reconnects) requests are let through and the
// failure is logged, because refusing every provisioning call while Redis restarts would be
// an outage of its own.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';

export interface RateLimitOptions {
  /** Requests per minute per client; 0 = unlimited. */
  readonly perMinute: number;
  readonly redisUrl?: string;
  /** Prefix of the Redis keys (tests use one each). */
  readonly namespace?: string;
}

export interface RateDecision {
  readonly allowed: boolean;
  readonly retryAfterSeconds: number;
  readonly remaining: number;
}

export type ClientRateLimit = (request: FastifyRequest, clientId: string) => Promise<RateDecision>;

declare module 'fastify' {
  interface FastifyRequest {
    rateLimitKey?: string;
  }
}

/** Registers the limiter on `app` and returns the check the authenticator calls; undefined when unlimited. */
export async function clientRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<ClientRateLimit | undefined> {
  if (options.perMinute <= 0) return undefined;
  const redis = options.redisUrl
    ? new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500, connectTimeout: 2000, lazyConnect: false })
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
  return async (request, clientId) => {
    request.rateLimitKey = clientId;
    const r = await check(request);
    if (r.isAllowed) return { allowed: true, retryAfterSeconds: 0, remaining: Number.MAX_SAFE_INTEGER };
    return { allowed: !r.isExceeded, retryAfterSeconds: Math.max(1, r.ttlInSeconds), remaining: r.remaining };
  };
}
