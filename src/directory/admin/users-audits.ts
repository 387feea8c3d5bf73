// Read-only views for the console: /api/v2/users (Genesys' user shape, trimmed) and the audit
// trail, /api/v2/audits, paged by an opaque cursor.
import { ALL_DIVISIONS, can, divisionsWith } from '../../auth/permissions.ts';
import { ENTERPRISE_USER_SCHEMA, isObject, scimErrors, textSearchFilter, type Registry } from '../../scim/index.ts';
import type { UserService } from '../users.ts';
import type { AuditRecord, Store, UserRow } from '../../store/contract.ts';
import { pageParams, requirePermission, scimContextOf, type AdminContext, type EntityPage } from './context.ts';
import { Sealer } from '../sealed.ts';

export interface UserEntity {
  id: string;
  name?: string;
  email: string;
  state: 'active' | 'inactive';
  title?: string;
  department?: string;
  division: { id: string; name: string };
  manager?: { id: string };
  version: number;
  selfUri: string;
}

const VIEW = ['directory:user:view', 'directory:user:edit'];

function userEntity(u: UserRow): UserEntity {
  const ent = isObject(u.data[ENTERPRISE_USER_SCHEMA]) ? (u.data[ENTERPRISE_USER_SCHEMA] as Record<string, unknown>) : {};
  return {
    id: u.id, ...(u.displayName ? { name: u.displayName } : {}), email: u.userName, state: u.active ? 'active' : 'inactive',
    ...(typeof u.data.title === 'string' ? { title: u.data.title } : {}), ...(typeof ent.department === 'string' ? { department: ent.department } : {}),
    division: { id: u.divisionId, name: u.divisionName }, ...(u.managerId ? { manager: { id: u.managerId } } : {}), version: u.version, selfUri: `/api/v2/users/${u.id}`,
  };
}

/** What a plain-text user search looks in (userName is the login email in the genesys profile). */
export const USER_SEARCH_ATTRIBUTES = ['userName', 'displayName'] as const;

export class UserReader {
  constructor(
    private readonly store: Store,
    private readonly users: UserService,
    private readonly registries: Readonly<Record<string, Registry>>,
  ) {}

  /**
   * A page of users: `q` searches the text in userName and displayName, `filter` is a SCIM
   * filter (one or the other), `sortBy`/`sortOrder` as in SCIM. Inactive users included.
   */
  async list(ctx: AdminContext, query: Record<string, unknown>): Promise<EntityPage<UserEntity>> {
    const divisions = divisionsWith(ctx.principal, VIEW);
    if (divisions !== ALL_DIVISIONS && divisions.length === 0) throw scimErrors.forbidden('Missing permission directory:user:view');
    const p = pageParams(query);
    const text = (name: string) => (typeof query[name] === 'string' && (query[name] as string).trim() !== '' ? (query[name] as string) : undefined);
    if (text('q') !== undefined && text('filter') !== undefined) throw scimErrors.badRequest('Give q (text search) or filter (a SCIM filter), not both');
    const filter = text('filter') ?? (text('q') !== undefined ? textSearchFilter(text('q')!, USER_SEARCH_ATTRIBUTES) : undefined);
    const page = await this.users.rows(scimContextOf(ctx, this.registries), {
      ...(filter ? { filter } : {}), ...(text('sortBy') ? { sortBy: text('sortBy') } : {}), ...(text('sortOrder') ? { sortOrder: text('sortOrder') } : {}),
      startIndex: String((p.pageNumber - 1) * p.pageSize + 1), count: String(p.pageSize),
    });
    return { entities: page.items.map(userEntity), pageSize: p.pageSize, pageNumber: p.pageNumber, total: page.total, pageCount: Math.ceil(page.total / p.pageSize) };
  }

  async get(ctx: AdminContext, id: string): Promise<UserEntity> {
    const u = await this.store.getUser(ctx.org.id, id);
    if (!u || !can(ctx.principal, VIEW, u.divisionId)) throw scimErrors.notFound(`User ${id} not found`);
    return userEntity(u);
  }
}

export interface AuditEntityPage {
  entities: Omit<AuditRecord, 'orgId'>[];
  pageSize: number;
  cursor?: string;
}

/** The audit position a sealed cursor stands for. */
async function openCursor(sealer: Sealer, orgId: string, cursor: string): Promise<number> {
  const seq = await sealer.open(orgId, cursor);
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw scimErrors.badRequest('cursor is not one this server issued');
  return seq as number;
}

function isoParam(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw scimErrors.badRequest(`${name} must be an ISO 8601 date-time`);
  return new Date(v).toISOString();
}

const MEMBER_KEYS = ['members.added', 'members.removed'];

export class AuditReader {
  private readonly sealer: Sealer;

  constructor(private readonly store: Store) {
    this.sealer = new Sealer(store, 'audit-cursor');
  }

  /** Group records with the member ids of users outside `divisions` taken out; records left empty are dropped. */
  private async withoutHiddenMembers(ctx: AdminContext, records: readonly AuditRecord[], divisions: readonly string[]): Promise<AuditRecord[]> {
    const ids = new Set<string>();
    for (const r of records) {
      if (r.resourceType !== 'Group') continue;
      for (const k of MEMBER_KEYS) for (const side of Object.values(r.changes[k] ?? {})) if (Array.isArray(side)) for (const id of side) ids.add(String(id));
    }
    const visible = ids.size > 0 ? await this.store.userIdsExist(ctx.org.id, [...ids], divisions) : new Set<string>();
    const out: AuditRecord[] = [];
    for (const r of records) {
      if (r.resourceType !== 'Group') {
        out.push(r);
        continue;
      }
      const changes: Record<string, { before?: unknown; after?: unknown }> = {};
      for (const [k, v] of Object.entries(r.changes)) {
        if (k === 'members.cleared') continue; // a count over members the caller may not see
        if (!MEMBER_KEYS.includes(k)) {
          changes[k] = v;
          continue;
        }
        const kept = Object.fromEntries(Object.entries(v).map(([side, list]) => [side, (list as unknown[]).filter((id) => visible.has(String(id)))]).filter(([, list]) => (list as unknown[]).length > 0));
        if (Object.keys(kept).length > 0) changes[k] = kept;
      }
      if (Object.keys(changes).length > 0) out.push({ ...r, changes });
    }
    return out;
  }

  /**
   * A division-scoped viewer reads records of users in its divisions and records of groups
   * (which live outside divisions) with member ids it may not see taken out; every other
   * record (divisions, roles, clients, routing names) needs the permission on every division.
   */
  async query(ctx: AdminContext, query: Record<string, unknown>): Promise<AuditEntityPage> {
    const { pageSize } = pageParams({ pageSize: query.pageSize });
    const str = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
    const page = await this.records(ctx, {
      resourceId: str('resourceId'), clientId: str('clientId'), from: isoParam(query, 'from'), to: isoParam(query, 'to'),
      after: str('cursor') !== undefined ? await openCursor(this.sealer, ctx.org.id, str('cursor')!) : undefined, limit: pageSize, newestFirst: str('order') === 'desc',
    });
    return {
      entities: page.entities.map(({ orgId: _o, seq: _s, ...rest }) => rest),
      pageSize,
      ...(page.next !== undefined ? { cursor: await this.sealer.seal(ctx.org.id, page.next) } : {}),
    };
  }

  /** Records as the caller may see them (see query), newest first unless asked otherwise; with their positions. */
  async records(ctx: AdminContext, q: { limit: number; after?: number; resourceId?: string; clientId?: string; from?: string; to?: string; newestFirst?: boolean }): Promise<{ entities: AuditRecord[]; next?: number }> {
    requirePermission(ctx, 'audits:audit:view');
    const auditScope = divisionsWith(ctx.principal, ['audits:audit:view']);
    const page = await this.store.queryAudits(ctx.org.id, {
      ...q, newestFirst: q.newestFirst ?? true,
      ...(auditScope === ALL_DIVISIONS ? {} : { scope: { divisionIds: auditScope, alsoTypes: ['Group'] } }),
    });
    const entities = auditScope === ALL_DIVISIONS ? [...page.entities] : await this.withoutHiddenMembers(ctx, page.entities, auditScope);
    return { entities, ...(page.next !== undefined ? { next: page.next } : {}) };
  }

}
