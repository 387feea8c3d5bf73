// What the aggregate modules share: placeholders, chunking, the division filter, a one-row
// read, and the audit row that user and membership writes insert with their change.
import type { AuditRecord, DivisionFilter } from '../contract.ts';
import type { DialectFeatures, Row, SqlExecutor } from './executor.ts';

export const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * A LIMIT written into the SQL rather than bound: PostgreSQL plans a named statement once
 * (generic plan) and guesses a bound LIMIT at a tenth of the table, which made it hash-join
 * the whole users table for a page of 100 (docs/benchmarks.md). Page sizes are few, so the
 * statement texts stay few; OFFSET stays bound. Only a whole number ever reaches the SQL.
 */
export function limit(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`invalid LIMIT ${n}`);
  return `LIMIT ${n}`;
}
const CHUNK = 500;

/** `AND <column> IN (...)` for a division filter, or nothing when every division is allowed. */
export function inDivisions(column: string, divisions: DivisionFilter): { sql: string; params: readonly string[] } {
  if (divisions === undefined) return { sql: '', params: [] };
  if (divisions.length === 0) return { sql: ' AND 1 = 0', params: [] };
  return { sql: ` AND ${column} IN (${placeholders(divisions.length)})`, params: divisions };
}

export function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** A column of a batch insert: its name and its PostgreSQL type (for column arrays). */
export type BatchColumn = readonly [name: string, pgType: string];

/** Rows a batch insert statement takes at most (a power of two: see insertRows). */
const BATCH_ROWS = 256;

/**
 * Inserts a batch of rows in statements of few distinct texts, each kept prepared
 * (statement-cache.ts): where the dialect has column arrays, one statement whatever the count;
 * otherwise statements of BATCH_ROWS rows and the rest in power-of-two parts (137 = 128 + 8 +
 * 1), so that a table's batches have at most log2(BATCH_ROWS) + 1 texts rather than one for
 * every batch size.
 */
export async function insertRows(db: SqlExecutor, features: DialectFeatures, table: string, columns: readonly BatchColumn[], rows: readonly (readonly unknown[])[]): Promise<void> {
  if (rows.length === 0) return;
  const names = columns.map(([name]) => name).join(', ');
  if (features.columnArrays) {
    await db.run(`INSERT INTO ${table} (${names}) ${features.columnArrays(columns.map(([, type]) => type))}`, columns.map((_, c) => rows.map((r) => r[c])));
    return;
  }
  const row = `(${placeholders(columns.length)})`;
  for (let i = 0; i < rows.length;) {
    const left = rows.length - i;
    const n = left >= BATCH_ROWS ? BATCH_ROWS : 2 ** Math.floor(Math.log2(left));
    await db.run(`INSERT INTO ${table} (${names}) VALUES ${Array.from({ length: n }, () => row).join(', ')}`, rows.slice(i, i + n).flat());
    i += n;
  }
}

/** A statement and its parameters. */
export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** The first row of `sql` mapped, or undefined. */
export async function one<T>(db: SqlExecutor, sql: string, params: readonly unknown[], map: (r: Row) => T): Promise<T | undefined> {
  const rows = await db.all(sql, params);
  return rows.length > 0 ? map(rows[0]) : undefined;
}

export const runStatement = (db: SqlExecutor, q: Statement) => db.run(q.sql, q.params);

/** Rows a retention sweep deletes per statement. */
export const PURGE_BATCH = 5_000;

/**
 * Deletes the rows of `table` older than `time`, PURGE_BATCH at a time, oldest `seq` first,
 * each batch its own statement: a year of audit rows does not hold SQLite's write lock (or
 * PostgreSQL's row locks and WAL) in one long statement, and writes go on between batches.
 * The oldest rows have the lowest `seq`, so each batch reads the key's index from its start.
 */
export async function purgeBefore(db: SqlExecutor, table: string, before: string | { readonly column: string; readonly value: number }, batch = PURGE_BATCH): Promise<number> {
  // The ISO `time` column, or another that holds the time (the request log's epoch milliseconds).
  const [column, value] = typeof before === 'string' ? ['time', before] : [before.column, before.value];
  let total = 0;
  for (;;) {
    const n = await db.run(`DELETE FROM ${table} WHERE seq IN (SELECT seq FROM ${table} WHERE ${column} < ? ORDER BY seq ${limit(batch)})`, [value]);
    total += n;
    if (n < batch) return total;
    // Let waiting requests run between two batches.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export const AUDIT_COLUMNS = 'id, org_id, time, client_id, request_id, action, resource_type, resource_id, division_id, changes, version';
/** How many values an audit row takes (AUDIT_COLUMNS, auditParams). */
export const AUDIT_WIDTH = 11;
export const auditParams = (a: AuditRecord): unknown[] =>
  [a.id, a.orgId, a.time, a.clientId ?? null, a.requestId ?? null, a.action, a.resourceType, a.resourceId, a.divisionId ?? null, JSON.stringify(a.changes), a.version ?? null];

export const auditInsert = (a: AuditRecord): Statement => ({ sql: `INSERT INTO audits (${AUDIT_COLUMNS}) VALUES (${placeholders(AUDIT_WIDTH)})`, params: auditParams(a) });

/**
 * Leased work (webhook subscriptions, provisioning jobs): rows with `lease_until` and
 * `lease_owner`, taken by one node at a time. A claim is one UPDATE that only takes rows whose
 * lease ran out; on PostgreSQL the candidates are read with SKIP LOCKED so that nodes do not
 * queue on each other. `due` (with one `?` for now) and `order` name what is due first.
 */
export function leases(db: SqlExecutor, features: DialectFeatures, table: string, due: string, order: string) {
  return {
    claim(now: number, leaseUntil: number, owner: string, n: number): Promise<Row[]> {
      const candidates = `SELECT id FROM ${table} WHERE ${due} AND lease_until < ? ORDER BY ${order} ${limit(n)}${features.rowLocks ? ' FOR UPDATE SKIP LOCKED' : ''}`;
      return db.returning(`UPDATE ${table} SET lease_until = ?, lease_owner = ? WHERE id IN (${candidates}) AND lease_until < ? RETURNING *`, [leaseUntil, owner, now, now, now]);
    },
    async release(id: string, owner: string): Promise<void> {
      await db.run(`UPDATE ${table} SET lease_until = 0, lease_owner = NULL WHERE id = ? AND lease_owner = ?`, [id, owner]);
    },
  };
}
