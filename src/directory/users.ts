// SCIM Users with Genesys semantics. A create, PATCH or PUT reads, then stores the user and
// its audit record in one atomic, version-checked write (Repository.writeUser); a delete is one
// store transaction.
import { randomUUID } from 'node:crypto';
import { can, divisionsWith, inScope, SCIM_PERMISSIONS, ALL_DIVISIONS, userViewScope } from '../auth/permissions.ts';
import { hashPassword } from '../auth/secrets.ts';
import {
  applyPatch, checkResourceRules, listResponse, matchesFilter, parseListQuery, parsePatchRequest, parseResource,
  filterMentions, projectResource, scimErrors, type JsonObject, type ListResponse, type Projection, type RawListParams,
} from '../scim/index.ts';
import { MissingReference, UniqueViolation, type GroupSelection, type Keyset, type Repository, type Store, type UserRow } from '../store/contract.ts';
import { CursorCodec, listWithCursor } from './cursor.ts';
import { requireVersion, type CallContext } from './context.ts';
import { VersionConflict, withRetry } from './retry.ts';
import { checkDerivedInBody, checkDerivedUnchanged, prepareUser, type PreparedUser } from './user-rules.ts';
import { userResource } from './user-view.ts';
import { actorOf, auditRecord, diffAttributes, ignoredChange, writeAudit } from '../trail/audit.ts';
import { requireMaySignInAs } from './console-rights.ts';

export interface UserResult {
  readonly resource: JsonObject;
  readonly version: number;
  /** Attributes the body named that no schema defines, left out (standard profile). */
  readonly ignored?: readonly string[];
}

const nowIso = () => new Date().toISOString();

/** The row as the caller may see it: a manager outside its divisions keeps its id but not its name. */
function scopedRow(ctx: CallContext, row: UserRow): UserRow {
  if (row.managerId === undefined || inScope(userViewScope(ctx.principal), row.managerDivisionId)) return row;
  return { ...row, managerDisplayName: undefined };
}

export class UserService {
  constructor(
    private readonly store: Store,
    private readonly cursors: CursorCodec = new CursorCodec(store),
  ) {}

  private rt(ctx: CallContext) {
    return ctx.registry.resourceType('User')!;
  }

  /** The SCIM view of a row; `groups` as read with the row (readable), or given (a user just created is in none). */
  private view(ctx: CallContext, row: UserRow, projection: Projection = {}, groups = row.groups): JsonObject {
    return projectResource(ctx.registry, this.rt(ctx), userResource(ctx.registry, ctx.scimBaseUrl, scopedRow(ctx, row), groups), projection);
  }

  /**
   * A user the caller may read, or 404: users outside the caller's divisions do not exist for
   * it. Read with the groups its SCIM view shows (one statement; a user's own writes never
   * change its groups, so the view after a write uses them too).
   */
  private async readable(repo: Repository, ctx: CallContext, id: string, withGroups = true): Promise<UserRow> {
    const row = await repo.getUser(ctx.org.id, id, withGroups ? this.groupSelection(ctx) : undefined);
    if (!row || !can(ctx.principal, SCIM_PERMISSIONS.userView, row.divisionId)) throw scimErrors.notFound(`User ${id} not found`);
    return row;
  }

  private requireIn(ctx: CallContext, permissions: readonly string[], divisionId: string, divisionName: string, what: string): void {
    if (!can(ctx.principal, permissions, divisionId)) {
      throw scimErrors.forbidden(`This client may not ${what} users in division "${divisionName}" (needs ${permissions.join(' or ')})`);
    }
  }

  /**
   * A password set on an existing user: directory:user:setPassword in its division, and, when
   * the user holds console grants, the right to grant every one of them (console-rights.ts).
   */
  private async requireMaySetPassword(ctx: CallContext, p: PreparedUser, existing: UserRow): Promise<void> {
    this.requireIn(ctx, SCIM_PERMISSIONS.userSetPassword, p.divisionId, p.divisionName, 'set passwords of');
    await requireMaySignInAs(this.store, ctx.principal, existing, 'Setting the password');
  }

  /**
   * Stores the prepared user with its audit record in one atomic write (one statement on
   * PostgreSQL); what the caller read before may have moved on meanwhile: a version that did
   * (optimistic versioning) or a division or manager deleted since is a VersionConflict,
   * which withRetry answers by reading again.
   */
  private async write(ctx: CallContext, p: PreparedUser, existing: UserRow | undefined, passwordHash: string | undefined, ignored: readonly string[] = []): Promise<UserRow> {
    const now = nowIso();
    const record = {
      id: existing?.id ?? randomUUID(),
      orgId: ctx.org.id,
      userName: p.userName,
      externalId: p.externalId,
      displayName: p.displayName,
      active: p.active,
      divisionId: p.divisionId,
      managerId: p.managerId,
      version: (existing?.version ?? 0) + 1,
      created: existing?.created ?? now,
      lastModified: now,
      data: p.data,
      passwordHash,
    };
    // The row as stored, without reading it back: the names its ids point to are known (the
    // division and a new manager from prepareUser, an unchanged manager from the row before).
    const manager = record.managerId === undefined ? undefined
      : record.managerId === existing?.managerId ? { displayName: existing.managerDisplayName, divisionId: existing.managerDivisionId }
      : p.manager;
    const row: UserRow = {
      ...record, data: JSON.parse(JSON.stringify(record.data)) as JsonObject, divisionName: p.divisionName,
      ...(manager?.displayName !== undefined ? { managerDisplayName: manager.displayName } : {}),
      ...(manager?.divisionId !== undefined ? { managerDivisionId: manager.divisionId } : {}),
    };
    const before = existing ? this.auditView(ctx, existing) : undefined;
    const changes = { ...diffAttributes(before, this.auditView(ctx, row)) } as Record<string, { before?: unknown; after?: unknown }>;
    if (passwordHash !== existing?.passwordHash && passwordHash !== undefined) changes.password = { after: '[redacted]' };
    Object.assign(changes, ignoredChange(ignored));
    const audit = auditRecord(actorOf(ctx), existing ? 'update' : 'create', 'User', row.id, changes, row.divisionId);
    try {
      if (!(await this.store.writeUser({ user: record, previous: existing, audit }))) throw new VersionConflict();
      // A new password ends the user's console sessions, on every node (sessions live in the store).
      if (existing && passwordHash !== existing.passwordHash) await this.store.deleteSessionsOfUser(existing.id);
    } catch (e) {
      if (e instanceof UniqueViolation) throw scimErrors.uniqueness(`User name "${p.userName}" is already in use`);
      if (e instanceof MissingReference) throw new VersionConflict();
      throw e;
    }
    return row;
  }

  /** What the audit trail compares: the user as SCIM shows it, without meta and groups. */
  private auditView(ctx: CallContext, row: UserRow): JsonObject {
    // The manager by id only: its name is another user's data (and may be outside the viewer's divisions).
    const r = userResource(ctx.registry, ctx.scimBaseUrl, { ...row, managerDisplayName: undefined }, undefined);
    delete r.meta;
    return r;
  }

  async create(ctx: CallContext, body: unknown): Promise<UserResult> {
    const ignored: string[] = [];
    const resource = parseResource(ctx.registry, this.rt(ctx), body, ignored);
    checkResourceRules(ctx.registry, this.rt(ctx), resource);
    checkDerivedInBody(ctx, resource);
    // Hashing is slow on purpose: do it before the write, never while holding it. A user created
    // without a password has none (Genesys generates a random one: equally unusable).
    const passwordHash = typeof resource.password === 'string' ? await hashPassword(resource.password) : undefined;
    // Reads, then one atomic write: no transaction held across the lookups.
    return withRetry(undefined, 'user', async () => {
      const p = await prepareUser(this.store, ctx, resource);
      this.requireIn(ctx, SCIM_PERMISSIONS.userAdd, p.divisionId, p.divisionName, 'create');
      const row = await this.write(ctx, p, undefined, passwordHash, ignored);
      return { resource: this.view(ctx, row, {}, []), version: row.version, ...(ignored.length > 0 ? { ignored } : {}) };
    });
  }

  async get(ctx: CallContext, id: string, projection: Projection): Promise<UserResult> {
    const row = await this.readable(this.store, ctx, id);
    return { resource: this.view(ctx, row, projection), version: row.version };
  }

  async version(ctx: CallContext, id: string): Promise<number> {
    return (await this.readable(this.store, ctx, id, false)).version;
  }

  async replace(ctx: CallContext, id: string, body: unknown, ifMatch: string | undefined): Promise<UserResult> {
    const ignored: string[] = [];
    const resource = parseResource(ctx.registry, this.rt(ctx), body, ignored);
    checkResourceRules(ctx.registry, this.rt(ctx), resource);
    checkDerivedInBody(ctx, resource);
    const newHash = typeof resource.password === 'string' ? await hashPassword(resource.password) : undefined;
    // Reads, then one atomic write conditional on the version read (no transaction held).
    return withRetry(ifMatch, 'user', async () => {
      const existing = await this.readable(this.store, ctx, id);
      requireVersion(ifMatch, existing.version);
      this.requireIn(ctx, SCIM_PERMISSIONS.userEdit, existing.divisionId, existing.divisionName, 'edit');
      const p = await prepareUser(this.store, ctx, resource, existing);
      this.requireIn(ctx, SCIM_PERMISSIONS.userEdit, p.divisionId, p.divisionName, 'move');
      if (p.password !== undefined) await this.requireMaySetPassword(ctx, p, existing);
      const row = await this.write(ctx, p, existing, newHash ?? existing.passwordHash, ignored);
      return { resource: this.view(ctx, row, {}, existing.groups), version: row.version, ...(ignored.length > 0 ? { ignored } : {}) };
    });
  }

  async patch(ctx: CallContext, id: string, body: unknown, ifMatch: string | undefined): Promise<UserResult> {
    const ops = parsePatchRequest(body);
    return withRetry(ifMatch, 'user', async () => {
      const existing = await this.readable(this.store, ctx, id);
      requireVersion(ifMatch, existing.version);
      this.requireIn(ctx, SCIM_PERMISSIONS.userEdit, existing.divisionId, existing.divisionName, 'edit');
      const before = userResource(ctx.registry, ctx.scimBaseUrl, existing, undefined);
      delete before.meta;
      const { resource: after, changed } = applyPatch(ctx.registry, this.rt(ctx), before, ops);
      if (!changed) return { resource: this.view(ctx, existing), version: existing.version };
      checkDerivedUnchanged(ctx, before, after);
      const p = await prepareUser(this.store, ctx, after, existing);
      this.requireIn(ctx, SCIM_PERMISSIONS.userEdit, p.divisionId, p.divisionName, 'move');
      if (p.password !== undefined) await this.requireMaySetPassword(ctx, p, existing);
      const hash = p.password !== undefined ? await hashPassword(p.password) : existing.passwordHash;
      const row = await this.write(ctx, p, existing, hash);
      return { resource: this.view(ctx, row, {}, existing.groups), version: row.version };
    });
  }

  async delete(ctx: CallContext, id: string, ifMatch: string | undefined): Promise<void> {
    await this.store.transaction(async (repo) => {
      const existing = await this.readable(repo, ctx, id, false);
      requireVersion(ifMatch, existing.version);
      this.requireIn(ctx, SCIM_PERMISSIONS.userDelete, existing.divisionId, existing.divisionName, 'delete');
      // A concurrent DELETE that got there first leaves nothing to delete: 404, no audit record.
      if (!(await repo.deleteUser(ctx.org.id, id))) throw scimErrors.notFound(`User ${id} not found`);
      await writeAudit(repo, actorOf(ctx), 'delete', 'User', id, diffAttributes(this.auditView(ctx, existing), undefined), existing.divisionId);
    });
  }

  async list(ctx: CallContext, params: RawListParams): Promise<ListResponse<JsonObject>> {
    const rt = this.rt(ctx);
    const q = parseListQuery(ctx.registry, rt, params);
    const query = this.rowQuery(ctx, q, false, true);
    // Each row comes with its groups (one statement for the page).
    const render = async (rows: readonly UserRow[]) =>
      rows.map((row) => projectResource(ctx.registry, rt, userResource(ctx.registry, ctx.scimBaseUrl, scopedRow(ctx, row), row.groups), q.projection));
    if (params.cursor !== undefined) return listWithCursor(this.cursors, ctx.org.id, 'User', params, q.count, query, render);
    const page = await query(undefined, q.count);
    return listResponse(await render(page.items), page.total, q.startIndex);
  }

  /**
   * The user rows of a list query, as the caller may see them (the administration API's and
   * the console's user lists: the same filter, sort, paging and division scope as SCIM, with
   * inactive users included whatever the profile).
   */
  async rows(ctx: CallContext, params: RawListParams): Promise<{ readonly total: number; readonly items: readonly UserRow[]; readonly startIndex: number }> {
    const q = parseListQuery(ctx.registry, this.rt(ctx), params);
    const page = await this.rowQuery(ctx, q, true, false)(undefined, q.count);
    return { total: page.total, items: page.items.map((row) => scopedRow(ctx, row)), startIndex: q.startIndex };
  }

  private groupVisibility(ctx: CallContext) {
    return ctx.registry.publicGroupsOnly ? ('public' as const) : undefined;
  }

  /** The groups a user's SCIM view shows: Genesys shows public groups only. */
  private groupSelection(ctx: CallContext): GroupSelection {
    const visibility = this.groupVisibility(ctx);
    return visibility ? { visibility } : {};
  }

  /** `withGroups`: each row read with its groups (what SCIM shows), for lists that render them. */
  private rowQuery(ctx: CallContext, q: ReturnType<typeof parseListQuery>, includeInactive: boolean, withGroups: boolean) {
    const divisions = divisionsWith(ctx.principal, SCIM_PERMISSIONS.userView);
    const filter = q.filter;
    const groupVisibility = this.groupVisibility(ctx);
    // A user's `groups` live in membership rows: read with the users when the list shows them
    // or the filter reads them (what SQL cannot decide of the filter is evaluated on the row).
    const readGroups = withGroups || (filter !== undefined && filterMentions(filter, 'groups'));
    const query = (keyset: Keyset | undefined, count: number) => this.store.queryUsers(ctx.org.id, {
      filter,
      matches: (row) => !filter || matchesFilter(filter, userResource(ctx.registry, ctx.scimBaseUrl, scopedRow(ctx, row), row.groups)),
      groupVisibility,
      ...(readGroups ? { withGroups: this.groupSelection(ctx) } : {}),
      divisionByName: ctx.registry.divisionByName,
      managerMustBeUser: ctx.registry.managerMustBeUser,
      startIndex: q.startIndex,
      count,
      sort: q.sort,
      keyset,
      // Genesys lists only active users when no filter is given.
      activeOnly: !includeInactive && ctx.registry.activeOnlyByDefault && filter === undefined,
      divisionIds: divisions === ALL_DIVISIONS ? undefined : divisions,
    });
    return query;
  }
}

