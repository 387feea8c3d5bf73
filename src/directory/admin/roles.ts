// /api/v2/authorization/roles: {name, description, permissions: ["domain:entity:action"]},
// `*` wildcards allowed per segment. A role granted to a client cannot be deleted.
import { randomUUID } from 'node:crypto';
import { ALL_DIVISIONS, canGrant } from '../../auth/permissions.ts';
import type { TokenService } from '../../auth/token-service.ts';
import { scimErrors } from '../../scim/index.ts';
import { type Role, type Store } from '../../store/contract.ts';
import { assertAdministratorRemains } from './last-admin.ts';
import { actorOf, diffAttributes, writeAudit } from '../../trail/audit.ts';
import { body, optionalString, pageParams, requiredString, requirePermission, requireOrgWide, toPage, type AdminContext, type EntityPage, orConflict } from './context.ts';

export interface RoleEntity {
  id: string;
  name: string;
  description?: string;
  permissions: string[];
  selfUri: string;
}

const PERMISSION = /^(\*|[A-Za-z*]+:[A-Za-z*]+:[A-Za-z*]+)$/;
const actor = (ctx: AdminContext) => actorOf({ org: ctx.org, principal: ctx.principal, requestId: ctx.requestId });
const auditable = (r: Role) => ({ name: r.name, description: r.description, permissions: r.permissions });

export class RoleAdmin {
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenService,
  ) {}

  private entity(r: Role): RoleEntity {
    return { id: r.id, name: r.name, ...(r.description ? { description: r.description } : {}), permissions: [...r.permissions], selfUri: `/api/v2/authorization/roles/${r.id}` };
  }

  private read(ctx: AdminContext, input: unknown) {
    const b = body(input);
    const perms = b.permissions;
    if (!Array.isArray(perms) || perms.some((p) => typeof p !== 'string' || !PERMISSION.test(p))) {
      throw scimErrors.badRequest('"permissions" must be a list of "domain:entity:action" strings (segments may be *)');
    }
    // A role may only carry what its author holds on every division: roles are granted per
    // division later, and that grant is checked again (clients.ts).
    const beyond = (perms as string[]).filter((p) => !canGrant(ctx.principal, p, ALL_DIVISIONS));
    if (beyond.length > 0) throw scimErrors.forbidden(`This client cannot put ${beyond.join(', ')} in a role: it does not hold them on every division`);
    return { name: requiredString(b, 'name'), description: optionalString(b, 'description'), permissions: [...new Set(perms as string[])] };
  }

  async list(ctx: AdminContext, query: Record<string, unknown>): Promise<EntityPage<RoleEntity>> {
    requirePermission(ctx, 'authorization:role:view');
    return toPage((await this.store.listRoles(ctx.org.id)).map((r) => this.entity(r)), pageParams(query));
  }

  async get(ctx: AdminContext, id: string): Promise<RoleEntity> {
    requirePermission(ctx, 'authorization:role:view');
    const r = await this.store.getRole(ctx.org.id, id);
    if (!r) throw scimErrors.notFound(`Role ${id} not found`);
    return this.entity(r);
  }

  async create(ctx: AdminContext, input: unknown): Promise<RoleEntity> {
    requireOrgWide(ctx, 'authorization:role:add');
    const r: Role = { id: randomUUID(), orgId: ctx.org.id, ...this.read(ctx, input) };
    return this.store.transaction(async (tx) => {
      await orConflict(tx.createRole(r), `A role named "${r.name}" already exists`);
      await writeAudit(tx, actor(ctx), 'create', 'Role', r.id, diffAttributes(undefined, auditable(r)));
      return this.entity(r);
    });
  }

  async update(ctx: AdminContext, id: string, input: unknown): Promise<RoleEntity> {
    requireOrgWide(ctx, 'authorization:role:edit');
    const fields = this.read(ctx, input);
    const result = await this.store.transaction(async (tx) => {
      const r = await tx.getRole(ctx.org.id, id);
      if (!r) throw scimErrors.notFound(`Role ${id} not found`);
      const next: Role = { ...r, ...fields };
      await assertAdministratorRemains(tx, ctx.org.id, { role: next }, `changing role "${r.name}"`);
      await orConflict(tx.updateRole(next), `A role named "${next.name}" already exists`);
      const changes = diffAttributes(auditable(r), auditable(next));
      if (Object.keys(changes).length > 0) await writeAudit(tx, actor(ctx), 'update', 'Role', id, changes);
      return this.entity(next);
    });
    // Permissions changed: principals cached on this node are rebuilt on next use.
    await this.tokens.invalidateAll();
    return result;
  }

  async delete(ctx: AdminContext, id: string): Promise<void> {
    requireOrgWide(ctx, 'authorization:role:delete');
    await this.store.transaction(async (tx) => {
      const r = await tx.getRole(ctx.org.id, id);
      if (!r) throw scimErrors.notFound(`Role ${id} not found`);
      const holders = (await tx.listClients(ctx.org.id)).filter((c) => c.roleDivisions.some((rd) => rd.roleId === id));
      if (holders.length > 0) throw scimErrors.conflict(`Role "${r.name}" is granted to OAuth client${holders.length === 1 ? '' : 's'} ${holders.map((c) => `"${c.name}" (${c.id})`).join(', ')}`);
      const users = await tx.usersWithRole(ctx.org.id, id);
      if (users.length > 0) throw scimErrors.conflict(`Role "${r.name}" is granted to ${users.length} console user${users.length === 1 ? '' : 's'}`);
      if (!(await tx.deleteRole(ctx.org.id, id))) throw scimErrors.notFound(`Role ${id} not found`);
      await writeAudit(tx, actor(ctx), 'delete', 'Role', id, diffAttributes(auditable(r), undefined));
    });
  }
}

