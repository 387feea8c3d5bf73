// The console's changes to the directory: users (state, delete, password, console roles),
// groups and their members, divisions, roles. Each is POST-redirect-GET through `act`.
import type { FastifyInstance } from 'fastify';
import { ScimError, scimErrors } from '../../scim/index.ts';
import { field, form, id, list, type ConsoleKit } from './kit.ts';

export function directoryChanges(app: FastifyInstance, k: ConsoleKit): void {
  const { services: s, auth, opts, ctxOf, act, back } = k;
    app.post('/console/users/:id/state', opts, async (r, reply) => {
      const state = field(form(r), 'state') === 'active' ? 'active' : 'inactive';
      return act(r, reply, `/console/users/${id(r)}`, state === 'active' ? 'user-enabled' : 'user-disabled', () => s.admin.userActions.setState(ctxOf(r), id(r), { state }));
    });
    app.post('/console/users/:id/delete', opts, async (r, reply) => {
      try {
        await s.admin.userActions.delete(ctxOf(r), id(r));
        return back(reply, '/console/users', r.consoleCaller!.org.id, { ok: 'user-deleted' });
      } catch (e) {
        if (e instanceof ScimError) return back(reply, `/console/users/${id(r)}`, r.consoleCaller!.org.id, { error: e.message });
        throw e;
      }
    });
    app.post('/console/users/:id/password', opts, async (r, reply) => act(r, reply, `/console/users/${id(r)}`, 'password-set', () => auth.setPassword(ctxOf(r), id(r), String(form(r).password ?? ''))));
    app.post('/console/users/:id/grants', opts, async (r, reply) => {
      const f = form(r);
      const keep = list(f, 'keep').map((k) => {
        const at = k.lastIndexOf('@');
        return { roleId: k.slice(0, at), divisionId: k.slice(at + 1) };
      });
      const added = field(f, 'roleId') ? [{ roleId: field(f, 'roleId'), divisionId: field(f, 'divisionId') || '*' }] : [];
      return act(r, reply, `/console/users/${id(r)}`, 'grants-saved', () => auth.setGrants(ctxOf(r), id(r), [...keep, ...added]));
    });
    app.post('/console/groups', opts, async (r, reply) => act(r, reply, '/console/groups', 'group-created', () => s.admin.groups.create(ctxOf(r), { name: field(form(r), 'name'), visibility: field(form(r), 'visibility') || 'public', description: field(form(r), 'description') || undefined })));
    app.post('/console/groups/:id/members', opts, async (r, reply) =>
      act(r, reply, `/console/groups/${id(r)}`, 'member-added', async () => {
        const ctx = ctxOf(r);
        const found = await s.admin.users.list(ctx, { filter: `userName eq ${JSON.stringify(field(form(r), 'userName'))}`, pageSize: 1 });
        if (found.entities.length === 0) throw scimErrors.badRequest(`No user ${field(form(r), 'userName')} that you may see`);
        await s.admin.groups.addMembers(ctx, id(r), { memberIds: [found.entities[0].id] });
      }),
    );
    app.post('/console/groups/:id/members/remove', opts, async (r, reply) => act(r, reply, `/console/groups/${id(r)}`, 'member-removed', () => s.admin.groups.removeMembers(ctxOf(r), id(r), field(form(r), 'userId'))));
    app.post('/console/groups/:id/delete', opts, async (r, reply) => act(r, reply, '/console/groups', 'group-deleted', () => s.admin.groups.delete(ctxOf(r), id(r))));
    app.post('/console/divisions', opts, async (r, reply) => act(r, reply, '/console/divisions', 'division-created', () => s.admin.divisions.create(ctxOf(r), { name: field(form(r), 'name'), description: field(form(r), 'description') || undefined })));
    app.post('/console/divisions/:id/rename', opts, async (r, reply) =>
      act(r, reply, '/console/divisions', 'division-renamed', async () => {
        const d = await s.admin.divisions.get(ctxOf(r), id(r));
        await s.admin.divisions.update(ctxOf(r), id(r), { name: field(form(r), 'name'), description: d.description });
      }),
    );
    app.post('/console/divisions/:id/delete', opts, async (r, reply) => act(r, reply, '/console/divisions', 'division-deleted', () => s.admin.divisions.delete(ctxOf(r), id(r))));
    app.post('/console/roles', opts, async (r, reply) => act(r, reply, '/console/roles', 'role-created', () => s.admin.roles.create(ctxOf(r), { name: field(form(r), 'name'), description: field(form(r), 'description') || undefined, permissions: list(form(r), 'permissions') })));
    app.post('/console/roles/:id/delete', opts, async (r, reply) => act(r, reply, '/console/roles', 'role-deleted', () => s.admin.roles.delete(ctxOf(r), id(r))));
}
