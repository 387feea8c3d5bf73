// PostgreSQL for tests: a fresh schema per store, dropped afterwards. When no server is
// reachable the PostgreSQL tests are skipped LOUDLY, unless TEST_REQUIRE_POSTGRES=1
// (set by .ci/run), which turns that into a failure.
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { Store } from '../../src/store/contract.ts';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from '../../src/store/sql/executor.ts';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<string | undefined> | undefined;

/**
 * undefined when a server answers, else why not. A few attempts: on a loaded 2-core machine
 * (two test files at once, one driving Chromium) a first connection can take seconds, and a
 * test file that probes at that moment must not be taken for one with no server.
 */
function probe(): Promise<string | undefined> {
  reachable ??= (async () => {
    let why = '';
    for (let attempt = 1; attempt <= 4; attempt++) {
      const c = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
      try {
        await c.connect();
        await c.query('SELECT 1');
        return undefined;
      } catch (e) {
        why = (e as Error).message;
        process.stderr.write(`PostgreSQL probe, attempt ${attempt}: ${why}\n`);
      } finally {
        await c.end().catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
    return why;
  })();
  return reachable;
}

/** undefined = run the tests; a string = skip them with this reason. Throws when PostgreSQL is required. */
export async function postgresSkipReason(): Promise<string | undefined> {
  const why = await probe();
  if (why === undefined) return undefined;
  const msg = `PostgreSQL is not reachable at ${POSTGRES_URL} (${why}): PostgreSQL tests SKIPPED`;
  if (process.env.TEST_REQUIRE_POSTGRES === '1') throw new Error(`${msg} but TEST_REQUIRE_POSTGRES=1`);
  process.stderr.write(`\n*** ${msg} ***\n\n`);
  return msg;
}

export function freshSchemaName(): string {
  return `scimitar_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

/**
 * Waits until every transaction running now, anywhere in the cluster, has ended. The event
 * feed shows an event only once no older transaction is still running (commit order,
 * src/store/postgres: `commitOrder`), and the test files run beside one another, each with
 * its own transactions: an event written a moment ago can be hidden for that long.
 */
export async function untilRunningTransactionsEnd(timeoutMs = 10_000): Promise<void> {
  const c = new pg.Client({ connectionString: POSTGRES_URL });
  await c.connect();
  try {
    // A transaction id newer than any running one (its own transaction ends with the statement).
    const { xid } = (await c.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')).rows[0];
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await c.query<{ done: boolean }>('SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8 AS done', [xid])).rows[0].done) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`transactions older than ${xid} were still running after ${timeoutMs} ms`);
  } finally {
    await c.end();
  }
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

/** The store's limits a test asks for (the defaults otherwise). */
export function testLimits(options: { maxCandidates?: number; preparedStatements?: number }): { limits?: QueryLimits } {
  if (!options.maxCandidates && !options.preparedStatements) return {};
  return { limits: { maxCandidates: options.maxCandidates ?? DEFAULT_QUERY_LIMITS.maxCandidates, ...(options.preparedStatements ? { preparedStatements: options.preparedStatements } : {}) } };
}

export async function openTestPostgres(options: { maxCandidates?: number; preparedStatements?: number; schema?: string; applicationName?: string } = {}): Promise<{ store: Store; schema: string; cleanup(): Promise<void> }> {
  const schema = options.schema ?? freshSchemaName();
  const store = await openPostgresStore({ connectionString: POSTGRES_URL, schema, poolSize: 5, applicationName: options.applicationName, ...testLimits(options) });
  return {
    store,
    schema,
    async cleanup() {
      await store.close();
      await dropSchema(schema);
    },
  };
}
