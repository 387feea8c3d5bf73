// Chooses the store: PostgreSQL when a DATABASE_URL is given, else the embedded SQLite file.
import type { Store } from './contract.ts';
import { openPostgresStore } from './postgres/postgres-store.ts';
import { openSqliteStore } from './sqlite/sqlite-store.ts';

export interface StoreConfig {
  readonly dbPath: string;
  readonly databaseUrl?: string;
  readonly dbPoolSize?: number;
}

/** Opens the store and brings its schema up to date (migrations run under a lock). */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.databaseUrl) return openPostgresStore({ connectionString: config.databaseUrl, poolSize: config.dbPoolSize });
  return openSqliteStore({ path: config.dbPath });
}
