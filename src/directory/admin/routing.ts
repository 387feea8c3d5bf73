// /api/v2/routing/skills and /api/v2/routing/languages: the names the SCIM Genesys extension
// refers to (case-sensitive). Both need routing:skill:manage, as in Genesys.
import { randomUUID } from 'node:crypto';
import { scimErrors } from '../../scim/index.ts';
import { type NamedKind, type Store } from '../../store/contract.ts';
import { actorOf, writeAudit } from '../../trail/audit.ts';
import { body, pageParams, requiredString, requirePermission, requireOrgWide, toPage, type AdminContext, type EntityPage, orConflict } from './context.ts';

export interface NamedEntityView {
  id: string;
  name: string;
  selfUri: string;
}

const PATHS: Record<NamedKind, string> = { skill: 'skills', language: 'languages' };
const TYPES: Record<NamedKind, string> = { skill: 'RoutingSkill', language: 'RoutingLanguage' };

export class RoutingAdmin {
  constructor(private readonly store: Store) {}

  private entity(kind: NamedKind, e: { id: string; name: string }): NamedEntityView {
    return { id: e.id, name: e.name, selfUri: `/api/v2/routing/${PATHS[kind]}/${e.id}` };
  }

  async list(ctx: AdminContext, kind: NamedKind, query: Record<string, unknown>): Promise<EntityPage<NamedEntityView>> {
    requirePermission(ctx, 'routing:skill:manage');
    return toPage((await this.store.listNamed(kind, ctx.org.id)).map((e) => this.entity(kind, e)), pageParams(query));
  }

  async create(ctx: AdminContext, kind: NamedKind, input: unknown): Promise<NamedEntityView> {
    requireOrgWide(ctx, 'routing:skill:manage');
    const e = { id: randomUUID(), orgId: ctx.org.id, name: requiredString(body(input), 'name') };
    return this.store.transaction(async (tx) => {
      await orConflict(tx.createNamed(kind, e), `A routing ${kind} named "${e.name}" already exists`);
      await writeAudit(tx, actorOf({ org: ctx.org, principal: ctx.principal, requestId: ctx.requestId }), 'create', TYPES[kind], e.id, { name: { after: e.name } });
      return this.entity(kind, e);
    });
  }

  async delete(ctx: AdminContext, kind: NamedKind, id: string): Promise<void> {
    requireOrgWide(ctx, 'routing:skill:manage');
    await this.store.transaction(async (tx) => {
      const found = (await tx.listNamed(kind, ctx.org.id)).find((e) => e.id === id);
      if (!found || !(await tx.deleteNamed(kind, ctx.org.id, id))) throw scimErrors.notFound(`Routing ${kind} ${id} not found`);
      await writeAudit(tx, actorOf({ org: ctx.org, principal: ctx.principal, requestId: ctx.requestId }), 'delete', TYPES[kind], id, { name: { before: found.name } });
    });
  }
}
