// The PostgreSQL dialect: a pg Pool; each transaction runs on one pooled connection.
// The shared SQL repository emits `?` placeholders; here they become $1, $2, ...
// Connection failures become 503 with Retry-After; the pool reconnects by itself.
import pg from 'pg';
import { scimErrors } from '../../scim/index.ts';
import { MissingReference, UniqueViolation, type Repository, type Store } from '../contract.ts';
import { DEFAULT_QUERY_LIMITS, timedExecutor, type DialectFeatures, type QueryLimits, type QueryObserver, type Row, type SqlExecutor } from '../sql/executor.ts';
import { createSqlRepository } from '../sql/repository.ts';
import { POSTGRES_MIGRATIONS } from './migrations.ts';
import { PREPARED_STATEMENTS, StatementNames } from '../sql/statement-cache.ts';

export interface PostgresOptions {
  readonly connectionString: string;
  /** Schema to use (created if absent); default: the connection's search_path. */
  readonly schema?: string;
  readonly poolSize?: number;
  readonly limits?: QueryLimits;
  /** Seconds a client should wait after a 503. */
  readonly retryAfterSeconds?: number;
  /** application_name of the connections (visible in pg_stat_activity). */
  readonly applicationName?: string;
}

// Advisory lock key for migrations: two nodes starting together migrate once.
const MIGRATION_LOCK = 0x5c1a1;

export const POSTGRES_FEATURES: DialectFeatures = {
  userCounts: true,
  rowLocks: true,
  writableCte: true,
  jsonArrayAgg: (elements, order) => `coalesce(json_agg(json_build_array(${elements}) ORDER BY ${order}), '[]'::json)`,
  columnArrays: (types) => `SELECT * FROM unnest(${types.map((t) => `?::${t}[]`).join(', ')})`,
  // xid8 never wraps; rows written before migration 16 have none and come first.
  commitOrder: {
    select: `COALESCE(xid::text, '0') AS commit_pos`,
    order: 'xid NULLS FIRST, seq',
    reverse: 'xid DESC NULLS LAST, seq DESC',
    visible: '(xid IS NULL OR xid < pg_snapshot_xmin(pg_current_snapshot()))',
    after: (commit, seq) => (commit === '0' ? { sql: '(xid IS NOT NULL OR seq > ?)', params: [seq] } : { sql: '(xid > ?::xid8 OR (xid = ?::xid8 AND seq > ?))', params: [commit, commit, seq] }),
  },
};

/** `?` -> `$n`. The repository never puts `?` inside SQL string literals. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '53300']);

function isConnectionError(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return (err.code !== undefined && (CONNECTION_CODES.has(err.code) || err.code.startsWith('08'))) ||
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(err.message ?? '');
}

export async function openPostgresStore(options: PostgresOptions): Promise<Store> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    application_name: options.applicationName ?? 'scimitar',
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // A client losing its connection must not crash the process: idle ones are dropped by the
  // pool, checked-out ones fail their next query (-> 503) and are released as broken.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const retryAfter = options.retryAfterSeconds ?? 5;

  const translate = (e: unknown): never => {
    const err = e as { code?: string; constraint?: string };
    if (err.code === '23505') throw new UniqueViolation(err.constraint ?? 'unknown');
    if (err.code === '23503') throw new MissingReference(err.constraint ?? 'unknown');
    if (isConnectionError(e)) throw scimErrors.unavailable('The database is unavailable; retry shortly', retryAfter);
    throw e;
  };

  // Named statements: PostgreSQL parses and plans each distinct SQL text once per connection
  // instead of on every call; a bounded number of them (statement-cache.ts).
  const names = new StatementNames(options.limits?.preparedStatements ?? PREPARED_STATEMENTS, numberPlaceholders);
  const statement = (sql: string, values: unknown[]): pg.QueryConfig => ({ ...names.of(sql), values });
  const executor = (q: pg.Pool | pg.PoolClient): SqlExecutor => {
    const query = async (sql: string, params: readonly unknown[]) => {
      try {
        return await q.query(statement(sql, params as unknown[]));
      } catch (e) {
        return translate(e);
      }
    };
    const rows = async (sql: string, params: readonly unknown[]) => (await query(sql, params)).rows as Row[];
    return {
      all: rows,
      returning: rows,
      run: async (sql, params) => (await query(sql, params)).rowCount ?? 0,
    };
  };

  const limits = options.limits ?? DEFAULT_QUERY_LIMITS;
  // One channel per schema: stores in other schemas of the database do not hear it.
  const channel = `scimitar_${schema ?? 'public'}`;
  const client = await pool.connect().catch(translate);
  try {
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await migrate(client);
  } finally {
    client.release();
  }

  let observer: QueryObserver | undefined;
  const timed = (q: pg.Pool | pg.PoolClient) => timedExecutor(executor(q), () => observer);
  const repo = createSqlRepository(timed(pool), limits, POSTGRES_FEATURES);
  // A transaction's repository, one per pooled connection, made on its first transaction:
  // building one takes about 0.3 ms of CPU (a third of an empty transaction's, measured), and
  // the pool hands the same connections out again. A connection dropped as broken takes its
  // repository with it.
  const transactionRepos = new WeakMap<pg.PoolClient, Repository>();
  const transactionRepo = (c: pg.PoolClient): Repository => {
    let tx = transactionRepos.get(c);
    if (!tx) transactionRepos.set(c, (tx = createSqlRepository(timed(c), limits, POSTGRES_FEATURES)));
    return tx;
  };
  const stats = { transactions: 0, commits: 0 };
  const store: Store = {
    ...repo,
    // A membership write that checks the version locks the group and compares in a second
    // statement (groups.ts), so it needs a transaction; one that does not is one statement.
    writeMembers: (w) => (w.expectedVersion === undefined ? repo.writeMembers(w) : store.transaction((tx) => tx.writeMembers(w))),
    dialect: 'postgres' as const,
    async transaction<T>(fn: (tx: Repository) => Promise<T>): Promise<T> {
      stats.transactions++;
      const c = await pool.connect().catch(translate);
      let broken = false;
      try {
        await c.query('BEGIN').catch(translate);
        const result = await fn(transactionRepo(c));
        await c.query('COMMIT').catch(translate);
        stats.commits++;
        return result;
      } catch (e) {
        try {
          await c.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw e;
      } finally {
        c.release(broken);
      }
    },
    async ping() {
      await executor(pool).all('SELECT 1', []);
    },
    instrument(o: QueryObserver) {
      observer = o;
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    commitStats: () => ({ ...stats }),
    async broadcast(message: string) {
      await pool.query('SELECT pg_notify($1, $2)', [channel, message]).catch(translate);
    },
    subscribe: (handler: (message: string) => void) => listen(options, channel, handler),
    async close() {
      await pool.end();
    },
  };
  return store;
}

/**
 * LISTEN on a connection of its own (a pooled one would be handed to queries). When it
 * drops, reconnect with backoff and tell the handler '*': what was sent meanwhile is lost.
 */
async function listen(options: PostgresOptions, channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
  let stopped = false;
  let current: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (delayMs: number): Promise<void> => {
    const c = new pg.Client({ connectionString: options.connectionString, application_name: `${options.applicationName ?? 'scimitar'}-listen` });
    c.on('notification', (n) => {
      if (n.channel === channel) handler(n.payload ?? '*');
    });
    const reconnect = () => {
      if (stopped || current !== c) return;
      current = undefined;
      c.end().catch(() => undefined);
      retry = setTimeout(() => void connect(Math.min(delayMs * 2, 30_000)), delayMs);
    };
    c.on('error', reconnect);
    c.on('end', reconnect);
    current = c;
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      if (delayMs > 250) handler('*');
    } catch {
      reconnect();
    }
  };
  await connect(250);
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await current?.end().catch(() => undefined);
  };
}

async function migrate(c: pg.PoolClient): Promise<void> {
  await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const applied = new Set((await c.query('SELECT version FROM schema_migrations')).rows.map((r: { version: number }) => r.version));
    for (const m of POSTGRES_MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await c.query('BEGIN');
      try {
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, new Date().toISOString()]);
        await c.query('COMMIT');
      } catch (e) {
        await c.query('ROLLBACK');
        throw e;
      }
    }
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}
