// The composition root shared by main.ts, the CLI and the tests: one set of services per store.
import { TokenService } from './auth/token-service.ts';
import { GroupService } from './directory/groups.ts';
import { UserService } from './directory/users.ts';
import { createRegistry, type Registry } from './scim/index.ts';
import type { ScimProfile, Store } from './store/contract.ts';

export interface Services {
  readonly store: Store;
  readonly tokens: TokenService;
  readonly users: UserService;
  readonly groups: GroupService;
  readonly registries: Readonly<Record<ScimProfile, Registry>>;
}

export interface ServiceOptions {
  readonly tokenTtlSeconds: number;
  readonly tokenCacheTtlMs: number;
}

export function createServices(store: Store, options: ServiceOptions): Services {
  return Object.freeze({
    store,
    tokens: new TokenService(store, { tokenTtlSeconds: options.tokenTtlSeconds, cacheTtlMs: options.tokenCacheTtlMs, cacheMaxEntries: 10000 }),
    users: new UserService(store),
    groups: new GroupService(store),
    registries: Object.freeze({ genesys: createRegistry('genesys'), standard: createRegistry('standard') }),
  });
}
