// POST /oauth/token: the client-credentials grant (RFC 6749 4.4). Client authentication by
// HTTP Basic (RFC 6749 2.3.1), by client_id/client_secret form fields, or by a JWT
// (client_assertion, RFC 7523 2.2: workload identity federation), one of them.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { OAuthError, oauthErrors } from '../../auth/oauth-error.ts';
import type { Metrics } from '../metrics.ts';
import type { ClientRef, TokenService } from '../../auth/token-service.ts';
import { tokenSchema } from '../schemas/oauth.ts';
import { JWT_BEARER_ASSERTION } from '../../auth/client-assertion.ts';
import type { FromSchema } from 'json-schema-to-ts';
import { withSchema, type SchemaTypes } from '../schemas/common.ts';

interface Credentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** The token request's parameters (typed from tokenSchema's body). */
type TokenForm = FromSchema<typeof tokenSchema.body>;

function formBody(request: FastifyRequest, body: TokenForm | undefined): TokenForm {
  if (body === undefined || body === null) return {};
  const type = (request.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded')) throw oauthErrors.invalidRequest('Send the parameters as application/x-www-form-urlencoded');
  return body;
}

function authenticateClient(request: FastifyRequest, form: TokenForm): Credentials {
  const header = request.headers.authorization;
  const fromForm = form.client_id !== undefined || form.client_secret !== undefined;
  if (header !== undefined) {
    if (fromForm) throw oauthErrors.invalidRequest('Use one client authentication method, not two');
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!m) throw oauthErrors.invalidClient('Authorization must be HTTP Basic client_id:client_secret');
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw oauthErrors.invalidClient('Malformed Basic credentials');
    // RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding.
    const dec = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        throw oauthErrors.invalidClient('Malformed Basic credentials');
      }
    };
    return { clientId: dec(decoded.slice(0, colon)), clientSecret: dec(decoded.slice(colon + 1)) };
  }
  if (typeof form.client_id === 'string' && typeof form.client_secret === 'string') return { clientId: form.client_id, clientSecret: form.client_secret };
  throw oauthErrors.invalidClient('Client authentication is required (HTTP Basic or client_id and client_secret)');
}

/**
 * A JWT that authenticates the client (RFC 7521 4.2 / RFC 7523 2.2), or undefined when the
 * request authenticates with a secret. One method per request (RFC 6749 2.3).
 */
function clientAssertion(request: FastifyRequest, form: TokenForm): string | undefined {
  const type = form.client_assertion_type;
  const assertion = form.client_assertion;
  if (type === undefined && assertion === undefined) return undefined;
  if (type !== JWT_BEARER_ASSERTION) throw oauthErrors.invalidRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
  if (typeof assertion !== 'string' || assertion === '') throw oauthErrors.invalidRequest('client_assertion is required with client_assertion_type');
  if (request.headers.authorization !== undefined || form.client_secret !== undefined) throw oauthErrors.invalidRequest('Use one client authentication method, not two');
  return assertion;
}

function checkGrantType(form: TokenForm): void {
  if (form.grant_type === undefined) throw oauthErrors.invalidRequest('grant_type is required');
  if (form.grant_type !== 'client_credentials') throw oauthErrors.unsupportedGrantType(`grant_type "${form.grant_type}" is not supported; use client_credentials`);
}

export function oauthRoutes(plain: FastifyInstance, tokens: TokenService, metrics: Metrics): void {
  const app = plain.withTypeProvider<SchemaTypes>();
  app.post('/token', withSchema(tokenSchema), async (request, reply) => {
    // How the request authenticated and, once the service knows it, as which client (the request log).
    let auth = 'no client credentials';
    const attribute = (client: ClientRef | undefined) => {
      request.authOutcome = client ? { auth, clientId: client.id, orgId: client.orgId } : { auth: request.oauthClientId ? `${auth} of an unknown client` : auth };
    };
    try {
      const form = formBody(request, request.body);
      checkGrantType(form);
      const assertion = clientAssertion(request, form);
      let issued;
      if (assertion) {
        auth = 'client assertion (JWT)';
        if (form.client_id !== undefined) request.oauthClientId = form.client_id;
        issued = await tokens.issueForAssertion(assertion, form.client_id, request.ip);
      } else {
        const credentials = authenticateClient(request, form);
        auth = 'client secret';
        request.oauthClientId = credentials.clientId;
        issued = await tokens.issue(credentials.clientId, credentials.clientSecret, request.ip);
      }
      attribute(issued.client);
      metrics.token('issued');
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(issued.token);
    } catch (e) {
      attribute((e as { client?: ClientRef }).client);
      metrics.token(e instanceof OAuthError && e.status === 429 ? 'throttled' : 'refused');
      throw e;
    }
  });
}
