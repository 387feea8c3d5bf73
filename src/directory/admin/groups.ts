// /api/v2/groups: the groups SCIM can only match. Names are unique per organization
// case-insensitively; only `public` groups are visible over SCIM (genesys profile).
import { randomUUID } from 'node:crypto';
import type { Registry } from '../../scim/index.ts';
import type { GroupService } from '../groups.ts';
import { userViewScope } from '../../auth/permissions.ts';
import { scimErrors } from '../../scim/index.ts';
import { type GroupRecord, type Store } from '../../store/contract.ts';
import { actorOf, diffAttributes, writeAudit } from '../../trail/audit.ts';
import { scimContextOf, body, oneOf, optionalString, pageParams, requiredString, requirePermission, requireOrgWide, toPage, type AdminContext, type EntityPage, orConflict } from './context.ts';

export interface GroupEntity {
  id: string;
  name: string;
  description?: string;
  type: GroupRecord['type'];
  visibility: GroupRecord['visibility'];
  version: number;
  dateModified: string;
  selfUri: string;
}

const TYPES = ['official', 'social'] as const;
const VISIBILITIES = ['public', 'members', 'owners'] as const;
const actor = (ctx: AdminContext) => actorOf({ org: ctx.org, principal: ctx.principal, requestId: ctx.requestId });
const auditable = (g: GroupRecord) => ({ name: g.displayName, description: g.description, type: g.type, visibility: g.visibility });

/** Member ids of a request: a list of strings, at most MAX_MEMBER_IDS. */
function memberIds(raw: unknown, name: string): string[] {
  if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string' || v.length === 0 || v.length > 256)) throw scimErrors.badRequest(`"${name}" must be a list of user ids`);
  if (raw.length > MAX_MEMBER_IDS) throw scimErrors.badRequest(`At most ${MAX_MEMBER_IDS} member ids per request`);
  return [...new Set(raw as string[])];
}

const MAX_MEMBER_IDS = 100_000;

export class GroupAdmin {
  constructor(
    private readonly store: Store,
    private readonly groups: GroupService,
    private readonly registries: Readonly<Record<string, Registry>>,
  ) {}

  /** Adds users (POST /api/v2/groups/:id/members, body {memberIds}); each must be a user the caller may see. */
  async addMembers(ctx: AdminContext, id: string, input: unknown): Promise<void> {
    requirePermission(ctx, 'directory:group:edit');
    await this.find(ctx, id);
    await this.groups.changeMembers(scimContextOf(ctx, this.registries), id, memberIds(body(input).memberIds, 'memberIds'), []);
  }

  /** Removes users (DELETE /api/v2/groups/:id/members?ids=a,b); ids the caller may not see are left alone. */
  async removeMembers(ctx: AdminContext, id: string, ids: unknown): Promise<void> {
    requirePermission(ctx, 'directory:group:edit');
    await this.find(ctx, id);
    if (typeof ids !== 'string' || ids.trim() === '') throw scimErrors.badRequest('"ids" is required: a comma-separated list of user ids');
    await this.groups.changeMembers(scimContextOf(ctx, this.registries), id, [], memberIds(ids.split(',').map((x) => x.trim()).filter(Boolean), 'ids'));
  }

  private entity(g: GroupRecord): GroupEntity {
    return {
      id: g.id, name: g.displayName, ...(g.description ? { description: g.description } : {}), type: g.type, visibility: g.visibility,
      version: g.version, dateModified: g.lastModified, selfUri: `/api/v2/groups/${g.id}`,
    };
  }

  private async find(ctx: AdminContext, id: string): Promise<GroupRecord> {
    const g = await this.store.getGroup(ctx.org.id, id);
    if (!g) throw scimErrors.notFound(`Group ${id} not found`);
    return g;
  }

  async list(ctx: AdminContext, query: Record<string, unknown>): Promise<EntityPage<GroupEntity>> {
    requirePermission(ctx, 'directory:group:view');
    const p = pageParams(query);
    const page = await this.store.queryGroups(ctx.org.id, { matches: () => true, startIndex: (p.pageNumber - 1) * p.pageSize + 1, count: p.pageSize });
    return { entities: page.items.map((g) => this.entity(g)), pageSize: p.pageSize, pageNumber: p.pageNumber, total: page.total, pageCount: Math.ceil(page.total / p.pageSize) };
  }

  async get(ctx: AdminContext, id: string): Promise<GroupEntity> {
    requirePermission(ctx, 'directory:group:view');
    return this.entity(await this.find(ctx, id));
  }

  async members(ctx: AdminContext, id: string, query: Record<string, unknown>): Promise<EntityPage<{ id: string; name?: string; selfUri: string }>> {
    requirePermission(ctx, 'directory:group:view');
    await this.find(ctx, id);
    const members = await this.store.listMembers(id, userViewScope(ctx.principal));
    return toPage(members.map((m) => ({ id: m.userId, ...(m.displayName ? { name: m.displayName } : {}), selfUri: `/api/v2/users/${m.userId}` })), pageParams(query));
  }

  private read(input: unknown, current?: GroupRecord) {
    const b = body(input);
    return {
      displayName: requiredString(b, 'name'),
      description: optionalString(b, 'description'),
      type: oneOf(b, 'type', TYPES, current?.type ?? 'official'),
      visibility: oneOf(b, 'visibility', VISIBILITIES, current?.visibility ?? 'public'),
    };
  }

  async create(ctx: AdminContext, input: unknown): Promise<GroupEntity> {
    requireOrgWide(ctx, 'directory:group:add');
    const now = new Date().toISOString();
    const g: GroupRecord = { id: randomUUID(), orgId: ctx.org.id, ...this.read(input), version: 1, created: now, lastModified: now };
    return this.store.transaction(async (tx) => {
      await orConflict(tx.insertGroup(g), `A group named "${g.displayName}" already exists`);
      await writeAudit(tx, actor(ctx), 'create', 'Group', g.id, diffAttributes(undefined, auditable(g)));
      return this.entity(g);
    });
  }

  async update(ctx: AdminContext, id: string, input: unknown): Promise<GroupEntity> {
    requireOrgWide(ctx, 'directory:group:edit');
    return this.store.transaction(async (tx) => {
      const g = await tx.getGroup(ctx.org.id, id);
      if (!g) throw scimErrors.notFound(`Group ${id} not found`);
      const next: GroupRecord = { ...g, ...this.read(input, g), version: g.version + 1, lastModified: new Date().toISOString() };
      if (!(await orConflict(tx.updateGroup(next, g.version), `A group named "${next.displayName}" already exists`))) {
        throw scimErrors.conflict('The group changed meanwhile; read it again');
      }
      const changes = diffAttributes(auditable(g), auditable(next));
      if (Object.keys(changes).length > 0) await writeAudit(tx, actor(ctx), 'update', 'Group', id, changes);
      return this.entity(next);
    });
  }

  async delete(ctx: AdminContext, id: string): Promise<void> {
    requireOrgWide(ctx, 'directory:group:delete');
    await this.store.transaction(async (tx) => {
      const g = await tx.getGroup(ctx.org.id, id);
      if (!g) throw scimErrors.notFound(`Group ${id} not found`);
      if (!(await tx.deleteGroup(ctx.org.id, id))) throw scimErrors.notFound(`Group ${id} not found`);
      await writeAudit(tx, actor(ctx), 'delete', 'Group', id, diffAttributes(auditable(g), undefined));
    });
  }
}
