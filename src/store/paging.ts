// Paging and scoping shapes every list in the store shares: pages, keyset positions, list
// queries, and the division filter a scoped caller reads through.
import type { BoundFilter, SortKey } from '../scim/index.ts';

/**
 * The divisions a caller may see users in; undefined means every division. Membership reads
 * and writes take it so that a division-scoped caller never sees or touches a member outside.
 */
export type DivisionFilter = readonly string[] | undefined;

export interface Page<T> {
  readonly total: number;
  readonly items: readonly T[];
  /** With a keyset query: the positions of the first and last item, and whether more lie beyond either. */
  readonly keyset?: { readonly first?: number; readonly last?: number; readonly moreBefore: boolean; readonly moreAfter: boolean };
}

/** Keyset paging in the store's own order (RFC 9865 cursors): the page after or before a position. */
export interface Keyset {
  readonly after?: number;
  readonly before?: number;
}

export interface ResourceQuery<T> {
  readonly filter?: BoundFilter;
  /** Evaluates the whole filter on a row; used for what SQL cannot decide. */
  readonly matches: (row: T) => boolean | Promise<boolean>;
  readonly startIndex: number;
  readonly count: number;
  readonly sort?: SortKey;
  /** Instead of startIndex: the page after/before a position (no sort). */
  readonly keyset?: Keyset;
}
