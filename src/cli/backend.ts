// Where CLI commands go: straight to the store (bootstrap, recovery; safe while a server runs:
// SQLite WAL with a busy timeout) or to a running server's administration API with a token.
import { ALL_DIVISIONS } from '../auth/permissions.ts';
import type { AdminContext } from '../directory/admin/context.ts';
import { createServices, type Services } from '../services.ts';
import type { Organization, Store } from '../store/contract.ts';
import { openStore as open, type StoreConfig } from '../store/open.ts';

export type Kind = 'divisions' | 'groups' | 'roles' | 'clients';
export type Entity = Record<string, unknown>;

export interface AdminBackend {
  list(kind: Kind): Promise<Entity[]>;
  create(kind: Kind, body: Entity): Promise<Entity>;
  update(kind: Kind, id: string, body: Entity): Promise<Entity>;
  remove(kind: Kind, id: string): Promise<void>;
  rotateSecret(clientId: string): Promise<Entity>;
  /** A page of users (q: text, filter: SCIM filter), as GET /api/v2/users answers. */
  users(query: Record<string, string>): Promise<{ entities: Entity[]; total: number }>;
  user(id: string): Promise<Entity>;
  setUserState(id: string, state: 'active' | 'inactive'): Promise<Entity>;
  deleteUser(id: string): Promise<void>;
  members(groupId: string): Promise<Entity[]>;
  changeMembers(groupId: string, add: readonly string[], remove: readonly string[]): Promise<void>;
  audits(query: Record<string, string>): Promise<{ entities: Entity[]; cursor?: string }>;
  activity(query: Record<string, string>): Promise<{ entries: Entity[]; cursor?: string }>;
  close(): Promise<void>;
}

export class CliError extends Error {}

const PATHS: Record<Kind, string> = {
  divisions: '/api/v2/authorization/divisions',
  groups: '/api/v2/groups',
  roles: '/api/v2/authorization/roles',
  clients: '/api/v2/oauth/clients',
};

export function openStore(config: StoreConfig): Promise<Store> {
  return open(config);
}

/** Resolves `--org` (id or name); without it, the only organization there is. */
export async function resolveOrg(store: Store, org: string | undefined): Promise<Organization> {
  const all = await store.listOrganizations();
  if (org !== undefined) {
    const found = all.find((o) => o.id === org || o.name.toLowerCase() === org.toLowerCase());
    if (!found) throw new CliError(`No organization "${org}"`);
    return found;
  }
  if (all.length === 1) return all[0];
  throw new CliError(all.length === 0 ? 'No organization yet: run `scimitar org create <name>` or `npm start` once' : 'Several organizations exist: pass --org <id or name>');
}

export async function localBackend(config: StoreConfig, org: string | undefined): Promise<AdminBackend> {
  const store = await openStore(config);
  const services: Services = createServices(store, { tokenTtlSeconds: 86400, tokenCacheTtlMs: 0 });
  let organization: Organization;
  try {
    organization = await resolveOrg(store, org);
  } catch (e) {
    await store.close();
    throw e;
  }
  const ctx: AdminContext = {
    principal: { orgId: organization.id, clientId: 'cli', grants: [{ permissions: ['*'], divisionId: ALL_DIVISIONS }] },
    org: organization,
    requestId: `cli-${process.pid}`,
    publicUrl: '',
  };
  // The four admin services share list/create; one table dispatches by kind.
  const byKind: Record<Kind, {
    list(c: AdminContext, q: Record<string, unknown>): Promise<{ entities: readonly unknown[] }>;
    create(c: AdminContext, b: unknown): Promise<unknown>;
    update(c: AdminContext, id: string, b: unknown): Promise<unknown>;
    delete(c: AdminContext, id: string): Promise<void>;
  }> = {
    divisions: services.admin.divisions,
    groups: services.admin.groups,
    roles: services.admin.roles,
    clients: services.admin.clients,
  };
  return {
    async list(kind) {
      return (await byKind[kind].list(ctx, { pageSize: '500' })).entities as Entity[];
    },
    async create(kind, body) {
      return (await byKind[kind].create(ctx, body)) as Entity;
    },
    async update(kind, id, body) {
      return (await byKind[kind].update(ctx, id, body)) as Entity;
    },
    remove: (kind, id) => byKind[kind].delete(ctx, id),
    async rotateSecret(clientId) {
      return (await services.admin.clients.rotateSecret(ctx, clientId)) as unknown as Entity;
    },
    async users(query) {
      const page = await services.admin.users.list(ctx, query);
      return { entities: page.entities as unknown as Entity[], total: page.total };
    },
    user: async (id) => (await services.admin.users.get(ctx, id)) as unknown as Entity,
    setUserState: async (id, state) => (await services.admin.userActions.setState(ctx, id, { state })) as unknown as Entity,
    deleteUser: (id) => services.admin.userActions.delete(ctx, id),
    members: async (groupId) => (await services.admin.groups.members(ctx, groupId, { pageSize: '500' })).entities as unknown as Entity[],
    async changeMembers(groupId, add, remove) {
      if (add.length > 0) await services.admin.groups.addMembers(ctx, groupId, { memberIds: add });
      if (remove.length > 0) await services.admin.groups.removeMembers(ctx, groupId, remove.join(','));
    },
    audits: async (query) => (await services.admin.audits.query(ctx, query)) as unknown as { entities: Entity[]; cursor?: string },
    activity: async (query) =>
      (await services.admin.activity.page(ctx, { ...query, limit: Number(query.pageSize ?? 50), outcome: query.outcome as 'accepted' | 'refused' | undefined })) as unknown as { entries: Entity[]; cursor?: string },
    close: () => store.close(),
  };
}

export function remoteBackend(url: string, token: string): AdminBackend {
  const base = url.replace(/\/+$/, '');
  async function request(method: string, path: string, body?: unknown): Promise<Entity> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`Cannot reach ${base}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    }
    const text = await res.text();
    let json: Entity = {};
    try {
      json = text ? (JSON.parse(text) as Entity) : {};
    } catch {
      throw new CliError(`${method} ${path}: ${res.status}, and the answer is not JSON (is ${base} a Scimitar server?)`);
    }
    if (!res.ok) throw new CliError(`${method} ${path}: ${res.status} ${typeof json.message === 'string' ? json.message : text}`);
    return json;
  }
  const qs = (query: Record<string, string>) => new URLSearchParams(query).toString();
  return {
    async list(kind) {
      return (await request('GET', `${PATHS[kind]}?pageSize=500`)).entities as Entity[];
    },
    create: (kind, body) => request('POST', PATHS[kind], body),
    update: (kind, id, body) => request('PUT', `${PATHS[kind]}/${encodeURIComponent(id)}`, body),
    async remove(kind, id) {
      await request('DELETE', `${PATHS[kind]}/${encodeURIComponent(id)}`);
    },
    rotateSecret: (clientId) => request('POST', `${PATHS.clients}/${encodeURIComponent(clientId)}/secret`),
    users: async (query) => (await request('GET', `/api/v2/users?${qs(query)}`)) as { entities: Entity[]; total: number },
    user: (id) => request('GET', `/api/v2/users/${encodeURIComponent(id)}`),
    setUserState: (id, state) => request('PATCH', `/api/v2/users/${encodeURIComponent(id)}`, { state }),
    async deleteUser(id) {
      await request('DELETE', `/api/v2/users/${encodeURIComponent(id)}`);
    },
    members: async (groupId) => (await request('GET', `${PATHS.groups}/${encodeURIComponent(groupId)}/members?pageSize=500`)).entities as Entity[],
    async changeMembers(groupId, add, remove) {
      if (add.length > 0) await request('POST', `${PATHS.groups}/${encodeURIComponent(groupId)}/members`, { memberIds: add });
      if (remove.length > 0) await request('DELETE', `${PATHS.groups}/${encodeURIComponent(groupId)}/members?${qs({ ids: remove.join(',') })}`);
    },
    audits: async (query) => (await request('GET', `/api/v2/audits?${qs(query)}`)) as { entities: Entity[]; cursor?: string },
    activity: async (query) => (await request('GET', `/api/v2/activity?${qs(query)}`)) as { entries: Entity[]; cursor?: string },
    async close() {},
  };
}
