// In-memory filter evaluation over canonical resources (RFC 7644 section 3.4.2.2 rules):
// multi-valued attributes match when any value matches; string comparison honours caseExact.
import { ownValue } from '../values.ts';
import type { BoundFilter, BoundTarget, Operand } from './bind.ts';

type Json = Record<string, unknown>;

/** Every value the target holds on `resource` (or on `element`, for relative targets). */
export function valuesAt(target: BoundTarget, resource: Json, element?: unknown): unknown[] {
  if (target.relative) {
    const v = ownValue(element, target.sub!.name);
    return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
  }
  const container = target.core ? resource : ownValue(resource, target.schema);
  const v = ownValue(container, target.attribute.name);
  if (v === undefined || v === null) return [];
  const items = target.attribute.multiValued ? (Array.isArray(v) ? v : [v]) : [v];
  const out: unknown[] = [];
  for (const item of items) {
    const x = target.sub ? ownValue(item, target.sub.name) : item;
    if (x !== undefined && x !== null) out.push(x);
  }
  return out;
}

function compareOne(target: BoundTarget, op: string, actual: unknown, operand: Operand): boolean {
  const leaf = target.leaf;
  if (leaf.type === 'boolean') {
    const a = typeof actual === 'string' ? actual.toLowerCase() === 'true' : actual === true;
    return op === 'eq' ? a === operand : a !== operand;
  }
  if (leaf.type === 'integer' || leaf.type === 'decimal') {
    const a = typeof actual === 'number' ? actual : Number(actual);
    const b = operand as number;
    switch (op) {
      case 'eq': return a === b;
      case 'ne': return a !== b;
      case 'gt': return a > b;
      case 'ge': return a >= b;
      case 'lt': return a < b;
      case 'le': return a <= b;
      default: return false;
    }
  }
  let a = String(actual);
  let b = String(operand);
  if (leaf.type === 'dateTime' && (op === 'eq' || op === 'ne' || op === 'gt' || op === 'ge' || op === 'lt' || op === 'le')) {
    const ta = Date.parse(a);
    const tb = Date.parse(b);
    if (Number.isNaN(ta)) return op === 'ne';
    switch (op) {
      case 'eq': return ta === tb;
      case 'ne': return ta !== tb;
      case 'gt': return ta > tb;
      case 'ge': return ta >= tb;
      case 'lt': return ta < tb;
      case 'le': return ta <= tb;
    }
  }
  if (!leaf.caseExact) {
    a = a.toLowerCase();
    b = b.toLowerCase();
  }
  switch (op) {
    case 'eq': return a === b;
    case 'ne': return a !== b;
    case 'co': return a.includes(b);
    case 'sw': return a.startsWith(b);
    case 'ew': return a.endsWith(b);
    case 'gt': return a > b;
    case 'ge': return a >= b;
    case 'lt': return a < b;
    case 'le': return a <= b;
    default: return false;
  }
}

export function matchesFilter(f: BoundFilter, resource: Json, element?: unknown): boolean {
  switch (f.kind) {
    case 'and':
      return matchesFilter(f.left, resource, element) && matchesFilter(f.right, resource, element);
    case 'or':
      return matchesFilter(f.left, resource, element) || matchesFilter(f.right, resource, element);
    case 'not':
      return !matchesFilter(f.filter, resource, element);
    case 'present':
      return valuesAt(f.target, resource, element).some((v) => v !== '' && !(Array.isArray(v) && v.length === 0));
    case 'compare': {
      const values = valuesAt(f.target, resource, element);
      if (f.operand === null) return f.op === 'eq' ? values.length === 0 : values.length > 0;
      // `ne` holds when no value is equal (absent attributes included).
      if (f.op === 'ne') return !values.some((v) => compareOne(f.target, 'eq', v, f.operand));
      return values.some((v) => compareOne(f.target, f.op, v, f.operand));
    }
    case 'valuePath': {
      const container = f.target.core ? resource : ownValue(resource, f.target.schema);
      const v = ownValue(container, f.target.attribute.name);
      const elements = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
      return elements.some((el) => matchesFilter(f.filter, resource, el));
    }
  }
}
