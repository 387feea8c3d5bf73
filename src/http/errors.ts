// How errors become HTTP responses, one handler per surface, each set by the surface's own
// plugin: SCIM error messages (RFC 7644 3.12), the administration API's Genesys-shaped
// bodies, RFC 6749 error bodies on the token endpoint. Anything unknown is a 500 that reveals
// nothing (and is logged with its stack).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../auth/oauth-error.ts';
import { ScimError, scimErrors } from '../scim/index.ts';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

const ADMIN_CODES: Record<number, string> = {
  400: 'bad.request', 401: 'authentication.required', 403: 'missing.permissions', 404: 'not.found', 405: 'method.not.allowed',
  409: 'conflict', 413: 'request.entity.too.large', 415: 'unsupported.media.type', 429: 'too.many.requests', 500: 'internal.server.error', 503: 'service.unavailable',
};

/** The administration API answers in the Genesys Platform API error shape. */
function sendAdminError(reply: FastifyReply, request: FastifyRequest, e: ScimError): FastifyReply {
  for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  return reply.code(e.status).send({ message: e.message, code: ADMIN_CODES[e.status] ?? 'bad.request', status: e.status, contextId: request.id });
}

/** Fastify's own failures (body parsing, limits, media types) in SCIM terms. */
function fromFastify(e: FastifyError): ScimError | undefined {
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return scimErrors.payloadTooLarge('The request body is larger than this server accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return scimErrors.unsupportedMediaType('Send the body as application/scim+json or application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return scimErrors.invalidSyntax('The request body is empty');
    case 'FST_ERR_VALIDATION':
      // A route schema refused a parameter or an admin body (SCIM bodies are the core's to check).
      return scimErrors.invalidValue(e.message);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return scimErrors.badRequest('Content-Length does not match the body');
    default:
      // V8 quotes a piece of the body in its message: dropped, so that a broken body's
      // secrets reach neither the log nor the response.
      if (e instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return scimErrors.invalidSyntax(`The request body is not valid JSON: ${e.message.replace(/, ".*" is not valid JSON$/s, '')}`);
      if (e.statusCode === 413) return scimErrors.payloadTooLarge('The request body is too large');
      if (e.statusCode === 415) return scimErrors.unsupportedMediaType(e.message);
      if (e.statusCode === 400) return scimErrors.badRequest(e.message);
      return undefined;
  }
}

export function sendScimError(reply: FastifyReply, e: ScimError): FastifyReply {
  for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  return reply.code(e.status).type(SCIM_CONTENT_TYPE).send(e.toJSON());
}

/**
 * The error as a SCIM error (Fastify's own failures translated), recorded as the request's
 * refusal; an unknown error is logged with its stack and becomes a 500 that reveals nothing.
 */
function refusalOf(error: unknown, request: FastifyRequest): ScimError {
  const scim = error instanceof ScimError ? error : fromFastify(error as FastifyError);
  if (scim) {
    request.refusal = { ...(scim.scimType ? { scimType: scim.scimType } : {}), detail: scim.message };
    return scim;
  }
  request.log.error({ err: error }, 'unhandled error');
  request.refusal = { detail: 'unhandled error (see the log line before this one)' };
  return scimErrors.internal();
}

/** The SCIM API's errors (RFC 7644 3.12); also the default for routes of no surface (probes, unknown paths). */
export function scimErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendScimError(reply, refusalOf(error, request));
}

/** The administration API's errors, in the Genesys Platform API shape. */
export function adminErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendAdminError(reply, request, refusalOf(error, request));
}

/** The token endpoint's errors (RFC 6749 5.2), never cached. */
export function oauthErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('cache-control', 'no-store');
  if (error instanceof OAuthError) {
    if (error.status === 401) reply.header('www-authenticate', 'Basic realm="scimitar"');
    for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
    const reason = (error as { reason?: string }).reason;
    if (reason) request.log.warn({ clientId: request.oauthClientId, address: request.ip, reason }, 'client authentication failed');
    request.refusal = { error: error.error, detail: reason ? `${error.message} (${reason})` : error.message };
    return reply.code(error.status).send(error.toJSON());
  }
  const scim = refusalOf(error, request);
  if (scim.status >= 500) return reply.code(500).send({ error: 'server_error', error_description: 'Internal server error' });
  // A malformed or unacceptable token request (or a path with no endpoint) is invalid_request.
  return reply.code(scim.status === 415 ? 400 : scim.status).send({ error: 'invalid_request', error_description: scim.message });
}

/** A not-found handler answering in `handler`'s format. */
export const notFound = (handler: (error: unknown, request: FastifyRequest, reply: FastifyReply) => FastifyReply) => (request: FastifyRequest, reply: FastifyReply) =>
  handler(scimErrors.notFound(`No such endpoint: ${request.method} ${request.url.split('?')[0]}`), request, reply);
