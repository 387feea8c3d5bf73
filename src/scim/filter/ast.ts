// The filter syntax tree (RFC 7644 section 3.4.2.2). Nodes are frozen and carry a `kind`.
// Paths are as written; `bind` resolves them against the schema registry.
import type { AttrPath } from '../schema/registry.ts';

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];

export type Literal =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number; readonly raw: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' };

export type Filter =
  | { readonly kind: 'compare'; readonly path: AttrPath; readonly op: CompareOp; readonly value: Literal }
  | { readonly kind: 'present'; readonly path: AttrPath }
  | { readonly kind: 'and'; readonly left: Filter; readonly right: Filter }
  | { readonly kind: 'or'; readonly left: Filter; readonly right: Filter }
  | { readonly kind: 'not'; readonly filter: Filter }
  /** `emails[type eq "work"]`: paths inside `filter` are relative to `path`'s elements. */
  | { readonly kind: 'valuePath'; readonly path: AttrPath; readonly filter: Filter };

export const and = (left: Filter, right: Filter): Filter => Object.freeze({ kind: 'and', left, right });
export const or = (left: Filter, right: Filter): Filter => Object.freeze({ kind: 'or', left, right });
export const not = (filter: Filter): Filter => Object.freeze({ kind: 'not', filter });
