// Scoping: "sync only assigned users and groups" (a list) or "sync all", narrowed by scoping
// filters: clauses ANDed within a filter, filters ORed (Entra's model).
import type { Directory, SourceUser } from './source.ts';

export type ScopeOperator =
  | 'EQUALS' | 'NOT EQUALS' | 'IS TRUE' | 'IS FALSE' | 'IS NULL' | 'IS NOT NULL' | 'REGEX MATCH' | 'NOT REGEX MATCH'
  | 'Greater_Than' | 'Greater_Than_OR_EQUALS' | 'Less_Than' | 'Less_Than_OR_EQUALS' | 'Includes' | 'Excludes';

/** Entra's scoping operators, in the order its blade lists them. */
export const SCOPE_OPERATORS: readonly ScopeOperator[] = ['EQUALS', 'NOT EQUALS', 'IS TRUE', 'IS FALSE', 'IS NULL', 'IS NOT NULL', 'REGEX MATCH', 'NOT REGEX MATCH', 'Greater_Than', 'Greater_Than_OR_EQUALS', 'Less_Than', 'Less_Than_OR_EQUALS', 'Includes', 'Excludes'];

export interface ScopeClause {
  readonly attribute: string;
  readonly operator: ScopeOperator;
  readonly value?: string;
}

export interface ScopeConfig {
  readonly mode: 'assigned' | 'all';
  /** User ids/UPNs and group ids/names assigned to the app (assigned mode). */
  readonly assigned?: readonly string[];
  readonly filters?: readonly { readonly clauses: readonly ScopeClause[] }[];
}

function get(u: SourceUser, attribute: string): unknown {
  const key = Object.keys(u.attributes).find((k) => k.toLowerCase() === attribute.toLowerCase());
  return key === undefined ? undefined : u.attributes[key];
}

export function clauseHolds(u: SourceUser, c: ScopeClause): boolean {
  const v = get(u, c.attribute);
  const s = v === undefined || v === null ? undefined : String(v);
  const n = Number(s);
  const target = c.value ?? '';
  switch (c.operator) {
    case 'EQUALS': return s === target;
    case 'NOT EQUALS': return s !== target;
    case 'IS TRUE': return s?.toLowerCase() === 'true';
    case 'IS FALSE': return s?.toLowerCase() === 'false';
    case 'IS NULL': return s === undefined || s === '';
    case 'IS NOT NULL': return s !== undefined && s !== '';
    case 'REGEX MATCH': return s !== undefined && new RegExp(target).test(s);
    case 'NOT REGEX MATCH': return s === undefined || !new RegExp(target).test(s);
    case 'Greater_Than': return s !== undefined && n > Number(target);
    case 'Greater_Than_OR_EQUALS': return s !== undefined && n >= Number(target);
    case 'Less_Than': return s !== undefined && n < Number(target);
    case 'Less_Than_OR_EQUALS': return s !== undefined && n <= Number(target);
    case 'Includes': return target.split(',').map((x) => x.trim()).includes(s ?? '');
    case 'Excludes': return !target.split(',').map((x) => x.trim()).includes(s ?? '');
  }
}

/** Why a user is out of scope, or undefined when it is in. */
export function outOfScope(u: SourceUser, scope: ScopeConfig, dir: Directory): string | undefined {
  if (scope.mode === 'assigned') {
    const assigned = new Set((scope.assigned ?? []).map((x) => x.toLowerCase()));
    const upn = String(get(u, 'userPrincipalName') ?? '').toLowerCase();
    const viaGroup = dir.groups.some((g) => (assigned.has(g.id.toLowerCase()) || assigned.has(g.displayName.toLowerCase())) && g.memberIds.includes(u.id));
    if (!assigned.has(u.id.toLowerCase()) && !assigned.has(upn) && !viaGroup) return 'not assigned to the app';
  }
  const filters = scope.filters ?? [];
  if (filters.length > 0 && !filters.some((f) => f.clauses.every((c) => clauseHolds(u, c)))) return 'no scoping filter matches';
  return undefined;
}

export function groupInScope(g: { id: string; displayName: string }, scope: ScopeConfig): boolean {
  if (scope.mode === 'all') return true;
  const assigned = new Set((scope.assigned ?? []).map((x) => x.toLowerCase()));
  return assigned.has(g.id.toLowerCase()) || assigned.has(g.displayName.toLowerCase());
}
