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
    close: () => store.close(),
  };
}

export function remoteBackend(url: string, token: string): AdminBackend {
  const base = url.replace(/\/+$/, '');
  async function request(method: string, path: string, body?: unknown): Promise<Entity> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as Entity) : {};
    if (!res.ok) throw new CliError(`${method} ${path}: ${res.status} ${typeof json.message === 'string' ? json.message : text}`);
    return json;
  }
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
    async close() {},
  };
}
