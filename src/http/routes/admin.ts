// The administration API, shaped like the Genesys Cloud Platform API. Thin routes: each
// authenticates, builds the admin context and calls one service method.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminContext } from '../../directory/admin/context.ts';
import type { NamedKind } from '../../store/contract.ts';
import type { Services } from '../../services.ts';
import type { Authenticator } from '../auth.ts';
import type { ActivityQuery } from '../../directory/activity.ts';
import type { ConsoleAuth } from '../../directory/console-users.ts';
import { scimErrors } from '../../scim/index.ts';
import { prefersValidateOnly } from '../../directory/validate-only.ts';
import { adminSchemas as S } from '../schemas/admin.ts';
import { withSchema as w } from '../schemas/common.ts';
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

function activityQuery(q: Record<string, unknown>): ActivityQuery {
  const str = (k: string) => (typeof q[k] === 'string' && q[k] !== '' ? (q[k] as string) : undefined);
  const time = (k: string) => {
    const v = str(k);
    if (v !== undefined && Number.isNaN(Date.parse(v))) throw scimErrors.badRequest(`${k} must be an ISO 8601 date-time`);
    return v === undefined ? undefined : new Date(v).toISOString();
  };
  return {
    limit: typeof q.pageSize === 'number' ? q.pageSize : 50, cursor: str('cursor'), actor: str('actor'), resource: str('resource'), kind: str('kind'),
    outcome: str('outcome') as ActivityQuery['outcome'], from: time('from'), to: time('to'),
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
  app.register(async (admin) => {
    admin.setErrorHandler(adminErrorHandler);
    admin.setNotFoundHandler(notFound(adminErrorHandler));
    admin.addHook('preHandler', async (request, reply) => {
      const { principal, org } = await options.authenticate(request, reply);
      // Only the SCIM API can validate without writing; here the write would be made.
      if (request.method !== 'GET' && prefersValidateOnly(request.headers.prefer)) throw scimErrors.notImplemented('validate-only is supported for SCIM writes to Users and Groups only: nothing was done');
      request.adminContext = { principal, org, requestId: request.id, publicUrl: options.publicUrl };
    });
    const ctx = (r: FastifyRequest) => r.adminContext!;
    const id = (r: FastifyRequest) => (r.params as { id: string }).id;
    const q = (r: FastifyRequest) => (r.query ?? {}) as Record<string, unknown>;
    const created = (reply: FastifyReply, entity: { selfUri: string }) => reply.code(201).header('location', `${options.publicUrl}${entity.selfUri}`).send(entity);
    const noContent = (reply: FastifyReply, _done: void) => reply.code(204).send();
    /** A POST that changes nothing in the directory: no change signal (app.ts). */
    const reads = (schema: Parameters<typeof w>[0]) => ({ ...w(schema), config: { changesNothing: true } });

    admin.get('/requests', w(S.requests), async (r) => {
      const query = q(r);
      const str = (k: string) => (typeof query[k] === 'string' && query[k] !== '' ? (query[k] as string) : undefined);
      return s.admin.requests.page(ctx(r), { limit: typeof query.pageSize === 'number' ? query.pageSize : 50, cursor: str('cursor'), status: str('status'), client: str('client'), path: str('path'), from: str('from'), to: str('to') });
    });
    const streamEvents = eventStreamer(admin, s);
    admin.get('/events', w(S.events), async (r, reply) => {
      const query = q(r);
      const after = typeof query.after === 'string' ? query.after : undefined;
      if (wantsEventStream(r)) return streamEvents(r, reply, ctx(r), after);
      return s.admin.events.page(ctx(r), { after, limit: typeof query.limit === 'number' ? query.limit : undefined });
    });
    admin.get('/webhooks', w(S.webhooks.list), async (r) => s.admin.webhooks.list(ctx(r)));
    admin.post('/webhooks', w(S.webhooks.create), async (r, reply) => created(reply, await s.admin.webhooks.create(ctx(r), r.body)));
    admin.get('/webhooks/:id', w(S.webhooks.get), async (r) => s.admin.webhooks.get(ctx(r), id(r)));
    admin.patch('/webhooks/:id', w(S.webhooks.update), async (r) => s.admin.webhooks.update(ctx(r), id(r), r.body));
    admin.delete('/webhooks/:id', w(S.webhooks.delete), async (r, reply) => noContent(reply, await s.admin.webhooks.delete(ctx(r), id(r))));
    admin.post('/webhooks/:id/secret', w(S.webhooks.rotate), async (r) => s.admin.webhooks.rotateSecret(ctx(r), id(r)));
    admin.post('/webhooks/:id/replay', w(S.webhooks.replay), async (r) => s.admin.webhooks.replay(ctx(r), id(r), r.body));
    admin.post('/webhooks/:id/retry', w(S.webhooks.retry), async (r) => s.admin.webhooks.retry(ctx(r), id(r)));
    admin.post('/webhooks/:id/test', reads(S.webhooks.test), async (r) => {
      const a = await s.admin.webhooks.test(ctx(r), id(r), s.webhookSender);
      return { ...(a.status !== undefined ? { status: a.status } : {}), ...(a.error ? { error: a.error } : {}), latencyMs: Math.round(a.latencyMs) };
    });
    admin.post('/webhooks/:id/poll', reads(S.webhooks.poll), async (r, reply) => {
      // A long poll ends when its caller goes away (the response's close: the request's fires once its body is read).
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort());
      return s.admin.webhooks.poll(ctx(r), id(r), r.body, gone.signal);
    });
    admin.get('/webhooks/:id/deliveries', w(S.webhooks.deliveries), async (r) => s.admin.webhooks.deliveries(ctx(r), id(r), q(r)));
    admin.get('/provisioning/jobs', w(S.jobs.list), async (r) => s.admin.jobs.list(ctx(r)));
    admin.post('/provisioning/jobs', w(S.jobs.create), async (r, reply) => created(reply, await s.admin.jobs.create(ctx(r), r.body)));
    admin.get('/provisioning/jobs/:id', w(S.jobs.get), async (r) => s.admin.jobs.get(ctx(r), id(r)));
    admin.patch('/provisioning/jobs/:id', w(S.jobs.update), async (r) => s.admin.jobs.update(ctx(r), id(r), r.body));
    admin.delete('/provisioning/jobs/:id', w(S.jobs.delete), async (r, reply) => noContent(reply, await s.admin.jobs.delete(ctx(r), id(r))));
    for (const action of ['start', 'stop', 'restart'] as const) {
      admin.post(`/provisioning/jobs/:id/${action}`, w(S.jobs.action(action === 'restart' ? 'Forget the job\'s state and run a full cycle' : `${action[0].toUpperCase()}${action.slice(1)} the job`)), async (r) => s.admin.jobs.setRunning(ctx(r), id(r), action));
    }
    admin.get('/provisioning/jobs/:id/status', w(S.jobs.status), async (r) => s.admin.jobs.get(ctx(r), id(r)));
    admin.post('/provisioning/jobs/:id/provision-on-demand', reads(S.jobs.onDemand), async (r) => s.admin.jobs.provisionOnDemand(ctx(r), id(r), r.body));
    admin.post('/provisioning/jobs/:id/preview', reads(S.jobs.preview), async (r) => s.admin.jobs.preview(ctx(r), id(r), r.body));
    admin.post('/provisioning/jobs/:id/test-connection', reads(S.jobs.test), async (r) => s.admin.jobs.testConnection(ctx(r), id(r)));
    admin.get('/provisioning/jobs/:id/logs', w(S.jobs.logs), async (r) => s.admin.jobs.logs(ctx(r), id(r), q(r)));
    admin.get('/requests/summary', w(S.requestSummary), async (r) => s.admin.requests.summary(ctx(r)));
    admin.get('/organizations/me', w(S.me), async (r) => ({ id: ctx(r).org.id, name: ctx(r).org.name, scimProfile: ctx(r).org.scimProfile }));

    /** The five routes of an entity kept in a list; each calls the service method of the same name. */
    const crud = (path: string, schemas: typeof S.divisions, service: CrudService) => {
      admin.get(path, w(schemas.list), async (r) => service.list(ctx(r), q(r)));
      admin.post(path, w(schemas.create), async (r, reply) => created(reply, await service.create(ctx(r), r.body)));
      admin.get(`${path}/:id`, w(schemas.get), async (r) => service.get(ctx(r), id(r)));
      admin.put(`${path}/:id`, w(schemas.update), async (r) => service.update(ctx(r), id(r), r.body));
      admin.delete(`${path}/:id`, w(schemas.delete), async (r, reply) => noContent(reply, await service.delete(ctx(r), id(r))));
    };
    crud('/authorization/divisions', S.divisions, s.admin.divisions);
    crud('/groups', S.groups, s.admin.groups);
    admin.get('/groups/:id/members', w(S.groups.members), async (r) => s.admin.groups.members(ctx(r), id(r), q(r)));
    admin.post('/groups/:id/members', w(S.groups.addMembers), async (r, reply) => noContent(reply, await s.admin.groups.addMembers(ctx(r), id(r), r.body)));
    admin.delete('/groups/:id/members', w(S.groups.removeMembers), async (r, reply) => noContent(reply, await s.admin.groups.removeMembers(ctx(r), id(r), q(r).ids)));
    crud('/authorization/roles', S.roles, s.admin.roles);
    crud('/oauth/clients', S.clients, s.admin.clients);
    admin.post('/oauth/clients/:id/secret', w(S.clients.rotate), async (r) => s.admin.clients.rotateSecret(ctx(r), id(r)));
    admin.get('/oauth/clients/:id/tokens', w(S.clients.secretTokens), async (r) => s.admin.clients.secretTokens(ctx(r), id(r)));
    admin.post('/oauth/clients/:id/tokens', w(S.clients.issueSecretToken), async (r, reply) => reply.code(201).send(await s.admin.clients.issueSecretToken(ctx(r), id(r), r.body)));
    admin.delete('/oauth/clients/:id/tokens/:tokenId', w(S.clients.revokeSecretToken), async (r, reply) =>
      noContent(reply, await s.admin.clients.revokeSecretToken(ctx(r), id(r), (r.params as { tokenId: string }).tokenId)));

    for (const [path, kind] of [['skills', 'skill'], ['languages', 'language']] as [string, NamedKind][]) {
      admin.get(`/routing/${path}`, w(S.routing(kind).list), async (r) => s.admin.routing.list(ctx(r), kind, q(r)));
      admin.post(`/routing/${path}`, w(S.routing(kind).create), async (r, reply) => created(reply, await s.admin.routing.create(ctx(r), kind, r.body)));
      admin.delete(`/routing/${path}/:id`, w(S.routing(kind).delete), async (r, reply) => noContent(reply, await s.admin.routing.delete(ctx(r), kind, id(r))));
    }

    admin.get('/users', w(S.users.list), async (r) => s.admin.users.list(ctx(r), q(r)));
    admin.get('/users/:id', w(S.users.get), async (r) => s.admin.users.get(ctx(r), id(r)));
    admin.patch('/users/:id', w(S.users.setState), async (r) => s.admin.userActions.setState(ctx(r), id(r), r.body));
    admin.get('/users/:id/grants', w(S.users.grants), async (r) => {
      await s.admin.users.get(ctx(r), id(r));
      return { grants: await s.store.listUserGrants(ctx(r).org.id, id(r)) };
    });
    admin.put('/users/:id/grants', w(S.users.setGrants), async (r) => {
      await options.consoleAuth.setGrants(ctx(r), id(r), (r.body as { grants: { roleId: string; divisionId: string }[] }).grants);
      return { grants: await s.store.listUserGrants(ctx(r).org.id, id(r)) };
    });
    admin.delete('/users/:id', w(S.users.delete), async (r, reply) => noContent(reply, await s.admin.userActions.delete(ctx(r), id(r))));
    admin.get('/activity', w(S.activity), async (r) => s.admin.activity.page(ctx(r), activityQuery(q(r))));
    admin.get('/audits', w(S.audits), async (r) => s.admin.audits.query(ctx(r), q(r)));
  }, { prefix: '/api/v2' });

  // Public: a receiver fetches the keys that verify an organization's Security Event Tokens
  // without any credential (the SETs' iss names this URL's parent).
  app.register(async (open) => {
    open.setErrorHandler(adminErrorHandler);
    open.get('/api/v2/events/issuers/:orgId/jwks', w(S.jwks), async (r, reply) => {
      const { orgId } = r.params as { orgId: string };
      if (!(await s.store.getOrganization(orgId))) throw scimErrors.notFound(`No issuer ${orgId}`);
      return reply.header('cache-control', 'public, max-age=300').send(await s.setSigner.jwks(orgId));
    });
  });
}
