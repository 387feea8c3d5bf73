// The SQLite dialect: better-sqlite3 (synchronous) in WAL mode with foreign keys on.
// One connection; transactions are serialised through a promise queue so that a
// transaction's awaits can never interleave with another request's statements.
import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MissingReference, UniqueViolation, type Repository, type Store, writesInTransaction } from '../contract.ts';
import { DEFAULT_QUERY_LIMITS, timedExecutor, type DialectFeatures, type QueryLimits, type QueryObserver, type Row, type SqlExecutor } from '../sql/executor.ts';
import { createSqlRepository } from '../sql/repository.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import { PREPARED_STATEMENTS, StatementCache } from '../sql/statement-cache.ts';

export interface SqliteOptions {
  /** File path, or ':memory:'. */
  readonly path: string;
  readonly limits?: QueryLimits;
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  for (const m of SQLITE_MIGRATIONS) {
    if (applied.has(m.version)) continue;
    // BEGIN IMMEDIATE takes the write lock, so a CLI and a server starting together do not race.
    db.exec('BEGIN IMMEDIATE');
    try {
      const again = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version);
      if (!again) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
      }
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
  }
}

function uniqueViolation(e: unknown): never {
  const err = e as { code?: string; message?: string };
  if (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const m = /constraint failed: (.*)$/.exec(err.message ?? '');
    throw new UniqueViolation(m ? m[1] : 'unknown');
  }
  if (err.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new MissingReference('foreign key');
  throw e;
}

/** Why a SQLite store could not be opened, in one line for the operator. */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}

const SYSTEM_TREES = ['/proc', '/sys', '/dev'];

/**
 * Makes the database's folder (owner-only) and file (owner-only, 0600) or says in one line
 * why it cannot: a folder where the file should be, a file where a folder should be, or a
 * kernel tree (/proc, /sys, /dev) where mkdir never succeeds.
 */
function prepareFile(path: string): void {
  const full = resolve(path);
  if (SYSTEM_TREES.some((t) => full === t || full.startsWith(`${t}/`))) throw new StoreOpenError(`${path} is inside ${full.split('/').slice(0, 2).join('/')}, which cannot hold a database`);
  if (existsSync(full)) {
    if (statSync(full).isDirectory()) throw new StoreOpenError(`${path} is a directory, not a database file`);
    return;
  }
  let ancestor = dirname(full);
  while (!existsSync(ancestor)) ancestor = dirname(ancestor);
  if (!statSync(ancestor).isDirectory()) throw new StoreOpenError(`${path} is under ${ancestor}, which is a file, not a directory`);
  mkdirSync(dirname(full), { recursive: true, mode: 0o700 });
  // SQLite gives its -wal and -shm files the main file's mode.
  closeSync(openSync(full, 'a', 0o600));
}

/** SQLite's own refusals, said plainly. */
function openError(path: string, e: unknown): StoreOpenError {
  const err = e as { code?: string; message?: string };
  const why =
    err.code === 'SQLITE_NOTADB' ? 'the file is not a SQLite database'
    : err.code === 'SQLITE_READONLY' || err.code === 'EACCES' || err.code === 'SQLITE_CANTOPEN' ? `it cannot be opened for writing (${err.message})`
    : (err.message ?? String(e));
  return new StoreOpenError(`Cannot open the SQLite store at ${path}: ${why}`);
}

export function openSqliteStore(options: SqliteOptions): Store {
  let db: Database.Database;
  try {
    if (options.path !== ':memory:') prepareFile(options.path);
    db = new Database(options.path);
    db.pragma('journal_mode = WAL');
    // A read-only file opens and reads; the first write tells.
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  } catch (e) {
    throw e instanceof StoreOpenError ? e : openError(options.path, e);
  }
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable across process crashes (not power loss)
  db.pragma('busy_timeout = 5000');
  // A 32 MiB page cache keeps hot index pages in process (system calls are the expensive
  // part of a small query on a VM). Memory-mapping the file was faster still but counts the
  // whole file in the RSS: see docs/benchmarks.md.
  db.pragma('cache_size = -32768');
  migrate(db);

  const preparer = (conn: Database.Database) => {
    const statements = new StatementCache(options.limits?.preparedStatements ?? PREPARED_STATEMENTS, (sql) => conn.prepare(sql));
    return (sql: string) => statements.get(sql);
  };
  const prepare = preparer(db);
  /** A write, its constraint failures as the contract's errors. */
  const writing = <T>(run: () => T): T => {
    try {
      return run();
    } catch (e) {
      return uniqueViolation(e);
    }
  };
  const write = (sql: string, params: readonly unknown[]) => writing(() => prepare(sql).run(...(params as unknown[])).changes);
  const writeReturning = (sql: string, params: readonly unknown[]) => writing(() => prepare(sql).all(...(params as unknown[])) as Row[]);
  const exec: SqlExecutor = {
    async all(sql, params) {
      return prepare(sql).all(...(params as unknown[])) as Row[];
    },
    async run(sql, params) {
      return write(sql, params);
    },
    async returning(sql, params) {
      return writeReturning(sql, params);
    },
  };
  // Reads outside a transaction go to a second, read-only connection: WAL gives it the last
  // committed state, so it never sees a transaction's (or a commit batch's) writes before
  // they are committed, and it never waits for them. An in-memory database has no second
  // connection: there such reads wait their turn behind the writer instead.
  const reader = options.path === ':memory:' ? undefined : new Database(options.path, { readonly: true });
  if (reader) {
    reader.pragma('busy_timeout = 5000');
    reader.pragma('cache_size = -32768');
  }
  const prepareRead = reader ? preparer(reader) : undefined;
  let observer: QueryObserver | undefined;
  const limits = options.limits ?? DEFAULT_QUERY_LIMITS;
  const features: DialectFeatures = {
    userCounts: true,
    rowLocks: false,
    writableCte: false,
    // ORDER BY inside an aggregate: SQLite 3.44 and later (better-sqlite3 12 bundles a newer one).
    jsonArrayAgg: (elements, order) => `json_group_array(json_array(${elements}) ORDER BY ${order})`,
  };
  const repo = createSqlRepository(timedExecutor(exec, () => observer), limits, features);

  let queue: Promise<unknown> = Promise.resolve();
  let inTransaction = false;
  const serialised = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  // Group commit: transactions that arrive while others run share one outer transaction and
  // one WAL commit. Each runs in its own SAVEPOINT (a failure rolls back only its own writes
  // and rejects only its own promise); every success is answered only after the shared
  // COMMIT, so an acknowledged write is as durable as before. The commit is deferred to
  // setImmediate, after the event loop has read the requests that arrived meanwhile, so
  // that they can join it; a lone transaction pays one turn of the loop, no more.
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const savepoint = db.prepare('SAVEPOINT tx');
  const release = db.prepare('RELEASE tx');
  const rollbackTo = db.prepare('ROLLBACK TO tx');
  const MAX_BATCH = 64;
  let batch: { resolve: () => void; reject: (e: unknown) => void }[] | undefined;
  let queued = 0;
  let commitScheduled = false;
  const stats = { transactions: 0, commits: 0 };
  const commitBatch = () => {
    const done = batch;
    batch = undefined;
    if (!done) return;
    try {
      commit.run();
      stats.commits++;
    } catch (e) {
      if (db.inTransaction) db.exec('ROLLBACK');
      for (const d of done) d.reject(e);
      return;
    }
    for (const d of done) d.resolve();
  };
  const scheduleCommit = () => {
    if (!batch) return;
    // More transactions already waiting join this commit; the last of them schedules it.
    if (batch.length >= MAX_BATCH) return commitBatch();
    if (queued > 0 || commitScheduled) return;
    commitScheduled = true;
    setImmediate(() => {
      commitScheduled = false;
      if (queued === 0) commitBatch();
    });
  };

  // Outside a transaction: reads on the reader connection at once (without a reader, a read
  // while a transaction is open or a batch waits for its commit waits its turn and commits
  // the batch first, so that it never reads another request's unacknowledged writes); a
  // single write is a transaction of its own, so it shares the batch's commit like any other.
  const busy = () => inTransaction || batch !== undefined;
  const outside: SqlExecutor = {
    async all(sql, params) {
      if (prepareRead) return prepareRead(sql).all(...(params as unknown[])) as Row[];
      if (!busy()) return prepare(sql).all(...(params as unknown[])) as Row[];
      return serialised(async () => {
        commitBatch();
        return prepare(sql).all(...(params as unknown[])) as Row[];
      });
    },
    run: (sql, params) => store.transaction(async () => write(sql, params)),
    returning: (sql, params) => store.transaction(async () => writeReturning(sql, params)),
  };
  const guarded = createSqlRepository(timedExecutor(outside, () => observer), limits, features);

  const store: Store = {
    ...guarded,
    dialect: 'sqlite' as const,
    transaction<T>(fn: (tx: Repository) => Promise<T>): Promise<T> {
      queued++;
      const ran = serialised(async () => {
        queued--;
        // SQLite itself rolled the batch back (disk full, I/O error): its members are told
        // (the commit fails), and this transaction starts a batch of its own.
        if (batch && !db.inTransaction) commitBatch();
        if (!batch) {
          begin.run();
          batch = [];
        }
        const mine = batch;
        inTransaction = true;
        savepoint.run();
        let result: T;
        try {
          result = await fn(repo);
          release.run();
        } catch (e) {
          if (db.inTransaction) {
            rollbackTo.run();
            release.run();
          }
          return { failed: e };
        } finally {
          inTransaction = false;
          stats.transactions++;
          scheduleCommit();
        }
        return { acked: new Promise<T>((resolve, reject) => mine.push({ resolve: () => resolve(result), reject })) };
      });
      return ran.then((r) => ('failed' in r ? Promise.reject(r.failed) : r.acked));
    },
    commitStats: () => ({ ...stats }),
    async ping() {
      db.prepare('SELECT 1').get();
      reader?.prepare('SELECT 1').get();
    },
    async broadcast() {},
    instrument(o: QueryObserver) {
      observer = o;
    },
    poolStats: () => undefined,
    async subscribe() {
      return async () => undefined;
    },
    async close() {
      await queue;
      commitBatch();
      reader?.close();
      db.close();
    },
  };
  // A user and its audit row, a membership change with its version and audit row: each one
  // transaction (its commit shared with the batch).
  return Object.assign(store, writesInTransaction(store));
}
