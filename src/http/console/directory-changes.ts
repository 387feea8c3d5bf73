// The console's changes to the directory: users (state, delete, password, console roles),
// groups and their members, divisions, roles. Each is POST-redirect-GET through `act`.
import type { FastifyInstance } from 'fastify';
import { ScimError, scimErrors } from '../../scim/index.ts';
import { field, list, type ConsoleKit } from './kit.ts';
import type { SchemaTypes } from '../schemas/common.ts';

export function directoryChanges(plain: FastifyInstance, k: ConsoleKit): void {
  const app = plain.withTypeProvider<SchemaTypes>();
  const { services: s, auth, routes, ctxOf, act, back } = k;
    app.post('/console/users/:id/state', routes.formOf, async (r, reply) => {
      const state = field(r.body, 'state') === 'active' ? 'active' : 'inactive';
      return act(r, reply, `/console/users/${r.params.id}`, state === 'active' ? 'user-enabled' : 'user-disabled', () => s.admin.userActions.setState(ctxOf(r), r.params.id, { state }));
    });
    app.post('/console/users/:id/delete', routes.formOf, async (r, reply) => {
      try {
        await s.admin.userActions.delete(ctxOf(r), r.params.id);
        return back(reply, '/console/users', r.consoleCaller!.org.id, { ok: 'user-deleted' });
      } catch (e) {
        if (e instanceof ScimError) return back(reply, `/console/users/${r.params.id}`, r.consoleCaller!.org.id, { error: e.message });
        throw e;
      }
    });
    app.post('/console/users/:id/password', routes.formOf, async (r, reply) => act(r, reply, `/console/users/${r.params.id}`, 'password-set', () => auth.setPassword(ctxOf(r), r.params.id, String(r.body.password ?? ''))));
    app.post('/console/users/:id/grants', routes.formOf, async (r, reply) => {
      const f = r.body;
      const keep = list(f, 'keep').map((k) => {
        const at = k.lastIndexOf('@');
        return { roleId: k.slice(0, at), divisionId: k.slice(at + 1) };
      });
      const added = field(f, 'roleId') ? [{ roleId: field(f, 'roleId'), divisionId: field(f, 'divisionId') || '*' }] : [];
      return act(r, reply, `/console/users/${r.params.id}`, 'grants-saved', () => auth.setGrants(ctxOf(r), r.params.id, [...keep, ...added]));
    });
    app.post('/console/groups', routes.form, async (r, reply) => act(r, reply, '/console/groups', 'group-created', () => s.admin.groups.create(ctxOf(r), { name: field(r.body, 'name'), visibility: field(r.body, 'visibility') || 'public', description: field(r.body, 'description') || undefined })));
    app.post('/console/groups/:id/members', routes.formOf, async (r, reply) =>
      act(r, reply, `/console/groups/${r.params.id}`, 'member-added', async () => {
        const ctx = ctxOf(r);
        const found = await s.admin.users.list(ctx, { filter: `userName eq ${JSON.stringify(field(r.body, 'userName'))}`, pageSize: 1 });
        if (found.entities.length === 0) throw scimErrors.badRequest(`No user ${field(r.body, 'userName')} that you may see`);
        await s.admin.groups.addMembers(ctx, r.params.id, { memberIds: [found.entities[0].id] });
      }),
    );
    app.post('/console/groups/:id/members/remove', routes.formOf, async (r, reply) => act(r, reply, `/console/groups/${r.params.id}`, 'member-removed', () => s.admin.groups.removeMembers(ctxOf(r), r.params.id, field(r.body, 'userId'))));
    app.post('/console/groups/:id/delete', routes.formOf, async (r, reply) => act(r, reply, '/console/groups', 'group-deleted', () => s.admin.groups.delete(ctxOf(r), r.params.id)));
    app.post('/console/divisions', routes.form, async (r, reply) => act(r, reply, '/console/divisions', 'division-created', () => s.admin.divisions.create(ctxOf(r), { name: field(r.body, 'name'), description: field(r.body, 'description') || undefined })));
    app.post('/console/divisions/:id/rename', routes.formOf, async (r, reply) =>
      act(r, reply, '/console/divisions', 'division-renamed', async () => {
        const d = await s.admin.divisions.get(ctxOf(r), r.params.id);
        await s.admin.divisions.update(ctxOf(r), r.params.id, { name: field(r.body, 'name'), description: d.description });
      }),
    );
    app.post('/console/divisions/:id/delete', routes.formOf, async (r, reply) => act(r, reply, '/console/divisions', 'division-deleted', () => s.admin.divisions.delete(ctxOf(r), r.params.id)));
    app.post('/console/roles', routes.form, async (r, reply) => act(r, reply, '/console/roles', 'role-created', () => s.admin.roles.create(ctxOf(r), { name: field(r.body, 'name'), description: field(r.body, 'description') || undefined, permissions: list(r.body, 'permissions') })));
    app.post('/console/roles/:id/delete', routes.formOf, async (r, reply) => act(r, reply, '/console/roles', 'role-deleted', () => s.admin.roles.delete(ctxOf(r), r.params.id)));
}
