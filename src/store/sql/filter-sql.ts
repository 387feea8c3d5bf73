// Compiles a bound filter to a SQL condition over the indexed columns, with bound
// parameters. What SQL cannot decide exactly is reported (`exact: false`), and the store
// evaluates the whole filter in memory over the (bounded) candidate rows. One compiler
// serves every dialect: it emits `?` placeholders, which a dialect may renumber.
import type { BoundFilter, BoundTarget, Operand } from '../../scim/index.ts';
import { ENTERPRISE_USER_SCHEMA } from '../../scim/index.ts';
import { GROUP_LAST_MODIFIED } from './rows.ts';

export interface SqlCondition {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** True when the condition selects exactly the matching rows; false when it is a superset. */
  readonly exact: boolean;
  /** At most one row can match (equality on a column unique within the organization). */
  readonly single?: boolean;
}

type ColumnKind = 'text' | 'lowerText' | 'bool' | 'time';

interface Column {
  readonly expr: string;
  readonly kind: ColumnKind;
  /** Unique within an organization (a unique index), so `eq` finds at most one row. */
  readonly unique?: boolean;
}

/** How a resource type's attributes map to columns of its table (`alias` is the table alias). */
export interface ColumnMap {
  column(target: BoundTarget): Column | undefined;
  /** Extra compilers for conditions that are not one column (division by name, membership). */
  special?(target: BoundTarget, op: string, operand: Operand): SqlCondition | undefined;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

const key = (t: BoundTarget) => `${t.core ? '' : `${t.schema}:`}${t.attribute.name}${t.sub ? `.${t.sub.name}` : ''}`;

/** A user's `groups` sub-attribute as a condition on the membership rows of groups of one visibility. */
function groupsOfUser(sub: string | undefined, op: string, operand: Operand, visibility: string | undefined): SqlCondition | undefined {
  const vis = visibility ? ' AND g.visibility = ?' : '';
  const visParams = visibility ? [visibility] : [];
  const exists = (cond: string, params: unknown[]): SqlCondition => ({
    sql: `EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE gm.user_id = u.id${vis}${cond})`,
    params: [...visParams, ...params],
    exact: true,
  });
  if (op === 'pr') return exists('', []);
  if (typeof operand !== 'string') return undefined;
  // groups.value and groups.$ref name the group's id; display is its name (case-insensitive).
  if ((sub === 'value' || sub === undefined) && op === 'eq') return exists(' AND g.id = ?', [operand]);
  if (sub === 'display') {
    const v = operand.toLowerCase();
    const like = (p: string) => exists(` AND g.display_name_lower LIKE ? ESCAPE '\\'`, [p]);
    if (op === 'eq') return exists(' AND g.display_name_lower = ?', [v]);
    if (op === 'sw') return like(`${likeEscape(v)}%`);
    if (op === 'ew') return like(`%${likeEscape(v)}`);
    if (op === 'co') return like(`%${likeEscape(v)}%`);
  }
  return undefined;
}

const USER_COLUMN_MAP: ColumnMap['column'] = (t) => {
    if (t.relative) return undefined;
    switch (key(t)) {
      case 'id': return { expr: 'u.id', kind: 'text', unique: true };
      case 'userName': return { expr: 'u.user_name_lower', kind: 'lowerText', unique: true };
      case 'externalId': return { expr: 'u.external_id', kind: 'text' };
      case 'displayName': return { expr: 'u.display_name_lower', kind: 'lowerText' };
      case 'active': return { expr: 'u.active', kind: 'bool' };
      case 'meta.created': return { expr: 'u.created', kind: 'time' };
      case 'meta.lastModified': return { expr: 'u.last_modified', kind: 'time' };
      case `${ENTERPRISE_USER_SCHEMA}:manager.value`: return { expr: 'u.manager_id', kind: 'text' };
      default: return undefined;
    }
};

/**
 * Users' columns; `groups` conditions see only groups of `groupVisibility` (public in the
 * genesys profile). Where the profile keeps `division` or a `manager.value` in the document
 * (standard), those are left to the evaluator.
 */
export function userColumns(groupVisibility: string | undefined, profile: { divisionByName?: boolean; managerMustBeUser?: boolean } = {}): ColumnMap {
  const divisionByName = profile.divisionByName ?? true;
  const managerInColumn = profile.managerMustBeUser ?? true;
  return {
    column: (t) => (!managerInColumn && key(t) === `${ENTERPRISE_USER_SCHEMA}:manager.value` ? undefined : USER_COLUMN_MAP(t)),
    special(t, op, operand) {
      if (divisionByName && key(t) === `${ENTERPRISE_USER_SCHEMA}:division` && op === 'eq' && typeof operand === 'string') {
        return { sql: 'u.division_id IN (SELECT d.id FROM divisions d WHERE d.org_id = u.org_id AND d.name_lower = ?)', params: [operand.toLowerCase()], exact: true };
      }
      if (t.core && t.attribute.name === 'groups' && !t.relative) return groupsOfUser(t.sub?.name, op, operand, groupVisibility);
      return undefined;
    },
  };
}

export const USER_COLUMNS = userColumns(undefined);

const GROUP_COLUMN_MAP: ColumnMap['column'] = (t) => {
    if (t.relative) return undefined;
    switch (key(t)) {
      case 'id': return { expr: 'g.id', kind: 'text', unique: true };
      case 'externalId': return { expr: 'g.external_id', kind: 'text' };
      case 'displayName': return { expr: 'g.display_name_lower', kind: 'lowerText', unique: true };
      case 'meta.created': return { expr: 'g.created', kind: 'time' };
      case 'meta.lastModified': return { expr: GROUP_LAST_MODIFIED, kind: 'time' };
      default: return undefined;
    }
};

/** Groups' columns; membership conditions see only members in `memberDivisions` (undefined: all). */
export function groupColumns(memberDivisions: readonly string[] | undefined): ColumnMap {
  const scope = memberDivisions === undefined ? '' : memberDivisions.length === 0 ? ' AND 1 = 0'
    : ` AND gm.user_id IN (SELECT mu.id FROM users mu WHERE mu.org_id = g.org_id AND mu.division_id IN (${memberDivisions.map(() => '?').join(', ')}))`;
  return {
    column: GROUP_COLUMN_MAP,
    special(t, op, operand) {
      // members[value eq "u"], members eq "u", members.value eq "u": Entra's membership check.
      if (t.attribute.name === 'members' && t.sub?.name === 'value' && op === 'eq' && typeof operand === 'string') {
        return { sql: `EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND gm.user_id = ?${scope})`, params: [operand, ...(memberDivisions ?? [])], exact: true };
      }
      return undefined;
    },
  };
}

export const GROUP_COLUMNS = groupColumns(undefined);

function compareColumn(c: Column, op: string, operand: Operand): SqlCondition | undefined {
  if (operand === null) {
    if (op === 'eq') return { sql: `${c.expr} IS NULL`, params: [], exact: true };
    if (op === 'ne') return { sql: `${c.expr} IS NOT NULL`, params: [], exact: true };
    return undefined;
  }
  if (c.kind === 'bool') {
    if (typeof operand !== 'boolean') return undefined;
    return { sql: `${c.expr} = ?`, params: [operand === (op === 'eq') ? 1 : 0], exact: true };
  }
  if (c.kind === 'time') {
    const t = Date.parse(String(operand));
    const ops: Record<string, string> = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' };
    if (Number.isNaN(t) || !ops[op]) return undefined;
    // Stored as toISOString() output, so text order is time order.
    return { sql: `${c.expr} ${ops[op]} ?`, params: [new Date(t).toISOString()], exact: true };
  }
  const v = c.kind === 'lowerText' ? String(operand).toLowerCase() : String(operand);
  switch (op) {
    case 'eq':
      return { sql: `${c.expr} = ?`, params: [v], exact: true, ...(c.unique ? { single: true } : {}) };
    case 'ne':
      return { sql: `(${c.expr} IS NULL OR ${c.expr} <> ?)`, params: [v], exact: true };
    case 'sw':
    case 'co':
    case 'ew': {
      // LIKE folds ASCII case in SQLite, so it is exact only on lower-cased columns.
      const pattern = op === 'sw' ? `${likeEscape(v)}%` : op === 'ew' ? `%${likeEscape(v)}` : `%${likeEscape(v)}%`;
      return { sql: `${c.expr} LIKE ? ESCAPE '\\'`, params: [pattern], exact: c.kind === 'lowerText' };
    }
    default:
      return undefined;
  }
}

export function compileFilter(f: BoundFilter, columns: ColumnMap): SqlCondition | undefined {
  switch (f.kind) {
    case 'compare': {
      const special = columns.special?.(f.target, f.op, f.operand);
      if (special) return special;
      const c = columns.column(f.target);
      return c ? compareColumn(c, f.op, f.operand) : undefined;
    }
    case 'present': {
      const c = columns.column(f.target);
      if (!c) return undefined;
      return { sql: c.kind === 'bool' || c.kind === 'time' ? `${c.expr} IS NOT NULL` : `(${c.expr} IS NOT NULL AND ${c.expr} <> '')`, params: [], exact: true };
    }
    case 'valuePath': {
      // Only the membership check compiles: members[value eq "u"].
      const inner = f.filter;
      if (inner.kind === 'compare' && inner.target.relative) {
        return columns.special?.({ ...inner.target, relative: false }, inner.op, inner.operand);
      }
      return undefined;
    }
    case 'and': {
      const l = compileFilter(f.left, columns);
      const r = compileFilter(f.right, columns);
      if (l && r) return { sql: `(${l.sql} AND ${r.sql})`, params: [...l.params, ...r.params], exact: l.exact && r.exact, ...(l.single || r.single ? { single: true } : {}) };
      const one = l ?? r;
      return one ? { ...one, exact: false } : undefined;
    }
    case 'or': {
      const l = compileFilter(f.left, columns);
      const r = compileFilter(f.right, columns);
      if (!l || !r) return undefined;
      return { sql: `(${l.sql} OR ${r.sql})`, params: [...l.params, ...r.params], exact: l.exact && r.exact };
    }
    case 'not': {
      const inner = compileFilter(f.filter, columns);
      // SQL's NULL would drop rows the evaluator keeps (`not (externalId eq "x")` on no externalId).
      return inner && inner.exact ? { sql: `NOT COALESCE(${inner.sql}, FALSE)`, params: inner.params, exact: true } : undefined;
    }
  }
}
