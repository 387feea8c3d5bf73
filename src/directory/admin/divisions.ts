// /api/v2/authorization/divisions: the Home division cannot be deleted, nor can a division
// that holds users or is granted to a client.
import { randomUUID } from 'node:crypto';
import { scimErrors } from '../../scim/index.ts';
import { type Division, type Store } from '../../store/contract.ts';
import { actorOf, diffAttributes, writeAudit } from '../../trail/audit.ts';
import { can } from '../../auth/permissions.ts';
import { body, optionalString, pageParams, requiredString, requirePermission, requireOrgWide, toPage, type AdminContext, type EntityPage, orConflict } from './context.ts';

export interface DivisionEntity {
  id: string;
  name: string;
  description?: string;
  homeDivision: boolean;
  selfUri: string;
}

const actor = (ctx: AdminContext) => actorOf({ org: ctx.org, principal: ctx.principal, requestId: ctx.requestId });

const VIEW = 'authorization:division:view';

export class DivisionAdmin {
  constructor(private readonly store: Store) {}

  private entity(d: Division): DivisionEntity {
    return { id: d.id, name: d.name, ...(d.description ? { description: d.description } : {}), homeDivision: d.isHome, selfUri: `/api/v2/authorization/divisions/${d.id}` };
  }

  /** A division-scoped caller sees the divisions it holds the view permission in, and no other. */
  async list(ctx: AdminContext, query: Record<string, unknown>): Promise<EntityPage<DivisionEntity>> {
    requirePermission(ctx, 'authorization:division:view');
    const all = await this.store.listDivisions(ctx.org.id);
    return toPage(all.filter((d) => can(ctx.principal, [VIEW], d.id)).map((d) => this.entity(d)), pageParams(query));
  }

  async get(ctx: AdminContext, id: string): Promise<DivisionEntity> {
    requirePermission(ctx, 'authorization:division:view');
    const d = await this.store.getDivision(ctx.org.id, id);
    if (!d || !can(ctx.principal, [VIEW], d.id)) throw scimErrors.notFound(`Division ${id} not found`);
    return this.entity(d);
  }

  async create(ctx: AdminContext, input: unknown): Promise<DivisionEntity> {
    requireOrgWide(ctx, 'authorization:division:add');
    const b = body(input);
    const d: Division = { id: randomUUID(), orgId: ctx.org.id, name: requiredString(b, 'name'), description: optionalString(b, 'description'), isHome: false, created: new Date().toISOString() };
    return this.store.transaction(async (tx) => {
      await orConflict(tx.createDivision(d), `A division named "${d.name}" already exists`);
      await writeAudit(tx, actor(ctx), 'create', 'Division', d.id, diffAttributes(undefined, { name: d.name, description: d.description }));
      return this.entity(d);
    });
  }

  async update(ctx: AdminContext, id: string, input: unknown): Promise<DivisionEntity> {
    requireOrgWide(ctx, 'authorization:division:edit');
    const b = body(input);
    return this.store.transaction(async (tx) => {
      const d = await tx.getDivision(ctx.org.id, id);
      if (!d) throw scimErrors.notFound(`Division ${id} not found`);
      const next: Division = { ...d, name: requiredString(b, 'name'), description: optionalString(b, 'description') };
      await orConflict(tx.updateDivision(next), `A division named "${next.name}" already exists`);
      const changes = diffAttributes({ name: d.name, description: d.description }, { name: next.name, description: next.description });
      if (Object.keys(changes).length > 0) await writeAudit(tx, actor(ctx), 'update', 'Division', id, changes);
      return this.entity(next);
    });
  }

  async delete(ctx: AdminContext, id: string): Promise<void> {
    requireOrgWide(ctx, 'authorization:division:delete');
    await this.store.transaction(async (tx) => {
      const d = await tx.getDivision(ctx.org.id, id);
      if (!d) throw scimErrors.notFound(`Division ${id} not found`);
      if (d.isHome) throw scimErrors.conflict('The Home division cannot be deleted');
      const users = await tx.countUsersInDivision(ctx.org.id, id);
      if (users > 0) throw scimErrors.conflict(`Division "${d.name}" holds ${users} user${users === 1 ? '' : 's'}; move them first`);
      const clients = (await tx.listClients(ctx.org.id)).filter((c) => c.roleDivisions.some((rd) => rd.divisionId === id));
      if (clients.length > 0) throw scimErrors.conflict(`Division "${d.name}" is granted to OAuth client${clients.length === 1 ? '' : 's'} ${clients.map((c) => `"${c.name}" (${c.id})`).join(', ')}`);
      if (!(await tx.deleteDivision(ctx.org.id, id))) throw scimErrors.notFound(`Division ${id} not found`);
      await writeAudit(tx, actor(ctx), 'delete', 'Division', id, diffAttributes({ name: d.name, description: d.description }, undefined));
    });
  }
}
