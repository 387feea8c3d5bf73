// Bearer authentication shared by the SCIM and administration routes: token -> principal ->
// organization, then the per-client rate limit.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/permissions.ts';
import type { ClientRateLimit } from './rate-limit.ts';
import { scimErrors } from '../scim/index.ts';
import type { Organization } from '../store/contract.ts';
import type { Services } from '../services.ts';
import type { Metrics } from './metrics.ts';

export interface Caller {
  readonly principal: Principal;
  readonly org: Organization;
}

export type Authenticator = (request: FastifyRequest, reply: FastifyReply) => Promise<Caller>;

const ORG_CACHE_MS = 5000;

export function createAuthenticator(services: Services, rateLimit: ClientRateLimit | undefined, metrics?: Metrics): Authenticator {
  const orgCache = new Map<string, { org: Organization; at: number }>();

  async function organization(id: string): Promise<Organization> {
    const hit = orgCache.get(id);
    if (hit && Date.now() - hit.at < ORG_CACHE_MS) return hit.org;
    const org = await services.store.getOrganization(id);
    if (!org) throw scimErrors.unauthorized('The token belongs to no organization');
    orgCache.set(id, { org, at: Date.now() });
    return org;
  }

  return async (request, reply) => {
    const raw = request.headers.authorization;
    const auth = Array.isArray(raw) ? raw[0] : raw;
    const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
    const principal = m ? await services.tokens.authenticate(m[1]) : undefined;
    if (!principal) {
      // RFC 6750 3.1: no error code when no credentials came; invalid_token for a bad one.
      if (!m) {
        request.authOutcome = { auth: auth ? 'not a bearer token' : 'no token' };
        reply.header('www-authenticate', 'Bearer realm="scimitar"');
        throw scimErrors.unauthorized(auth ? 'Authorization must be "Bearer <access token>"' : 'An access token is required (Authorization: Bearer ...)');
      }
      const { why, owner } = await services.tokens.refusal(m[1]);
      // The request log names whose token it was when the store knows (an expired one).
      request.authOutcome = owner ? { auth: why === 'The access token has expired' ? 'expired token' : 'token of a disabled client', ...owner } : { auth: 'unknown or revoked token' };
      reply.header('www-authenticate', `Bearer realm="scimitar", error="invalid_token", error_description="${why}"`);
      throw scimErrors.unauthorized(why);
    }
    // Known from here on, so that a refusal (the rate limit's too) is recorded for the organization.
    request.caller = { clientId: principal.clientId, orgId: principal.orgId };
    request.authOutcome = { auth: 'bearer token', clientId: principal.clientId, orgId: principal.orgId };
    if (rateLimit) {
      const d = await rateLimit(request, principal.clientId, request.routeOptions.config.rateWeight?.(request) ?? 1);
      if (!d.allowed) metrics?.rateLimited();
      if (!d.allowed) throw scimErrors.tooManyRequests(`Rate limit exceeded for this client; retry after ${d.retryAfterSeconds} s`, d.retryAfterSeconds);
    }
    return { principal, org: await organization(principal.orgId) };
  };
}
