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

export function adminRoutes(app: FastifyInstance, options: AdminRouteOptions): void {
  const { services: s } = options;
  app.register(async (admin) => {
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

    admin.get('/api/v2/organizations/me', w(S.me), async (r) => ({ id: ctx(r).org.id, name: ctx(r).org.name, scimProfile: ctx(r).org.scimProfile }));

    admin.get('/api/v2/authorization/divisions', w(S.divisions.list), async (r) => s.admin.divisions.list(ctx(r), q(r)));
    admin.post('/api/v2/authorization/divisions', w(S.divisions.create), async (r, reply) => created(reply, await s.admin.divisions.create(ctx(r), r.body)));
    admin.get('/api/v2/authorization/divisions/:id', w(S.divisions.get), async (r) => s.admin.divisions.get(ctx(r), id(r)));
    admin.put('/api/v2/authorization/divisions/:id', w(S.divisions.update), async (r) => s.admin.divisions.update(ctx(r), id(r), r.body));
    admin.delete('/api/v2/authorization/divisions/:id', w(S.divisions.delete), async (r, reply) => noContent(reply, await s.admin.divisions.delete(ctx(r), id(r))));

    admin.get('/api/v2/groups', w(S.groups.list), async (r) => s.admin.groups.list(ctx(r), q(r)));
    admin.post('/api/v2/groups', w(S.groups.create), async (r, reply) => created(reply, await s.admin.groups.create(ctx(r), r.body)));
    admin.get('/api/v2/groups/:id', w(S.groups.get), async (r) => s.admin.groups.get(ctx(r), id(r)));
    admin.put('/api/v2/groups/:id', w(S.groups.update), async (r) => s.admin.groups.update(ctx(r), id(r), r.body));
    admin.delete('/api/v2/groups/:id', w(S.groups.delete), async (r, reply) => noContent(reply, await s.admin.groups.delete(ctx(r), id(r))));
    admin.get('/api/v2/groups/:id/members', w(S.groups.members), async (r) => s.admin.groups.members(ctx(r), id(r), q(r)));
    admin.post('/api/v2/groups/:id/members', w(S.groups.addMembers), async (r, reply) => noContent(reply, await s.admin.groups.addMembers(ctx(r), id(r), r.body)));
    admin.delete('/api/v2/groups/:id/members', w(S.groups.removeMembers), async (r, reply) => noContent(reply, await s.admin.groups.removeMembers(ctx(r), id(r), q(r).ids)));

    admin.get('/api/v2/authorization/roles', w(S.roles.list), async (r) => s.admin.roles.list(ctx(r), q(r)));
    admin.post('/api/v2/authorization/roles', w(S.roles.create), async (r, reply) => created(reply, await s.admin.roles.create(ctx(r), r.body)));
    admin.get('/api/v2/authorization/roles/:id', w(S.roles.get), async (r) => s.admin.roles.get(ctx(r), id(r)));
    admin.put('/api/v2/authorization/roles/:id', w(S.roles.update), async (r) => s.admin.roles.update(ctx(r), id(r), r.body));
    admin.delete('/api/v2/authorization/roles/:id', w(S.roles.delete), async (r, reply) => noContent(reply, await s.admin.roles.delete(ctx(r), id(r))));

    admin.get('/api/v2/oauth/clients', w(S.clients.list), async (r) => s.admin.clients.list(ctx(r), q(r)));
    admin.post('/api/v2/oauth/clients', w(S.clients.create), async (r, reply) => created(reply, await s.admin.clients.create(ctx(r), r.body)));
    admin.get('/api/v2/oauth/clients/:id', w(S.clients.get), async (r) => s.admin.clients.get(ctx(r), id(r)));
    admin.put('/api/v2/oauth/clients/:id', w(S.clients.update), async (r) => s.admin.clients.update(ctx(r), id(r), r.body));
    admin.delete('/api/v2/oauth/clients/:id', w(S.clients.delete), async (r, reply) => noContent(reply, await s.admin.clients.delete(ctx(r), id(r))));
    admin.post('/api/v2/oauth/clients/:id/secret', w(S.clients.rotate), async (r) => s.admin.clients.rotateSecret(ctx(r), id(r)));

    for (const [path, kind] of [['skills', 'skill'], ['languages', 'language']] as [string, NamedKind][]) {
      admin.get(`/api/v2/routing/${path}`, w(S.routing(kind).list), async (r) => s.admin.routing.list(ctx(r), kind, q(r)));
      admin.post(`/api/v2/routing/${path}`, w(S.routing(kind).create), async (r, reply) => created(reply, await s.admin.routing.create(ctx(r), kind, r.body)));
      admin.delete(`/api/v2/routing/${path}/:id`, w(S.routing(kind).delete), async (r, reply) => noContent(reply, await s.admin.routing.delete(ctx(r), kind, id(r))));
    }

    admin.get('/api/v2/users', w(S.users.list), async (r) => s.admin.users.list(ctx(r), q(r)));
    admin.get('/api/v2/users/:id', w(S.users.get), async (r) => s.admin.users.get(ctx(r), id(r)));
    admin.patch('/api/v2/users/:id', w(S.users.setState), async (r) => s.admin.userActions.setState(ctx(r), id(r), r.body));
    admin.get('/api/v2/users/:id/grants', w(S.users.grants), async (r) => {
      await s.admin.users.get(ctx(r), id(r));
      return { grants: await s.store.listUserGrants(ctx(r).org.id, id(r)) };
    });
    admin.put('/api/v2/users/:id/grants', w(S.users.setGrants), async (r) => {
      await options.consoleAuth.setGrants(ctx(r), id(r), (r.body as { grants: { roleId: string; divisionId: string }[] }).grants);
      return { grants: await s.store.listUserGrants(ctx(r).org.id, id(r)) };
    });
    admin.delete('/api/v2/users/:id', w(S.users.delete), async (r, reply) => noContent(reply, await s.admin.userActions.delete(ctx(r), id(r))));
    admin.get('/api/v2/activity', w(S.activity), async (r) => s.admin.activity.page(ctx(r), activityQuery(q(r))));
    admin.get('/api/v2/audits', w(S.audits), async (r) => s.admin.audits.query(ctx(r), q(r)));
  });
}
