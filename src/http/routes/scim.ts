// The SCIM API (RFC 7644) under a base path. Routes are thin: authenticate, build the call
// context, call the directory service, render. Paths are case-insensitive (app option).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { etagMatches, type CallContext } from '../../directory/context.ts';
import {
  DEFAULT_LIST_LIMITS, parseBulkRequest, parseProjection, parseSearchRequest, resourceTypeDocument, schemaDocument, scimErrors, serviceProviderConfigDocument, listResponse,
  type JsonObject, type RawListParams,
} from '../../scim/index.ts';
import type { Services } from '../../services.ts';
import { notFound, SCIM_CONTENT_TYPE, scimErrorHandler } from '../errors.ts';
import type { Authenticator } from '../auth.ts';
import { searchAll } from '../../directory/search.ts';
import { CURSOR_TIMEOUT_SECONDS } from '../../directory/cursor.ts';
import { BULK_MAX_OPERATIONS } from '../../directory/bulk.ts';
import { prefersValidateOnly } from '../../directory/validate-only.ts';
import { scimSchemas as S } from '../schemas/scim.ts';
import { withSchema as w, type RouteSchema, type SchemaTypes } from '../schemas/common.ts';
import { openSerializerCompiler } from '../schemas/open-serializer.ts';

export interface ScimRouteOptions {
  readonly services: Services;
  /** Absolute base URL of the SCIM API as clients see it. */
  readonly scimBaseUrl: string;
  readonly maxResults: number;
  readonly bodyLimitBytes: number;
  readonly authenticate: Authenticator;
}

declare module 'fastify' {
  interface FastifyRequest {
    scimContext?: CallContext;
  }
  interface FastifyContextConfig {
    /** The route may run with `Prefer: validate-only` (RFC 7240): checked in full, then rolled back. */
    validateOnly?: boolean;
  }
}

/** How many requests a Bulk counts as against the rate limit: one per operation. */
function bulkWeight(request: FastifyRequest): number {
  const body = request.body;
  const ops = typeof body === 'object' && body !== null ? ('Operations' in body ? body.Operations : 'operations' in body ? body.operations : undefined) : undefined;
  return Array.isArray(ops) ? Math.max(1, ops.length) : 1;
}

const LIST_PARAMS = ['filter', 'startIndex', 'count', 'sortBy', 'sortOrder', 'attributes', 'excludedAttributes', 'cursor'] as const;

/** Query parameters by their RFC names, matched case-insensitively; a repeated one is refused. */
function listParams(query: unknown): RawListParams {
  const out: Record<string, string> = {};
  if (typeof query !== 'object' || query === null) return out;
  for (const [k, v] of Object.entries(query)) {
    const name = LIST_PARAMS.find((p) => p.toLowerCase() === k.toLowerCase());
    if (!name) continue;
    if (typeof v !== 'string') throw scimErrors.invalidValue(`Query parameter "${name}" may appear once`);
    out[name] = v;
  }
  return out;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function send(reply: FastifyReply, status: number, body: unknown, version?: number): FastifyReply {
  if (version !== undefined) reply.header('etag', `"${version}"`);
  return reply.code(status).type(SCIM_CONTENT_TYPE).send(body);
}

/** 201 with Location and ETag (RFC 7644 3.3). */
function sendCreated(reply: FastifyReply, r: { resource: JsonObject; version: number }): FastifyReply {
  reply.header('location', (r.resource.meta as JsonObject).location as string);
  return send(reply, 201, r.resource, r.version);
}

export function scimRoutes(app: FastifyInstance, options: ScimRouteOptions): void {
  const { services, scimBaseUrl } = options;
  // Resources are open objects (the registry shapes them): JSON.stringify, envelopes as declared.
  app.setSerializerCompiler(openSerializerCompiler);
  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { principal, org } = await options.authenticate(request, reply);
    request.scimContext = { principal, org, registry: services.registries[org.scimProfile], scimBaseUrl, requestId: request.id };
  }

  const ctx = (request: FastifyRequest) => request.scimContext!;

  interface Readable {
    version(c: CallContext, id: string): Promise<number>;
    get(c: CallContext, id: string, p: ReturnType<typeof parseProjection>): Promise<{ resource: JsonObject; version: number }>;
  }

  /** GET by id: 304 when If-None-Match names the current version, else the projected resource. */
  async function getOne(req: FastifyRequest, reply: FastifyReply, id: string, type: 'User' | 'Group', service: Readable): Promise<FastifyReply> {
    const c = ctx(req);
    const ifNoneMatch = header(req, 'if-none-match');
    if (ifNoneMatch !== undefined) {
      const version = await service.version(c, id);
      if (etagMatches(ifNoneMatch, version)) return reply.code(304).header('etag', `"${version}"`).send();
    }
    const p = listParams(req.query);
    const r = await service.get(c, id, parseProjection(c.registry, c.registry.resourceType(type)!, p.attributes, p.excludedAttributes));
    return send(reply, 200, r.resource, r.version);
  }

  /** The user and group services for this request: validate-only ones when the client prefers it. */
  const svc = (req: FastifyRequest, reply: FastifyReply) => {
    if (!prefersValidateOnly(req.headers.prefer)) return services;
    reply.header('preference-applied', 'validate-only');
    return services.validating;
  };
  /** Attributes a write left out because no schema defines them (standard profile): in this request's log line. */
  const noteIgnored = <T extends { ignored?: readonly string[] }>(req: FastifyRequest, r: T): T => {
    if (r.ignored) req.log.info({ ignoredAttributes: r.ignored }, 'attributes not in the schema were ignored');
    return r;
  };
  /** 201 with Location; a validated create has nothing to locate. */
  const answerCreate = (req: FastifyRequest, reply: FastifyReply, r: { resource: JsonObject; version: number; ignored?: readonly string[] }) =>
    prefersValidateOnly(req.headers.prefer) ? send(reply, 201, noteIgnored(req, r).resource, r.version) : sendCreated(reply, noteIgnored(req, r));
  /** The writes that can be checked without being made (route config `validateOnly`); any other write is refused rather than made. */
  const validatable = <const Sc extends RouteSchema>(schema: Sc) => ({ ...w(schema), config: { validateOnly: true } });
  /** A search is a read sent as a POST: nothing to validate, so the preference changes nothing. */
  const search = <const Sc extends RouteSchema>(schema: Sc) => ({ ...w(schema), config: { validateOnly: true, changesNothing: true } });

  app.register(async (plugin) => {
    const scim = plugin.withTypeProvider<SchemaTypes>();
    scim.setErrorHandler(scimErrorHandler);
    scim.setNotFoundHandler(notFound(scimErrorHandler));
    scim.addHook('preHandler', authenticate);
    scim.addHook('preHandler', async (req) => {
      if (req.method === 'GET' || !prefersValidateOnly(req.headers.prefer) || req.routeOptions.config.validateOnly) return;
      throw scimErrors.notImplemented(`validate-only is not supported for ${req.method} ${(req.routeOptions.url ?? '').slice(scim.prefix.length)}: nothing was done (it is for writes to Users and Groups)`);
    });

    // ---- Queries at the root and by POST (RFC 7644 3.4.2.1, 3.4.3) ----
    scim.get('/', w(S.root), async (req, reply) => {
      const p = listParams(req.query);
      if (p.filter === undefined) throw scimErrors.notFound('The root of the SCIM API answers queries only: add a filter, or POST /.search');
      return send(reply, 200, await searchAll(ctx(req), services.users, services.groups, p));
    });
    scim.post('/.search', search(S.rootSearch), async (req, reply) => send(reply, 200, await searchAll(ctx(req), services.users, services.groups, parseSearchRequest(req.body))));
    scim.post('/Users/.search', search(S.users.search), async (req, reply) => send(reply, 200, await services.users.list(ctx(req), parseSearchRequest(req.body))));
    scim.post('/Groups/.search', search(S.groups.search), async (req, reply) => send(reply, 200, await services.groups.list(ctx(req), parseSearchRequest(req.body))));

    // ---- Bulk (RFC 7644 3.7): per-operation results, each as its single request ----
    // Each operation counts against the client's rate limit (config.rateWeight).
    scim.post('/Bulk', { ...w(S.bulk), config: { rateWeight: bulkWeight } }, async (req, reply) => {
      const request = parseBulkRequest(req.body, BULK_MAX_OPERATIONS);
      return send(reply, 200, await services.bulk.run(ctx(req), request, (err, index) => req.log.error({ err, operation: index }, 'bulk operation failed unexpectedly')));
    });

    // ---- /Me (RFC 7644 3.11): callers are OAuth clients, never users ----
    const noMe = async () => {
      throw scimErrors.notImplemented('/Me is not available: the caller is an OAuth client (client-credentials grant), not a user (RFC 7644 3.11)');
    };
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) scim.route({ method, url: '/Me', ...w(S.me), handler: noMe });

    // ---- Users and Groups: the routes they share ----
    for (const [path, kind, type] of [['/Users', 'users', 'User'], ['/Groups', 'groups', 'Group']] as const) {
      scim.get(path, w(S[kind].list), async (req, reply) => send(reply, 200, await services[kind].list(ctx(req), listParams(req.query))));
      scim.post(path, validatable(S[kind].create), async (req, reply) => answerCreate(req, reply, await svc(req, reply)[kind].create(ctx(req), req.body)));
      scim.get(`${path}/:id`, w(S[kind].get), async (req, reply) => getOne(req, reply, req.params.id, type, services[kind]));
      scim.put(`${path}/:id`, validatable(S[kind].replace), async (req, reply) => {
        const r = noteIgnored(req, await svc(req, reply)[kind].replace(ctx(req), req.params.id, req.body, header(req, 'if-match')));
        return send(reply, 200, r.resource, r.version);
      });
      scim.delete(`${path}/:id`, validatable(S[kind].delete), async (req, reply) => {
        await svc(req, reply)[kind].delete(ctx(req), req.params.id, header(req, 'if-match'));
        return reply.code(204).send();
      });
    }
    scim.patch('/Users/:id', validatable(S.users.patch), async (req, reply) => {
      const r = await svc(req, reply).users.patch(ctx(req), req.params.id, req.body, header(req, 'if-match'));
      return send(reply, 200, r.resource, r.version);
    });
    scim.patch('/Groups/:id', validatable(S.groups.patch), async (req, reply) => {
      const c = ctx(req);
      const p = listParams(req.query);
      // Entra prefers 204 for group PATCH; the group comes back only when asked for.
      const wantsBody = p.attributes !== undefined || p.excludedAttributes !== undefined;
      const projection = wantsBody ? parseProjection(c.registry, c.registry.resourceType('Group')!, p.attributes, p.excludedAttributes) : undefined;
      const r = await svc(req, reply).groups.patch(c, req.params.id, req.body, header(req, 'if-match'), projection);
      if (!wantsBody) return reply.code(204).header('etag', `"${r.version}"`).send();
      return send(reply, 200, r.resource, r.version);
    });

    // ---- Discovery (RFC 7644 section 4) ----
    scim.get('/ServiceProviderConfig', w(S.serviceProviderConfig), async (req, reply) => {
      const c = ctx(req);
      const profileNote = c.registry.note;
      return send(reply, 200, serviceProviderConfigDocument(c.registry, scimBaseUrl, { maxOperations: BULK_MAX_OPERATIONS, maxPayloadSize: options.bodyLimitBytes, maxResults: options.maxResults, profileNote, cursorTimeout: CURSOR_TIMEOUT_SECONDS, defaultPageSize: DEFAULT_LIST_LIMITS.defaultCount }));
    });
    const refuseFilter = (req: FastifyRequest) => {
      // Genesys: "filtered results are invalid and return 403".
      if (listParams(req.query).filter !== undefined) throw scimErrors.forbidden('Filtering is not supported on this endpoint');
    };
    // Resource types and schemas (RFC 7644 4): a list, and one by id.
    const documents = {
      ResourceTypes: {
        list: S.resourceTypes, one: S.resourceType, noun: 'Resource type',
        all: (c: CallContext) => c.registry.resourceTypes.map((rt) => resourceTypeDocument(rt, scimBaseUrl)),
        // By name or endpoint, in any case (the registry's lookup).
        byId: (c: CallContext, id: string) => { const rt = c.registry.resourceType(id); return rt && resourceTypeDocument(rt, scimBaseUrl); },
      },
      Schemas: {
        list: S.schemas, one: S.schema, noun: 'Schema',
        all: (c: CallContext) => c.registry.schemas.map((sc) => schemaDocument(sc, scimBaseUrl)),
        byId: (c: CallContext, id: string) => { const sc = c.registry.schema(id); return sc && schemaDocument(sc, scimBaseUrl); },
      },
    } as const;
    for (const [path, d] of Object.entries(documents)) {
      scim.get(`/${path}`, w(d.list), async (req, reply) => {
        refuseFilter(req);
        const docs = d.all(ctx(req));
        return send(reply, 200, listResponse(docs, docs.length, 1));
      });
      scim.get(`/${path}/:id`, w(d.one), async (req, reply) => {
        const doc = d.byId(ctx(req), req.params.id);
        if (!doc) throw scimErrors.notFound(`${d.noun} ${req.params.id} not found`);
        return send(reply, 200, doc);
      });
    }
  });
}
