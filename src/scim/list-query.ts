// Query parameters of a list request and the ListResponse message (RFC 7644 3.4.2).
import { scimErrors } from './errors.ts';
import { bindFilter, parseFilter, type BoundFilter, type FilterLimits, DEFAULT_FILTER_LIMITS } from './filter/index.ts';
import { parseAttrPath } from './path.ts';
import { parseProjection, type Projection } from './projection.ts';
import type { Registry } from './schema/registry.ts';
import type { AttributeDef, ResourceTypeDef } from './schema/types.ts';
import { LIST_RESPONSE_SCHEMA } from './schema/urns.ts';

export interface ListLimits {
  readonly defaultCount: number;
  readonly maxCount: number;
  readonly filter: FilterLimits;
}

export const DEFAULT_LIST_LIMITS: ListLimits = Object.freeze({ defaultCount: 25, maxCount: 1000, filter: DEFAULT_FILTER_LIMITS });

export interface SortKey {
  readonly schema: string;
  readonly core: boolean;
  readonly attribute: AttributeDef;
  readonly sub?: AttributeDef;
  readonly descending: boolean;
}

export interface ListQuery {
  readonly filter?: BoundFilter;
  /** 1-based (RFC 7644 3.4.2.4). */
  readonly startIndex: number;
  /** 0 asks for totalResults only. */
  readonly count: number;
  readonly sort?: SortKey;
  readonly projection: Projection;
}

export interface RawListParams {
  readonly filter?: string;
  readonly startIndex?: string;
  readonly count?: string;
  readonly sortBy?: string;
  readonly sortOrder?: string;
  readonly attributes?: string;
  readonly excludedAttributes?: string;
  /** RFC 9865: '' starts a cursor walk; a value continues one (handled by the directory layer). */
  readonly cursor?: string;
}

function integerParam(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^-?\d+$/.test(raw.trim())) throw scimErrors.invalidValue(`"${name}" must be an integer; got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/**
 * Normalises paging as RFC 7644 3.4.2.4 says: a startIndex below 1 is 1, a negative count is 0,
 * a count above the maximum is the maximum.
 */
export function parseListQuery(registry: Registry, rt: ResourceTypeDef, raw: RawListParams, limits: ListLimits = DEFAULT_LIST_LIMITS): ListQuery {
  const start = integerParam('startIndex', raw.startIndex) ?? 1;
  const count = integerParam('count', raw.count) ?? limits.defaultCount;
  let sort: SortKey | undefined;
  if (raw.sortBy !== undefined && raw.sortBy.trim() !== '') {
    const r = registry.resolve(rt, parseAttrPath(raw.sortBy.trim(), scimErrors.invalidValue));
    if (!r?.attribute) throw scimErrors.invalidValue(`Cannot sort by unknown attribute "${raw.sortBy}"`);
    const order = (raw.sortOrder ?? 'ascending').toLowerCase();
    if (order !== 'ascending' && order !== 'descending') throw scimErrors.invalidValue('"sortOrder" must be ascending or descending');
    sort = Object.freeze({ schema: r.schema, core: r.core, attribute: r.attribute, sub: r.sub, descending: order === 'descending' });
  }
  const filter = raw.filter !== undefined ? bindFilter(registry, rt, parseFilter(raw.filter, limits.filter)) : undefined;
  return Object.freeze({
    filter,
    // Past every store's OFFSET range (and past exact doubles) no page has results anyway.
    startIndex: Math.min(Math.max(1, start), Number.MAX_SAFE_INTEGER),
    count: Math.min(Math.max(0, count), limits.maxCount),
    sort,
    projection: parseProjection(registry, rt, raw.attributes, raw.excludedAttributes),
  });
}

export interface ListResponse<T> {
  schemas: string[];
  totalResults: number;
  /** Index paging only (absent from cursor pages, RFC 9865). */
  startIndex?: number;
  itemsPerPage: number;
  Resources: T[];
  nextCursor?: string;
  previousCursor?: string;
}

export function listResponse<T>(resources: T[], totalResults: number, startIndex: number): ListResponse<T> {
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** A ListResponse of cursor paging (RFC 9865): no startIndex; cursors where more lies beyond. */
export function cursorListResponse<T>(resources: T[], totalResults: number, nextCursor?: string, previousCursor?: string): ListResponse<T> {
  return {
    schemas: [LIST_RESPONSE_SCHEMA], totalResults, itemsPerPage: resources.length, Resources: resources,
    ...(nextCursor ? { nextCursor } : {}), ...(previousCursor ? { previousCursor } : {}),
  };
}
