// SCIM Groups. Membership is stored as rows: adding or removing a member is one row insert
// or delete, never a read-modify-write of a member list, and `excludedAttributes=members`
// never loads members. In the genesys profile only public groups exist for SCIM, groups are
// matched by name and never created, deleted or renamed over SCIM. A division-scoped caller
// sees, adds and removes only members it could GET; a replace leaves the others in place.
import { randomUUID } from 'node:crypto';
import { can, SCIM_PERMISSIONS, userViewScope } from '../auth/permissions.ts';
import {
  applyPatch, filterMentions, checkResourceRules, isObject, listResponse, matchesFilter, ownKeyInsensitive, ownValue,
  parseListQuery, parsePatchRequest, parseResource, projectResource, ScimError, scimErrors,
  type JsonObject, type ListResponse, type Projection, type RawListParams,
} from '../scim/index.ts';
import { MissingReference, UniqueViolation, type GroupRecord, type MembersWritten, type Keyset, type Repository, type Store } from '../store/contract.ts';
import { CursorCodec, listWithCursor } from './cursor.ts';
import { requireVersion, etagOf, type CallContext } from './context.ts';
import { actorOf, auditRecord, diffAttributes, ignoredChange, writeAudit } from '../trail/audit.ts';
import { VersionConflict, withRetry } from './retry.ts';
import { applyMemberOps, batchMemberOps, resolveMemberOps, yieldToOthers, type AuditChanges, type MemberOp } from './group-members.ts';
import { memberIds, planGroupPatch } from './group-patch.ts';

export interface GroupResult {
  readonly resource: JsonObject;
  readonly version: number;
  /** Attributes the body named that no schema defines, left out (standard profile). */
  readonly ignored?: readonly string[];
}

const nowIso = () => new Date().toISOString();

type MemberChange = { readonly kind: 'add' | 'remove'; readonly ids: readonly string[] };

/** The members value of a request body as sent. */
function givenMembers(body: unknown): unknown {
  const key = isObject(body) ? ownKeyInsensitive(body, 'members') : undefined;
  return key === undefined ? undefined : ownValue(body, key);
}

/** The batch's only operation, if it adds or removes some members (one write does it). */
function singleMemberChange(ops: readonly MemberOp[]): MemberChange | undefined {
  const [op, ...more] = ops;
  return more.length === 0 && op !== undefined && (op.kind === 'add' || op.kind === 'remove') && op.ids.length > 0 ? op : undefined;
}

export class GroupService {
  constructor(
    private readonly store: Store,
    private readonly cursors: CursorCodec = new CursorCodec(store),
  ) {}

  private rt(ctx: CallContext) {
    return ctx.registry.resourceType('Group')!;
  }

  private visibility(ctx: CallContext) {
    return ctx.registry.publicGroupsOnly ? ('public' as const) : undefined;
  }

  private requireEdit(ctx: CallContext, permissions: readonly string[] = SCIM_PERMISSIONS.groupEdit): void {
    if (!can(ctx.principal, permissions)) throw scimErrors.forbidden(`This client may not do this to groups (needs ${permissions.join(' or ')})`);
  }

  /** The group, if SCIM may see it (`anyVisibility`: the admin API, which sees every group). */
  private async visible(repo: Repository, ctx: CallContext, id: string, anyVisibility = false): Promise<GroupRecord> {
    const g = await repo.getGroup(ctx.org.id, id);
    const vis = anyVisibility ? undefined : this.visibility(ctx);
    if (!g || (vis && g.visibility !== vis)) throw scimErrors.notFound(`Group ${id} not found`);
    return g;
  }

  private wantsMembers(ctx: CallContext, projection: Projection): boolean {
    const probe = projectResource(ctx.registry, this.rt(ctx), { id: 'x', members: [{ value: 'x' }] }, projection);
    return probe.members !== undefined;
  }

  private async resource(repo: Repository, ctx: CallContext, g: GroupRecord, withMembers: boolean): Promise<JsonObject> {
    const r: JsonObject = { schemas: [this.rt(ctx).schema], id: g.id, displayName: g.displayName };
    if (g.externalId !== undefined) r.externalId = g.externalId;
    if (withMembers) {
      const members = await repo.listMembers(g.id, userViewScope(ctx.principal));
      if (members.length > 0) {
        r.members = members.map((m) => ({ value: m.userId, $ref: `${ctx.scimBaseUrl}/Users/${m.userId}`, ...(m.displayName ? { display: m.displayName } : {}), type: 'User' }));
      }
    }
    r.meta = { resourceType: 'Group', created: g.created, lastModified: g.lastModified, location: `${ctx.scimBaseUrl}/Groups/${g.id}`, version: etagOf(g.version) };
    return r;
  }

  private async view(repo: Repository, ctx: CallContext, g: GroupRecord, projection: Projection): Promise<JsonObject> {
    return projectResource(ctx.registry, this.rt(ctx), await this.resource(repo, ctx, g, this.wantsMembers(ctx, projection)), projection);
  }

  async get(ctx: CallContext, id: string, projection: Projection): Promise<GroupResult> {
    this.requireEdit(ctx);
    const g = await this.visible(this.store, ctx, id);
    return { resource: await this.view(this.store, ctx, g, projection), version: g.version };
  }

  async version(ctx: CallContext, id: string): Promise<number> {
    this.requireEdit(ctx);
    return (await this.visible(this.store, ctx, id)).version;
  }

  async list(ctx: CallContext, params: RawListParams): Promise<ListResponse<JsonObject>> {
    this.requireEdit(ctx);
    const rt = this.rt(ctx);
    const q = parseListQuery(ctx.registry, rt, params);
    const filter = q.filter;
    const query = (keyset: Keyset | undefined, count: number) => this.store.queryGroups(ctx.org.id, {
      filter,
      // Only what SQL could not decide comes here; members are loaded just for those rows.
      matches: async (g) => !filter || matchesFilter(filter, await this.resource(this.store, ctx, g, filterMentions(filter, 'members'))),
      startIndex: q.startIndex,
      count,
      sort: q.sort,
      keyset,
      visibility: this.visibility(ctx),
      memberDivisionIds: userViewScope(ctx.principal),
    });
    const wants = this.wantsMembers(ctx, q.projection);
    const render = async (groups: readonly GroupRecord[]) => {
      const resources: JsonObject[] = [];
      for (const g of groups) resources.push(projectResource(ctx.registry, rt, await this.resource(this.store, ctx, g, wants), q.projection));
      return resources;
    };
    if (params.cursor !== undefined) return listWithCursor(this.cursors, ctx.org.id, 'Group', params, q.count, query, render);
    const page = await query(undefined, q.count);
    return listResponse(await render(page.items), page.total, q.startIndex);
  }

  private async saveAttributes(repo: Repository, ctx: CallContext, g: GroupRecord, next: JsonObject): Promise<GroupRecord> {
    const displayName = next.displayName as string;
    if (!ctx.registry.groupRenames && displayName !== g.displayName) {
      throw scimErrors.mutability(`Groups are matched by name and cannot be renamed over SCIM ("${g.displayName}" -> "${displayName}"); rename it in the administration API`);
    }
    const updated: GroupRecord = { ...g, displayName, externalId: next.externalId as string | undefined, version: g.version + 1, lastModified: nowIso() };
    try {
      if (!(await repo.updateGroup(updated, g.version))) throw new VersionConflict();
    } catch (e) {
      if (e instanceof UniqueViolation) throw scimErrors.uniqueness(`A group named "${displayName}" already exists`);
      throw e;
    }
    return updated;
  }

  async patch(ctx: CallContext, id: string, body: unknown, ifMatch: string | undefined, projection: Projection | undefined): Promise<GroupResult> {
    this.requireEdit(ctx);
    const { memberOps, attributeOps } = planGroupPatch(ctx, parsePatchRequest(body));
    // With If-Match the version is checked against a read; without, the write itself finds the group.
    let read: GroupRecord | undefined = ifMatch === undefined ? undefined : await this.visible(this.store, ctx, id);
    const [first, ...rest] = batchMemberOps(await this.resolveFor(ctx, id, memberOps, read !== undefined));
    const single = attributeOps.length === 0 && rest.length === 0 ? singleMemberChange(first) : undefined;
    if (single) {
      // Entra's membership PATCH: one write.
      const version = await withRetry(ifMatch, 'group', async () => {
        if (ifMatch === undefined) return this.writeMemberChange(ctx, id, single, undefined);
        const g = read ?? (await this.visible(this.store, ctx, id));
        read = undefined;
        requireVersion(ifMatch, g.version);
        return this.writeMemberChange(ctx, id, single, g.version);
      });
      return { resource: projection ? await this.view(this.store, ctx, await this.visible(this.store, ctx, id), projection) : {}, version };
    }
    let g = await withRetry(ifMatch, 'group', () => this.store.transaction(async (repo) => {
      let g = await this.visible(repo, ctx, id);
      requireVersion(ifMatch, g.version);
      let changes: AuditChanges = {};
      if (attributeOps.length > 0) {
        const before = await this.resource(repo, ctx, g, false);
        delete before.meta;
        const { resource: after, changed } = applyPatch(ctx.registry, this.rt(ctx), before, attributeOps);
        if (changed) {
          g = await this.saveAttributes(repo, ctx, g, after);
          changes = { ...diffAttributes(before, after) };
        }
      }
      return this.commitMembers(repo, ctx, g, first, changes);
    }));
    g = await this.applyRemainingBatches(ctx, g, rest);
    return { resource: projection ? await this.view(this.store, ctx, g, projection) : {}, version: g.version };
  }

  /**
   * Phase 1 of a membership change (group-members.ts). A group that is not there answers 404
   * before anything about the members does: checked first when `checked` is false and the
   * members are refused.
   */
  private async resolveFor(ctx: CallContext, id: string, ops: readonly MemberOp[], checked: boolean, anyVisibility = false): Promise<MemberOp[]> {
    try {
      return await resolveMemberOps(this.store, ctx, ops);
    } catch (e) {
      if (!checked) await this.visible(this.store, ctx, id, anyVisibility);
      throw e;
    }
  }

  /**
   * One resolved add or remove as a single atomic write (Repository.writeMembers): the rows,
   * the version and the audit record, with no transaction held across requests' reads.
   * Returns the group's version after it. A group gone or not visible answers 404; one changed
   * since it was read at `expectedVersion`, or a member deleted meanwhile, is a
   * VersionConflict: the caller reads again.
   */
  private async writeMemberChange(ctx: CallContext, id: string, op: MemberChange, expectedVersion: number | undefined, anyVisibility = false): Promise<number> {
    const changes: AuditChanges = op.kind === 'add' ? { 'members.added': { after: op.ids } } : { 'members.removed': { before: op.ids } };
    let written: MembersWritten | undefined;
    try {
      written = await this.store.writeMembers({
        orgId: ctx.org.id, groupId: id, visibility: anyVisibility ? undefined : this.visibility(ctx), expectedVersion,
        kind: op.kind, userIds: op.ids, lastModified: nowIso(), audit: auditRecord(actorOf(ctx), 'update', 'Group', id, changes),
      });
    } catch (e) {
      if (e instanceof MissingReference) throw new VersionConflict();
      throw e;
    }
    if (written) return written.version;
    await this.visible(this.store, ctx, id, anyVisibility); // 404 when it is not there
    throw new VersionConflict();
  }

  /** Applies one batch of resolved member operations with `changes` already made; audits the lot. */
  private async commitMembers(repo: Repository, ctx: CallContext, g: GroupRecord, ops: readonly MemberOp[], changes: AuditChanges): Promise<GroupRecord> {
    const memberChanges = await applyMemberOps(repo, ctx, g.id, ops);
    if (Object.keys(memberChanges).length > 0) {
      // Membership rows never conflict; the version moves with an atomic increment.
      const lastModified = nowIso();
      g = { ...g, version: await repo.touchGroup(ctx.org.id, g.id, lastModified), lastModified };
      Object.assign(changes, memberChanges);
    }
    if (Object.keys(changes).length > 0) await writeAudit(repo, actorOf(ctx), 'update', 'Group', g.id, changes);
    return g;
  }

  /** The batches after the first, each its own transaction (see group-members.ts). */
  private async applyRemainingBatches(ctx: CallContext, g: GroupRecord, batches: readonly MemberOp[][], anyVisibility = false): Promise<GroupRecord> {
    for (const ops of batches) {
      await yieldToOthers();
      g = await this.store.transaction(async (repo) => this.commitMembers(repo, ctx, await this.visible(repo, ctx, g.id, anyVisibility), ops, {}));
    }
    return g;
  }

  /**
   * Member changes from the administration API (any group, not only the public ones SCIM
   * sees), resolved, batched, scoped to the caller's divisions and audited as a PATCH is.
   */
  async changeMembers(ctx: CallContext, id: string, add: readonly string[], remove: readonly string[]): Promise<{ version: number }> {
    this.requireEdit(ctx);
    const ops: MemberOp[] = [...(add.length > 0 ? [{ kind: 'add' as const, ids: add }] : []), ...(remove.length > 0 ? [{ kind: 'remove' as const, ids: remove }] : [])];
    const [first, ...rest] = batchMemberOps(await this.resolveFor(ctx, id, ops, false, true));
    const single = rest.length === 0 ? singleMemberChange(first) : undefined;
    if (single) return { version: await withRetry(undefined, 'group', () => this.writeMemberChange(ctx, id, single, undefined, true)) };
    let g = await this.store.transaction(async (repo) => this.commitMembers(repo, ctx, await this.visible(repo, ctx, id, true), first, {}));
    g = await this.applyRemainingBatches(ctx, g, rest, true);
    return { version: g.version };
  }

  async replace(ctx: CallContext, id: string, body: unknown, ifMatch: string | undefined): Promise<GroupResult> {
    this.requireEdit(ctx);
    const rt = this.rt(ctx);
    const ignored: string[] = [];
    const resource = parseResource(ctx.registry, rt, body, ignored);
    checkResourceRules(ctx.registry, rt, resource);
    const ids = memberIds(resource.members as JsonObject[] | undefined, givenMembers(body), 'members');
    await this.visible(this.store, ctx, id);
    const [first, ...rest] = batchMemberOps(await resolveMemberOps(this.store, ctx, [{ kind: 'clear' }, { kind: 'add', ids }]));
    let g = await withRetry(ifMatch, 'group', () => this.store.transaction(async (repo) => {
      let g = await this.visible(repo, ctx, id);
      requireVersion(ifMatch, g.version);
      const before = await this.resource(repo, ctx, g, false);
      g = await this.saveAttributes(repo, ctx, g, resource);
      const after = await this.resource(repo, ctx, g, false);
      return this.commitMembers(repo, ctx, g, first, { ...diffAttributes(before, after), ...ignoredChange(ignored) });
    }));
    g = await this.applyRemainingBatches(ctx, g, rest);
    return { resource: await this.view(this.store, ctx, g, {}), version: g.version, ...(ignored.length > 0 ? { ignored } : {}) };
  }

  /** Genesys: groups are matched by name, never created or deleted over SCIM (405 with Allow). */
  private requireLifecycle(ctx: CallContext, what: 'created' | 'deleted', allow: string): void {
    if (!ctx.registry.groupLifecycle) {
      throw new ScimError(405, undefined, `Groups are never ${what} over SCIM in this organization (genesys profile); an administrator manages them`, { allow });
    }
  }

  /** POST /Groups: the standard profile only. */
  async create(ctx: CallContext, body: unknown): Promise<GroupResult> {
    this.requireLifecycle(ctx, 'created', 'GET');
    this.requireEdit(ctx, SCIM_PERMISSIONS.groupAdd);
    const rt = this.rt(ctx);
    const ignored: string[] = [];
    const resource = parseResource(ctx.registry, rt, body, ignored);
    checkResourceRules(ctx.registry, rt, resource);
    const ids = memberIds(resource.members as JsonObject[] | undefined, givenMembers(body), 'members');
    const [first, ...rest] = batchMemberOps(await resolveMemberOps(this.store, ctx, [{ kind: 'add', ids }]));
    const created = await this.store.transaction(async (repo) => {
      const now = nowIso();
      const g: GroupRecord = {
        id: randomUUID(), orgId: ctx.org.id, displayName: resource.displayName as string, externalId: resource.externalId as string | undefined,
        type: 'official', visibility: 'public', version: 1, created: now, lastModified: now,
      };
      try {
        await repo.insertGroup(g);
      } catch (e) {
        if (e instanceof UniqueViolation) throw scimErrors.uniqueness(`A group named "${g.displayName}" already exists`);
        throw e;
      }
      const memberChanges = await applyMemberOps(repo, ctx, g.id, first);
      await writeAudit(repo, actorOf(ctx), 'create', 'Group', g.id, { ...diffAttributes(undefined, { displayName: g.displayName, externalId: g.externalId }), ...memberChanges, ...ignoredChange(ignored) });
      return g;
    });
    const g = await this.applyRemainingBatches(ctx, created, rest);
    return { resource: await this.view(this.store, ctx, g, {}), version: g.version, ...(ignored.length > 0 ? { ignored } : {}) };
  }

  /** DELETE /Groups/{id}: the standard profile only. */
  async delete(ctx: CallContext, id: string, ifMatch: string | undefined): Promise<void> {
    this.requireLifecycle(ctx, 'deleted', 'GET, PUT, PATCH');
    this.requireEdit(ctx, SCIM_PERMISSIONS.groupDelete);
    await this.store.transaction(async (repo) => {
      const g = await this.visible(repo, ctx, id);
      requireVersion(ifMatch, g.version);
      // A concurrent DELETE that got there first leaves nothing to delete: 404, no audit record.
      if (!(await repo.deleteGroup(ctx.org.id, id))) throw scimErrors.notFound(`Group ${id} not found`);
      await writeAudit(repo, actorOf(ctx), 'delete', 'Group', id, diffAttributes({ displayName: g.displayName, externalId: g.externalId }, undefined));
    });
  }
}

