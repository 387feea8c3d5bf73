// What a dialect gives the shared SQL repository: run a statement with `?` placeholders.
export type Row = Record<string, unknown>;

export interface SqlExecutor {
  all(sql: string, params: readonly unknown[]): Promise<Row[]>;
  run(sql: string, params: readonly unknown[]): Promise<number>;
}

export interface QueryLimits {
  /** Most rows a filter SQL cannot decide may examine in memory before it is refused (tooMany). */
  readonly maxCandidates: number;
}

/** What a dialect's schema offers beyond the shared contract. */
export interface DialectFeatures {
  /** org_user_counts is maintained (by triggers). */
  readonly userCounts: boolean;
  /** `SELECT ... FOR UPDATE` takes a row lock (PostgreSQL); SQLite's one writer needs none. */
  readonly rowLocks: boolean;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = Object.freeze({ maxCandidates: 20000 });

/** Told the duration of each statement (seconds) once a store is instrumented (metrics). */
export type QueryObserver = (seconds: number, kind: 'read' | 'write') => void;

/**
 * `exec` with each statement timed for whoever `observer()` returns at call time (stores are
 * opened before the app that observes them exists). Without an observer, no timing at all.
 */
export function timedExecutor(exec: SqlExecutor, observer: () => QueryObserver | undefined): SqlExecutor {
  return {
    async all(sql, params) {
      const o = observer();
      if (!o) return exec.all(sql, params);
      const started = performance.now();
      try {
        return await exec.all(sql, params);
      } finally {
        o((performance.now() - started) / 1000, 'read');
      }
    },
    async run(sql, params) {
      const o = observer();
      if (!o) return exec.run(sql, params);
      const started = performance.now();
      try {
        return await exec.run(sql, params);
      } finally {
        o((performance.now() - started) / 1000, 'write');
      }
    },
  };
}
