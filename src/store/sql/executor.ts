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
