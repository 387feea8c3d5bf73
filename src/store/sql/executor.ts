// What a dialect gives the shared SQL repository: run a statement with `?` placeholders.
export type Row = Record<string, unknown>;

export interface SqlExecutor {
  all(sql: string, params: readonly unknown[]): Promise<Row[]>;
  run(sql: string, params: readonly unknown[]): Promise<number>;
  /** A write whose RETURNING rows come back (on SQLite outside a transaction it is one of its own). */
  returning(sql: string, params: readonly unknown[]): Promise<Row[]>;
}

export interface QueryLimits {
  /** Most rows a filter SQL cannot decide may examine in memory before it is refused (tooMany). */
  readonly maxCandidates: number;
  /** Most statements kept prepared (per connection on PostgreSQL); default PREPARED_STATEMENTS (statement-cache.ts). */
  readonly preparedStatements?: number;
}

/** What a dialect's schema offers beyond the shared contract. */
export interface DialectFeatures {
  /** org_user_counts is maintained (by triggers: one row per organization on SQLite, 16 slots on PostgreSQL). */
  readonly userCounts: boolean;
  /** `SELECT ... FOR UPDATE` takes a row lock (PostgreSQL); SQLite's one writer needs none. */
  readonly rowLocks: boolean;
  /** An aggregate of JSON arrays of `elements`, ordered; `[]` (not NULL) over no rows. */
  readonly jsonArrayAgg: (elements: string, order: string) => string;
  /** INSERT/UPDATE inside WITH (PostgreSQL): a write and its audit row in one statement. */
  readonly writableCte: boolean;
  /**
   * Rows given as one array per column, of these SQL types, as a row source (PostgreSQL's
   * `unnest`): a batch of any size is one prepared statement with a parameter per column.
   * Without it, batches are multi-row VALUES lists.
   */
  readonly columnArrays?: (types: readonly string[]) => string;
  /**
   * Audit rows in commit order where concurrent writers commit out of sequence order
   * (PostgreSQL: by the row's transaction id, and only rows whose transaction ended before
   * every running one began). Without it, sequence order is commit order (one writer).
   */
  readonly commitOrder?: {
    /** The row's commit position as text (column `commit_pos`). */
    readonly select: string;
    readonly order: string;
    /** `order` reversed. */
    readonly reverse: string;
    /** Rows a reader may take now: no earlier-committing row can still appear. */
    readonly visible: string;
    /** Rows after a position. */
    readonly after: (commit: string, seq: number) => { readonly sql: string; readonly params: readonly unknown[] };
  };
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = Object.freeze({ maxCandidates: 20000 });

/** Told the duration of each statement (seconds) once a store is instrumented (metrics). */
export type QueryObserver = (seconds: number, kind: 'read' | 'write') => void;

/**
 * `exec` with each statement timed for whoever `observer()` returns at call time (stores are
 * opened before the app that observes them exists). Without an observer, no timing at all.
 */
export function timedExecutor(exec: SqlExecutor, observer: () => QueryObserver | undefined): SqlExecutor {
  const timed = async <T>(kind: 'read' | 'write', run: () => Promise<T>): Promise<T> => {
    const o = observer();
    if (!o) return run();
    const started = performance.now();
    try {
      return await run();
    } finally {
      o((performance.now() - started) / 1000, kind);
    }
  };
  return {
    all: (sql, params) => timed('read', () => exec.all(sql, params)),
    run: (sql, params) => timed('write', () => exec.run(sql, params)),
    returning: (sql, params) => timed('write', () => exec.returning(sql, params)),
  };
}
