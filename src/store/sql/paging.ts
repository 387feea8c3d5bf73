// The list planner: an exact SQL page (COUNT and LIMIT), a keyset page (RFC 9865 cursors), or
// a bounded candidate scan with the evaluator for what SQL cannot decide of a filter.
import { scimErrors, type SortKey } from '../../scim/index.ts';
import type { Keyset, Page, UserQuery } from '../contract.ts';
import { compileFilter, type ColumnMap, type SqlCondition } from './filter-sql.ts';
import type { QueryLimits, Row, SqlExecutor } from './executor.ts';
import { limit } from './shared.ts';

export interface PlanInput<T> {
  readonly from: string;
  readonly where: string[];
  readonly params: unknown[];
  readonly columns: ColumnMap;
  readonly select: string;
  /**
   * The page query for a WHERE clause, an ORDER BY and a LIMIT clause (limit()), with the
   * OFFSET placeholder after the WHERE's; given `total` (a one-row SELECT of `n`), each row
   * also carries it as `page_total`, its parameters before all others.
   */
  readonly pageSelect?: (where: string, order: string, limit: string, total?: string) => string;
  readonly seq: string;
  readonly map: (r: Row) => T;
  readonly q: { filter?: UserQuery['filter']; matches: (row: T) => boolean | Promise<boolean>; startIndex: number; count: number; sort?: SortKey; keyset?: Keyset };
  readonly sortValue: (row: T, sort: SortKey) => unknown;
  /** A cheaper exact total than COUNT(*), when the dialect keeps one for this query: a one-row SELECT of `n`. */
  readonly total?: { readonly sql: string; readonly params: readonly unknown[] };
}

function compareSortValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return 1; // absent values sort last (RFC 7644 3.4.2.3)
  if (b === undefined || b === null) return -1;
  const x = typeof a === 'string' ? a.toLowerCase() : a;
  const y = typeof b === 'string' ? b.toLowerCase() : b;
  return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0;
}

/** `page(plan)` for a list query over `db`. */
export function createPager(db: SqlExecutor, limits: QueryLimits): <T>(p: PlanInput<T>) => Promise<Page<T>> {
  /** The WHERE terms of a list query: its fixed ones and what SQL can decide of the filter (`cond`). */
  function conditionOf<T>(p: PlanInput<T>): { cond: SqlCondition | undefined; where: string[]; params: unknown[] } {
    const cond: SqlCondition | undefined = p.q.filter ? compileFilter(p.q.filter, p.columns) : { sql: '', params: [], exact: true };
    const where = [...p.where];
    const params = [...p.params];
    if (cond && cond.sql) {
      where.push(cond.sql);
      params.push(...cond.params);
    }
    return { cond, where, params };
  }

  /** The rows a filter SQL cannot decide exactly is evaluated over, in order: at most maxCandidates (tooMany beyond). */
  async function candidates<T>(p: PlanInput<T>, whereSql: string, params: readonly unknown[]): Promise<Row[]> {
    const rows = await db.all(`${p.select} ${whereSql} ORDER BY ${p.seq} LIMIT ?`, [...params, limits.maxCandidates + 1]);
    if (rows.length > limits.maxCandidates) {
      throw scimErrors.tooMany(
        `This filter would examine more than ${limits.maxCandidates} resources; narrow it with an indexed attribute (id, userName, externalId, displayName, active)`,
      );
    }
    return rows;
  }

  /** The exact total of a list query SQL decides whole: the kept one, or COUNT(*). */
  async function totalOf<T>(p: PlanInput<T>, whereSql: string, params: readonly unknown[]): Promise<number> {
    const [row] = p.total ? await db.all(p.total.sql, p.total.params) : await db.all(`SELECT COUNT(*) AS n FROM ${p.from} ${whereSql}`, params);
    return Number(row?.n ?? 0);
  }

  /** Plans a list query: exact SQL with COUNT and LIMIT, or a bounded candidate scan plus the evaluator. */
  async function page<T>(p: PlanInput<T>): Promise<Page<T>> {
    if (p.q.keyset) return keysetPage(p, p.q.keyset);
    const { cond, where, params } = conditionOf(p);
    const sortColumn = p.q.sort ? p.columns.column({ ...p.q.sort, leaf: p.q.sort.sub ?? p.q.sort.attribute, relative: false }) : undefined;
    const whereSql = `WHERE ${where.join(' AND ')}`;
    // An equality on a unique column (Entra's `userName eq` match, `id eq`): one indexed
    // SELECT, no ORDER BY, LIMIT or COUNT (a paged query costs four times as much in SQLite).
    if (cond?.exact && cond.single && p.q.startIndex === 1 && p.q.count > 0) {
      const rows = await db.all(`${p.select} ${whereSql}`, params);
      return { total: rows.length, items: rows.map(p.map) };
    }
    if (cond?.exact && (!p.q.sort || sortColumn)) {
      const count = () => totalOf(p, whereSql, params);
      if (p.q.count === 0) return { total: await count(), items: [] };
      const order = sortColumn ? `${sortColumn.expr} ${p.q.sort!.descending ? 'DESC' : 'ASC'}, ${p.seq}` : p.seq;
      // The kept total comes with the rows: a page is one statement (one round trip on PostgreSQL).
      const joined = p.pageSelect ? p.total : undefined;
      const sql = p.pageSelect ? p.pageSelect(whereSql, order, limit(p.q.count), joined?.sql) : `${p.select} ${whereSql} ORDER BY ${order} ${limit(p.q.count)} OFFSET ?`;
      const rows = await db.all(sql, [...(joined?.params ?? []), ...params, p.q.startIndex - 1]);
      // A first page that is not full holds everything: no COUNT needed (Entra's match lookups).
      const total = p.q.startIndex === 1 && rows.length < p.q.count ? rows.length
        : joined && rows.length > 0 ? Number(rows[0].page_total) : await count();
      return { total, items: rows.map(p.map) };
    }
    const rows = await candidates(p, whereSql, params);
    let matched: T[] = [];
    for (const row of rows.map(p.map)) if (await p.q.matches(row)) matched.push(row);
    if (p.q.sort) {
      const s = p.q.sort;
      matched = [...matched].sort((a, b) => compareSortValues(p.sortValue(a, s), p.sortValue(b, s)) * (s.descending ? -1 : 1));
    }
    const start = p.q.startIndex - 1;
    return { total: matched.length, items: p.q.count === 0 ? [] : matched.slice(start, start + p.q.count) };
  }

  /**
   * A page after or before a position in the store's order (seq): every page costs the same,
   * however deep (RFC 9865 cursors), and rows created or deleted elsewhere in the list never
   * shift a later page. What SQL cannot decide is evaluated over the bounded candidate scan.
   */
  async function keysetPage<T>(p: PlanInput<T>, k: Keyset): Promise<Page<T>> {
    const { cond, where, params } = conditionOf(p);
    const backwards = k.before !== undefined;
    const at = backwards ? k.before : k.after;
    if (cond?.exact) {
      const whereSql = `WHERE ${where.join(' AND ')}`;
      const total = await totalOf(p, whereSql, params);
      const bound = at === undefined ? '' : ` AND ${p.seq} ${backwards ? '<' : '>'} ?`;
      const rows = await db.all(`${p.select} ${whereSql}${bound} ORDER BY ${p.seq} ${backwards ? 'DESC' : 'ASC'} ${limit(p.q.count + 1)}`, [...params, ...(at === undefined ? [] : [at])]);
      const more = rows.length > p.q.count;
      const pageRows = rows.slice(0, p.q.count);
      if (backwards) pageRows.reverse();
      const first = pageRows.length ? Number(pageRows[0].seq) : undefined;
      const last = pageRows.length ? Number(pageRows[pageRows.length - 1].seq) : undefined;
      const beyond = async (op: '<' | '>', seq: number | undefined) =>
        seq !== undefined && (await db.all(`SELECT 1 AS x FROM ${p.from} ${whereSql} AND ${p.seq} ${op} ? LIMIT 1`, [...params, seq])).length > 0;
      return {
        total, items: pageRows.map(p.map),
        keyset: {
          first, last,
          moreBefore: backwards ? more : at !== undefined && (first === undefined ? await beyond('<', at + 1) : await beyond('<', first)),
          moreAfter: backwards ? (last === undefined ? await beyond('>', (at ?? 1) - 1) : await beyond('>', last)) : more,
        },
      };
    }
    const rows = await candidates(p, `WHERE ${where.join(' AND ')}`, params);
    const matched: { seq: number; item: T }[] = [];
    for (const r of rows) {
      const item = p.map(r);
      if (await p.q.matches(item)) matched.push({ seq: Number(r.seq), item });
    }
    const inRange = matched.filter((m) => at === undefined || (backwards ? m.seq < at : m.seq > at));
    const slice = backwards ? inRange.slice(Math.max(0, inRange.length - p.q.count)) : inRange.slice(0, p.q.count);
    const first = slice[0]?.seq;
    const last = slice[slice.length - 1]?.seq;
    return {
      total: matched.length, items: slice.map((m) => m.item),
      keyset: {
        first, last,
        moreBefore: matched.some((m) => m.seq < (first ?? (backwards ? at! : (at ?? 0) + 1))),
        moreAfter: matched.some((m) => m.seq > (last ?? (backwards ? at! - 1 : at ?? Number.MAX_SAFE_INTEGER))),
      },
    };
  }

  return page;
}
