// The administration API, shaped like the Genesys Cloud Platform API. Thin routes: each
// authenticates, builds the admin context and calls one service method.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import type { AdminContext } from '../../directory/admin/context.ts';
import type { NamedKind } from '../../store/contract.ts';
import type { Services } from '../../services.ts';
import type { Authenticator } from '../auth.ts';
import type { ActivityQuery } from '../../directory/activity.ts';
import type { ConsoleAuth } from '../../directory/console-users.ts';
import { scimErrors } from '../../scim/index.ts';
import { prefersValidateOnly } from '../../directory/validate-only.ts';
import { adminSchemas as S, type CrudSchemas } from '../schemas/admin.ts';
import { withSchema as w, type RouteSchema, type SchemaTypes } from '../schemas/common.ts';
import { adminErrorHandler, notFound } from '../errors.ts';
import { eventStreamer, wantsEventStream } from './event-stream.ts';

export interface AdminRouteOptions {
  readonly services: Services;
  readonly authenticate: Authenticator;
  readonly publicUrl: string;
  readonly consoleAuth: ConsoleAuth;
}

declare module 'fastify' {
  interface FastifyRequest {
    adminContext?: AdminContext;
  }
}

function activityQuery(q: FromSchema<typeof S.activity.querystring>): ActivityQuery {
  const given = (v: string | undefined) => (v === '' ? undefined : v);
  const time = (k: 'from' | 'to') => {
    const v = given(q[k]);
    if (v !== undefined && Number.isNaN(Date.parse(v))) throw scimErrors.badRequest(`${k} must be an ISO 8601 date-time`);
    return v === undefined ? undefined : new Date(v).toISOString();
  };
  return {
    limit: q.pageSize, cursor: given(q.cursor), actor: given(q.actor), resource: given(q.resource), kind: given(q.kind),
    outcome: q.outcome, from: time('from'), to: time('to'),
  };
}

interface CrudService {
  list(ctx: AdminContext, query: Record<string, unknown>): Promise<unknown>;
  create(ctx: AdminContext, body: unknown): Promise<{ selfUri: string }>;
  get(ctx: AdminContext, id: string): Promise<unknown>;
  update(ctx: AdminContext, id: string, body: unknown): Promise<unknown>;
  delete(ctx: AdminContext, id: string): Promise<void>;
}

export function adminRoutes(app: FastifyInstance, options: AdminRouteOptions): void {
  const { services: s } = options;
  app.register(async (plugin) => {
    // Handlers' params, querystring and body are typed from their route schemas.
    const admin = plugin.withTypeProvider<SchemaTypes>();
    admin.setErrorHandler(adminErrorHandler);
    admin.setNotFoundHandler(notFound(adminErrorHandler));
    admin.addHook('preHandler', async (request, reply) => {
      const { principal, org } = await options.authenticate(request, reply);
      // Only the SCIM API can validate without writing; here the write would be made.
      if (request.method !== 'GET' && prefersValidateOnly(request.headers.prefer)) throw scimErrors.notImplemented('validate-only is supported for SCIM writes to Users and Groups only: nothing was done');
      request.adminContext = { principal, org, requestId: request.id, publicUrl: options.publicUrl };
    });
    const ctx = (r: FastifyRequest) => r.adminContext!;
    const created = (reply: FastifyReply, entity: { selfUri: string }) => reply.code(201).header('location', `${options.publicUrl}${entity.selfUri}`).send(entity);
    const noContent = (reply: FastifyReply, _done: void) => reply.code(204).send();
    /** A POST that changes nothing in the directory: no change signal (app.ts). */
    const reads = <const Sc extends RouteSchema>(schema: Sc) => ({ ...w(schema), config: { changesNothing: true } });

    admin.get('/requests', w(S.requests), async (r) => {
      const { pageSize, ...filters } = r.query;
      const given = (v: string | undefined) => (v === '' ? undefined : v);
      return s.admin.requests.page(ctx(r), {
        limit: pageSize, cursor: given(filters.cursor), status: given(filters.status), client: given(filters.client), path: given(filters.path), from: given(filters.from), to: given(filters.to),
      });
    });
    const streamEvents = eventStreamer(admin, s);
    admin.get('/events', w(S.events), async (r, reply) => {
      const { after, limit } = r.query;
      if (wantsEventStream(r)) return streamEvents(r, reply, ctx(r), after);
      return s.admin.events.page(ctx(r), { after, limit });
    });
    admin.get('/webhooks', w(S.webhooks.list), async (r) => s.admin.webhooks.list(ctx(r)));
    admin.post('/webhooks', w(S.webhooks.create), async (r, reply) => created(reply, await s.admin.webhooks.create(ctx(r), r.body)));
    admin.get('/webhooks/:id', w(S.webhooks.get), async (r) => s.admin.webhooks.get(ctx(r), r.params.id));
    admin.patch('/webhooks/:id', w(S.webhooks.update), async (r) => s.admin.webhooks.update(ctx(r), r.params.id, r.body));
    admin.delete('/webhooks/:id', w(S.webhooks.delete), async (r, reply) => noContent(reply, await s.admin.webhooks.delete(ctx(r), r.params.id)));
    admin.post('/webhooks/:id/secret', w(S.webhooks.rotate), async (r) => s.admin.webhooks.rotateSecret(ctx(r), r.params.id));
    admin.post('/webhooks/:id/replay', w(S.webhooks.replay), async (r) => s.admin.webhooks.replay(ctx(r), r.params.id, r.body));
    admin.post('/webhooks/:id/retry', w(S.webhooks.retry), async (r) => s.admin.webhooks.retry(ctx(r), r.params.id));
    admin.post('/webhooks/:id/test', reads(S.webhooks.test), async (r) => {
      const a = await s.admin.webhooks.test(ctx(r), r.params.id, s.webhookSender);
      return { ...(a.status !== undefined ? { status: a.status } : {}), ...(a.error ? { error: a.error } : {}), latencyMs: Math.round(a.latencyMs) };
    });
    admin.post('/webhooks/:id/poll', reads(S.webhooks.poll), async (r, reply) => {
      // A long poll ends when its caller goes away (the response's close: the request's fires once its body is read).
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort());
      return s.admin.webhooks.poll(ctx(r), r.params.id, r.body, gone.signal);
    });
    admin.get('/webhooks/:id/deliveries', w(S.webhooks.deliveries), async (r) => s.admin.webhooks.deliveries(ctx(r), r.params.id, r.query));
    admin.get('/provisioning/jobs', w(S.jobs.list), async (r) => s.admin.jobs.list(ctx(r)));
    admin.post('/provisioning/jobs', w(S.jobs.create), async (r, reply) => created(reply, await s.admin.jobs.create(ctx(r), r.body)));
    admin.get('/provisioning/jobs/:id', w(S.jobs.get), async (r) => s.admin.jobs.get(ctx(r), r.params.id));
    admin.patch('/provisioning/jobs/:id', w(S.jobs.update), async (r) => s.admin.jobs.update(ctx(r), r.params.id, r.body));
    admin.delete('/provisioning/jobs/:id', w(S.jobs.delete), async (r, reply) => noContent(reply, await s.admin.jobs.delete(ctx(r), r.params.id)));
    for (const action of ['start', 'stop', 'restart'] as const) {
      admin.post(`/provisioning/jobs/:id/${action}`, w(S.jobs.action(action === 'restart' ? 'Forget the job\'s state and run a full cycle' : `${action[0].toUpperCase()}${action.slice(1)} the job`)), async (r) => s.admin.jobs.setRunning(ctx(r), r.params.id, action));
    }
    admin.get('/provisioning/jobs/:id/status', w(S.jobs.status), async (r) => s.admin.jobs.get(ctx(r), r.params.id));
    admin.post('/provisioning/jobs/:id/provision-on-demand', reads(S.jobs.onDemand), async (r) => s.admin.jobs.provisionOnDemand(ctx(r), r.params.id, r.body));
    admin.post('/provisioning/jobs/:id/preview', reads(S.jobs.preview), async (r) => s.admin.jobs.preview(ctx(r), r.params.id, r.body));
    admin.post('/provisioning/jobs/:id/test-connection', reads(S.jobs.test), async (r) => s.admin.jobs.testConnection(ctx(r), r.params.id));
    admin.get('/provisioning/jobs/:id/logs', w(S.jobs.logs), async (r) => s.admin.jobs.logs(ctx(r), r.params.id, r.query));
    admin.get('/requests/summary', w(S.requestSummary), async (r) => s.admin.requests.summary(ctx(r)));
    admin.get('/organizations/me', w(S.me), async (r) => ({ id: ctx(r).org.id, name: ctx(r).org.name, scimProfile: ctx(r).org.scimProfile }));

    /** The five routes of an entity kept in a list; each calls the service method of the same name. */
    const crud = (path: string, schemas: CrudSchemas, service: CrudService) => {
      admin.get(path, w(schemas.list), async (r) => service.list(ctx(r), r.query));
      admin.post(path, w(schemas.create), async (r, reply) => created(reply, await service.create(ctx(r), r.body)));
      admin.get(`${path}/:id`, w(schemas.get), async (r) => service.get(ctx(r), r.params.id));
      admin.put(`${path}/:id`, w(schemas.update), async (r) => service.update(ctx(r), r.params.id, r.body));
      admin.delete(`${path}/:id`, w(schemas.delete), async (r, reply) => noContent(reply, await service.delete(ctx(r), r.params.id)));
    };
    crud('/authorization/divisions', S.divisions, s.admin.divisions);
    crud('/groups', S.groups, s.admin.groups);
    admin.get('/groups/:id/members', w(S.groups.members), async (r) => s.admin.groups.members(ctx(r), r.params.id, r.query));
    admin.post('/groups/:id/members', w(S.groups.addMembers), async (r, reply) => noContent(reply, await s.admin.groups.addMembers(ctx(r), r.params.id, r.body)));
    admin.delete('/groups/:id/members', w(S.groups.removeMembers), async (r, reply) => noContent(reply, await s.admin.groups.removeMembers(ctx(r), r.params.id, r.query.ids)));
    crud('/authorization/roles', S.roles, s.admin.roles);
    crud('/oauth/clients', S.clients, s.admin.clients);
    admin.post('/oauth/clients/:id/secret', w(S.clients.rotate), async (r) => s.admin.clients.rotateSecret(ctx(r), r.params.id));
    admin.get('/oauth/clients/:id/tokens', w(S.clients.secretTokens), async (r) => s.admin.clients.secretTokens(ctx(r), r.params.id));
    admin.post('/oauth/clients/:id/tokens', w(S.clients.issueSecretToken), async (r, reply) => reply.code(201).send(await s.admin.clients.issueSecretToken(ctx(r), r.params.id, r.body)));
    admin.delete('/oauth/clients/:id/tokens/:tokenId', w(S.clients.revokeSecretToken), async (r, reply) =>
      noContent(reply, await s.admin.clients.revokeSecretToken(ctx(r), r.params.id, r.params.tokenId)));

    for (const [path, kind] of [['skills', 'skill'], ['languages', 'language']] as [string, NamedKind][]) {
      admin.get(`/routing/${path}`, w(S.routing(kind).list), async (r) => s.admin.routing.list(ctx(r), kind, r.query));
      admin.post(`/routing/${path}`, w(S.routing(kind).create), async (r, reply) => created(reply, await s.admin.routing.create(ctx(r), kind, r.body)));
      admin.delete(`/routing/${path}/:id`, w(S.routing(kind).delete), async (r, reply) => noContent(reply, await s.admin.routing.delete(ctx(r), kind, r.params.id)));
    }

    admin.get('/users', w(S.users.list), async (r) => s.admin.users.list(ctx(r), r.query));
    admin.get('/users/:id', w(S.users.get), async (r) => s.admin.users.get(ctx(r), r.params.id));
    admin.patch('/users/:id', w(S.users.setState), async (r) => s.admin.userActions.setState(ctx(r), r.params.id, r.body));
    admin.get('/users/:id/grants', w(S.users.grants), async (r) => {
      await s.admin.users.get(ctx(r), r.params.id);
      return { grants: await s.store.listUserGrants(ctx(r).org.id, r.params.id) };
    });
    admin.put('/users/:id/grants', w(S.users.setGrants), async (r) => {
      await options.consoleAuth.setGrants(ctx(r), r.params.id, r.body.grants);
      return { grants: await s.store.listUserGrants(ctx(r).org.id, r.params.id) };
    });
    admin.delete('/users/:id', w(S.users.delete), async (r, reply) => noContent(reply, await s.admin.userActions.delete(ctx(r), r.params.id)));
    admin.get('/activity', w(S.activity), async (r) => s.admin.activity.page(ctx(r), activityQuery(r.query)));
    admin.get('/audits', w(S.audits), async (r) => s.admin.audits.query(ctx(r), r.query));
  }, { prefix: '/api/v2' });

  // Public: a receiver fetches the keys that verify an organization's Security Event Tokens
  // without any credential (the SETs' iss names this URL's parent).
  app.register(async (plugin) => {
    const open = plugin.withTypeProvider<SchemaTypes>();
    open.setErrorHandler(adminErrorHandler);
    open.get('/api/v2/events/issuers/:orgId/jwks', w(S.jwks), async (r, reply) => {
      const { orgId } = r.params;
      if (!(await s.store.getOrganization(orgId))) throw scimErrors.notFound(`No issuer ${orgId}`);
      return reply.header('cache-control', 'public, max-age=300').send(await s.setSigner.jwks(orgId));
    });
  });
}
