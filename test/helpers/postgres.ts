// PostgreSQL for tests: a fresh schema per store, dropped afterwards. When no server is
// reachable the PostgreSQL tests are skipped LOUDLY, unless TEST_REQUIRE_POSTGRES=1
// (set by .ci/run), which turns that into a failure.
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { Store } from '../../src/store/contract.ts';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<boolean> | undefined;

export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const c = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/** undefined = run the tests; a string = skip them with this reason. Throws when PostgreSQL is required. */
export async function postgresSkipReason(): Promise<string | undefined> {
  if (await postgresReachable()) return undefined;
  const msg = `PostgreSQL is not reachable at ${POSTGRES_URL}: PostgreSQL tests SKIPPED`;
  if (process.env.TEST_REQUIRE_POSTGRES === '1') throw new Error(`${msg} but TEST_REQUIRE_POSTGRES=1`);
  process.stderr.write(`\n*** ${msg} ***\n\n`);
  return msg;
}

export function freshSchemaName(): string {
  return `scimitar_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

export async function adminQuery<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: POSTGRES_URL });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

export async function openTestPostgres(options: { maxCandidates?: number; schema?: string; applicationName?: string } = {}): Promise<{ store: Store; schema: string; cleanup(): Promise<void> }> {
  const schema = options.schema ?? freshSchemaName();
  const store = await openPostgresStore({ connectionString: POSTGRES_URL, schema, poolSize: 5, applicationName: options.applicationName, ...(options.maxCandidates ? { limits: { maxCandidates: options.maxCandidates } } : {}) });
  return {
    store,
    schema,
    async cleanup() {
      await store.close();
      await dropSchema(schema);
    },
  };
}
