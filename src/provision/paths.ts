// Reading and writing SCIM attribute paths on plain JSON resources, the way a client sees
// them: `emails[type eq "work"].value`, `urn:...:User:department`, `name.givenName`. Only
// `eq` clauses joined by `and` can name an element (that is what mappings use).
import { GROUP_SCHEMA, parsePatchPath, USER_SCHEMA, type Filter, type JsonObject } from '../scim/index.ts';

function eqClauses(f: Filter): Record<string, string | number | boolean> {
  if (f.kind === 'compare' && f.op === 'eq' && f.value.kind !== 'null') return { [f.path.attr]: f.value.value };
  if (f.kind === 'and') return { ...eqClauses(f.left), ...eqClauses(f.right) };
  throw new Error('only eq clauses joined by and can select a value in a mapping target');
}

const keyOf = (o: JsonObject, name: string) => Object.keys(o).find((k) => k.toLowerCase() === name.toLowerCase());

function containerOf(resource: JsonObject, uri: string | undefined, create: boolean): JsonObject | undefined {
  if (uri === undefined || uri.toLowerCase() === USER_SCHEMA.toLowerCase() || uri.toLowerCase() === GROUP_SCHEMA.toLowerCase()) return resource;
  const k = keyOf(resource, uri);
  if (k !== undefined && typeof resource[k] === 'object' && resource[k] !== null) return resource[k] as JsonObject;
  if (!create) return undefined;
  const fresh: JsonObject = {};
  resource[uri] = fresh;
  return fresh;
}

/** Splits `urn:...:2.0:User:manager` into (uri, attr); a whole-URN path has no attribute. */
function split(path: string) {
  const p = parsePatchPath(path);
  return { uri: p.attrPath.uri, attr: p.attrPath.attr, sub: p.attrPath.sub ?? p.subAfterFilter, where: p.filter ? eqClauses(p.filter) : undefined };
}

function matches(el: unknown, where: Record<string, unknown>): boolean {
  if (typeof el !== 'object' || el === null) return false;
  const o = el as JsonObject;
  return Object.entries(where).every(([k, v]) => {
    const key = keyOf(o, k);
    return key !== undefined && String(o[key]).toLowerCase() === String(v).toLowerCase();
  });
}

/** The value at `path` in a resource read from a SCIM server (undefined when absent). */
export function readPath(resource: JsonObject, path: string): unknown {
  const { uri, attr, sub, where } = split(path);
  const c = containerOf(resource, uri, false);
  if (!c) return undefined;
  const k = keyOf(c, attr);
  let v = k === undefined ? undefined : c[k];
  if (where) {
    const el = Array.isArray(v) ? v.find((e) => matches(e, where)) : matches(v, where) ? v : undefined;
    v = el;
  }
  if (sub !== undefined) {
    if (Array.isArray(v)) v = v[0];
    if (typeof v !== 'object' || v === null) return undefined;
    const sk = keyOf(v as JsonObject, sub);
    return sk === undefined ? undefined : (v as JsonObject)[sk];
  }
  return v;
}

/** Sets `path` on a resource being built for a POST (several paths on one filter build one element). */
export function writePath(resource: JsonObject, path: string, value: unknown): void {
  const { uri, attr, sub, where } = split(path);
  const c = containerOf(resource, uri, true)!;
  if (where) {
    const arr = (Array.isArray(c[attr]) ? c[attr] : []) as JsonObject[];
    let el = arr.find((e) => matches(e, where));
    if (!el) {
      el = { ...where };
      arr.push(el);
    }
    if (sub !== undefined) el[sub] = value;
    else Object.assign(el, value);
    c[attr] = arr;
    return;
  }
  if (sub !== undefined) {
    const obj = (typeof c[attr] === 'object' && c[attr] !== null ? c[attr] : {}) as JsonObject;
    obj[sub] = value;
    c[attr] = obj;
    return;
  }
  c[attr] = value;
}

/** Two values are the same for sync purposes: booleans and strings compare by text, case-sensitively. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null) return b === undefined || b === null || b === '';
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return String(a).toLowerCase() === String(b).toLowerCase() && (typeof a !== 'string' || typeof b !== 'string' || a === b);
}
