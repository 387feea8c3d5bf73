// Route schemas of the token endpoint (RFC 6749 4.4) and the public probes.
import { int, object, str, type RouteSchema } from './common.ts';

export const oauthError = object({ error: str('RFC 6749 5.2 error code'), error_description: str() }, ['error']);

export const tokenSchema = {
  summary: 'Client-credentials token (RFC 6749 4.4)',
  description: 'Authenticate with HTTP Basic (client_id:client_secret), with client_id and client_secret form fields, or with a JWT (client_assertion_type urn:ietf:params:oauth:client-assertion-type:jwt-bearer and client_assertion, RFC 7523) from a federated issuer: one of them.',
  tags: ['OAuth'],
  consumes: ['application/x-www-form-urlencoded'],
  body: object({ grant_type: str('client_credentials'), client_id: str(), client_secret: str(), client_assertion_type: str(), client_assertion: str('A JWT signed by the federated issuer'), scope: str() }, [], true),
  response: {
    200: object({ access_token: str(), token_type: str('Bearer'), expires_in: int('Seconds') }, ['access_token', 'token_type', 'expires_in']),
    '4xx': oauthError,
    '5xx': oauthError,
  },
} satisfies RouteSchema;

export const healthSchema = { summary: 'Liveness: the process answers', tags: ['Operations'], response: { 200: object({ status: str() }, ['status']) } } satisfies RouteSchema;
export const readySchema = { summary: 'Readiness: the store answers', tags: ['Operations'], response: { 200: object({ status: str() }, ['status']), 503: object({ status: str() }, ['status']) } } satisfies RouteSchema;
export const openApiSchema = { summary: 'This API description (OpenAPI 3.1)', tags: ['Operations'], response: { 200: { type: 'object', additionalProperties: true } } } satisfies RouteSchema;
