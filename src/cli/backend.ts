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
  let ctx: AdminContext;
  try {
    ctx = {
      principal: { orgId: '', clientId: 'cli', grants: [{ permissions: ['*'], divisionId: ALL_DIVISIONS }] },
      org: await resolveOrg(store, org),
      requestId: `cli-${process.pid}`,
      publicUrl: '',
    };
    ctx = { ...ctx, principal: { ...ctx.principal, orgId: ctx.org.id } };
  } catch (e) {
    await store.close();
    throw e;
  }
  const admin = services.admin;
  const all = { pageSize: '500' };
  return {
    async list(kind) {
      const page = kind === 'divisions' ? await admin.divisions.list(ctx, all) : kind === 'groups' ? await admin.groups.list(ctx, all) : kind === 'roles' ? await admin.roles.list(ctx, all) : await admin.clients.list(ctx, all);
      return page.entities as unknown as Entity[];
    },
    async create(kind, body) {
      const e = kind === 'divisions' ? await admin.divisions.create(ctx, body) : kind === 'groups' ? await admin.groups.create(ctx, body) : kind === 'roles' ? await admin.roles.create(ctx, body) : await admin.clients.create(ctx, body);
      return e as unknown as Entity;
    },
    async rotateSecret(clientId) {
      return (await admin.clients.rotateSecret(ctx, clientId)) as unknown as Entity;
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
    rotateSecret: (clientId) => request('POST', `${PATHS.clients}/${encodeURIComponent(clientId)}/secret`),
    async close() {},
  };
}
