// Binds a parsed filter to the schema registry: every path resolves to its definition,
// every literal is converted to the attribute's type, and operator/type mismatches fail
// with invalidFilter here, once, so the evaluator and the SQL compilers never see them.
import { scimErrors } from '../errors.ts';
import { printAttrPath } from '../path.ts';
import type { AttrPath, Registry } from '../schema/registry.ts';
import type { AttributeDef, ResourceTypeDef } from '../schema/types.ts';
import type { CompareOp, Filter, Literal } from './ast.ts';

/** Where a filter reads its values: a top-level attribute, or a sub-attribute of the element in scope. */
export interface BoundTarget {
  readonly schema: string;
  readonly core: boolean;
  readonly attribute: AttributeDef;
  readonly sub?: AttributeDef;
  /** The definition whose type and caseExact govern comparison (never complex). */
  readonly leaf: AttributeDef;
  /** Inside a value path: read `sub` from the current element, not from the resource. */
  readonly relative: boolean;
}

export type Operand = string | number | boolean | null;

export type BoundFilter =
  | { readonly kind: 'compare'; readonly target: BoundTarget; readonly op: CompareOp; readonly operand: Operand }
  | { readonly kind: 'present'; readonly target: BoundTarget }
  | { readonly kind: 'and' | 'or'; readonly left: BoundFilter; readonly right: BoundFilter }
  | { readonly kind: 'not'; readonly filter: BoundFilter }
  | { readonly kind: 'valuePath'; readonly target: BoundTarget; readonly filter: BoundFilter };

const ORDERING: ReadonlySet<CompareOp> = new Set(['gt', 'ge', 'lt', 'le']);
const SUBSTRING: ReadonlySet<CompareOp> = new Set(['co', 'sw', 'ew']);

function fail(detail: string): never {
  throw scimErrors.invalidFilter(detail);
}

function leafOf(attribute: AttributeDef, sub: AttributeDef | undefined, registry: Registry, written: string): { sub?: AttributeDef; leaf: AttributeDef } {
  if (sub) return { sub, leaf: sub };
  if (attribute.type !== 'complex') return { leaf: attribute };
  // RFC 7644 3.4.2.2: a filter on a complex multi-valued attribute compares its `value`.
  const value = registry.subAttribute(attribute, 'value');
  if (!value) fail(`"${written}" is a complex attribute; name one of its sub-attributes`);
  return { sub: value, leaf: value };
}

function bindTopLevel(registry: Registry, rt: ResourceTypeDef, path: AttrPath): BoundTarget {
  const written = printAttrPath(path);
  const r = registry.resolve(rt, path);
  if (!r || !r.attribute) fail(`Unknown attribute "${written}" in filter`);
  return Object.freeze({ schema: r.schema, core: r.core, attribute: r.attribute, relative: false, ...leafOf(r.attribute, r.sub, registry, written) });
}

function bindRelative(registry: Registry, parent: BoundTarget, path: AttrPath): BoundTarget {
  const written = printAttrPath(path);
  if (path.uri !== undefined || path.sub !== undefined) fail(`"${written}" must be a sub-attribute of "${parent.attribute.name}"`);
  const sub = registry.subAttribute(parent.attribute, path.attr);
  if (!sub) fail(`"${parent.attribute.name}" has no sub-attribute "${path.attr}"`);
  return Object.freeze({ schema: parent.schema, core: parent.core, attribute: parent.attribute, sub, leaf: sub, relative: true });
}

function operandFor(target: BoundTarget, op: CompareOp, lit: Literal): Operand {
  const name = target.sub ? `${target.attribute.name}.${target.sub.name}` : target.attribute.name;
  if (lit.kind === 'null') {
    if (op !== 'eq' && op !== 'ne') fail(`"${op}" cannot compare "${name}" with null`);
    return null;
  }
  switch (target.leaf.type) {
    case 'boolean': {
      if (op !== 'eq' && op !== 'ne') fail(`"${op}" is not defined for the boolean attribute "${name}"`);
      if (lit.kind === 'boolean') return lit.value;
      // Entra writes roles[primary eq "True"]: booleans as strings.
      if (lit.kind === 'string' && /^(true|false)$/i.test(lit.value)) return lit.value.toLowerCase() === 'true';
      return fail(`"${name}" is boolean; compare it with true or false`);
    }
    case 'integer':
    case 'decimal': {
      if (SUBSTRING.has(op)) fail(`"${op}" is not defined for the numeric attribute "${name}"`);
      const n = lit.kind === 'number' ? lit.value : lit.kind === 'string' && lit.value.trim() !== '' ? Number(lit.value) : NaN;
      if (!Number.isFinite(n)) fail(`"${name}" is numeric; compare it with a number`);
      return n;
    }
    case 'dateTime': {
      const s = lit.kind === 'string' ? lit.value : lit.kind === 'number' ? lit.raw : String(lit.value);
      if (!SUBSTRING.has(op) && Number.isNaN(Date.parse(s))) fail(`"${name}" is a dateTime; "${s}" is not one`);
      return s;
    }
    default: {
      if (lit.kind === 'boolean' && ORDERING.has(op)) fail(`"${op}" cannot compare "${name}" with a boolean`);
      // Unquoted numbers and booleans compare as their text (`externalId eq 167844`).
      return lit.kind === 'string' ? lit.value : lit.kind === 'number' ? lit.raw : String(lit.value);
    }
  }
}

function bindNode(registry: Registry, rt: ResourceTypeDef, f: Filter, parent: BoundTarget | undefined): BoundFilter {
  switch (f.kind) {
    case 'and':
    case 'or':
      return Object.freeze({ kind: f.kind, left: bindNode(registry, rt, f.left, parent), right: bindNode(registry, rt, f.right, parent) });
    case 'not':
      return Object.freeze({ kind: 'not', filter: bindNode(registry, rt, f.filter, parent) });
    case 'present': {
      const target = parent ? bindRelative(registry, parent, f.path) : bindTopLevel(registry, rt, f.path);
      return Object.freeze({ kind: 'present', target });
    }
    case 'compare': {
      const target = parent ? bindRelative(registry, parent, f.path) : bindTopLevel(registry, rt, f.path);
      return Object.freeze({ kind: 'compare', target, op: f.op, operand: operandFor(target, f.op, f.value) });
    }
    case 'valuePath': {
      const r = registry.resolve(rt, f.path);
      const written = printAttrPath(f.path);
      if (!r || !r.attribute) fail(`Unknown attribute "${written}" in filter`);
      if (r.attribute.type !== 'complex') fail(`"${written}" is not a complex attribute; it cannot take a value filter`);
      const target: BoundTarget = Object.freeze({ schema: r.schema, core: r.core, attribute: r.attribute, leaf: r.attribute, relative: false });
      return Object.freeze({ kind: 'valuePath', target, filter: bindNode(registry, rt, f.filter, target) });
    }
  }
}

export function bindFilter(registry: Registry, rt: ResourceTypeDef, f: Filter): BoundFilter {
  return bindNode(registry, rt, f, undefined);
}

/** Binds the value filter of a PATCH path (`emails[type eq "work"]`) relative to its attribute. */
export function bindValueFilter(registry: Registry, rt: ResourceTypeDef, parent: BoundTarget, f: Filter): BoundFilter {
  return bindNode(registry, rt, f, parent);
}

/** Whether a bound filter reads the core attribute `name` anywhere (to load what lives outside the row). */
export function filterMentions(f: BoundFilter, name: string): boolean {
  switch (f.kind) {
    case 'and':
    case 'or':
      return filterMentions(f.left, name) || filterMentions(f.right, name);
    case 'not':
      return filterMentions(f.filter, name);
    default:
      return f.target.core && f.target.attribute.name === name;
  }
}
