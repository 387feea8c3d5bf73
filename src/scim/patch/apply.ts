// Applies PATCH operations (RFC 7644 section 3.5.2) to a canonical resource. Pure and atomic:
// it works on a copy and either returns the whole new resource or throws a ScimError.
//
// Decisions where the RFC leaves room or Entra needs more (docs/scim-core.md):
// - `add`/`replace` on a value-filter path that matches nothing creates the element from
//   the filter's `eq` clauses (Entra's `Add emails[type eq "work"].value`); `replace` too,
//   since Entra's flagged mode sends `replace` for the same paths.
// - `replace` with "" or null clears; `add` on a single-valued attribute replaces.
// - `remove` of a multi-valued attribute WITH a value list removes only the listed values.
// - `remove` with a filter that matches nothing is a no-op (idempotent), not noTarget.
// - a new `primary: true` value clears `primary` on the attribute's other values.
import { scimErrors } from '../errors.ts';
import { bindValueFilter, matchesFilter, type BoundFilter, type BoundTarget } from '../filter/index.ts';
import { isForbiddenKey } from '../path.ts';
import { checkResourceRules, checkValueCounts, coerceAttribute, schemasFor } from '../resource.ts';
import type { Registry } from '../schema/registry.ts';
import type { AttributeDef, ResourceTypeDef } from '../schema/types.ts';
import { copyOf, deepClone, deepEqual, isObject, type JsonObject } from '../values.ts';
import { parsePatchPath, type PatchOpName, type PatchOperation, type PatchPath } from './parse.ts';

interface Target {
  readonly text: string;
  readonly schema: string;
  readonly core: boolean;
  /** Absent when the path names a whole extension schema. */
  readonly attribute?: AttributeDef;
  readonly sub?: AttributeDef;
  readonly filter?: BoundFilter;
}

export interface PatchResult {
  readonly resource: JsonObject;
  readonly changed: boolean;
}

const COERCE = { ignoreReadOnly: true } as const;

class Patcher {
  constructor(
    private readonly registry: Registry,
    private readonly rt: ResourceTypeDef,
    private readonly draft: JsonObject,
  ) {}

  bind(path: PatchPath): Target {
    const r = this.registry.resolve(this.rt, path.attrPath);
    if (!r) throw scimErrors.invalidPath(`"${path.text}" is not an attribute of ${this.rt.name}`);
    if (!r.attribute) {
      if (path.filter) throw scimErrors.invalidPath(`"${path.text}": a schema cannot take a value filter`);
      return { text: path.text, schema: r.schema, core: false };
    }
    if (!path.filter) return { text: path.text, schema: r.schema, core: r.core, attribute: r.attribute, sub: r.sub };
    if (r.attribute.type !== 'complex') throw scimErrors.invalidPath(`"${path.text}": only complex attributes take a value filter`);
    const parent: BoundTarget = { schema: r.schema, core: r.core, attribute: r.attribute, leaf: r.attribute, relative: false };
    let filter: BoundFilter;
    try {
      filter = bindValueFilter(this.registry, this.rt, parent, path.filter);
    } catch (e) {
      throw scimErrors.invalidPath(`"${path.text}": ${(e as Error).message}`);
    }
    let sub: AttributeDef | undefined;
    if (path.subAfterFilter !== undefined) {
      sub = this.registry.subAttribute(r.attribute, path.subAfterFilter);
      if (!sub) throw scimErrors.invalidPath(`"${path.text}": "${r.attribute.name}" has no sub-attribute "${path.subAfterFilter}"`);
    }
    return { text: path.text, schema: r.schema, core: r.core, attribute: r.attribute, sub, filter };
  }

  apply(op: PatchOperation): void {
    if (op.path) return this.applyAt(op.op, this.bind(op.path), op.value, false);
    // No path: the value's keys are attribute paths (Entra sends `name.givenName` and
    // `urn:...:User:employeeNumber` keys), or extension URNs holding objects.
    for (const [key, v] of Object.entries(op.value as JsonObject)) {
      if (isForbiddenKey(key)) throw scimErrors.invalidPath(`"${key}" is not allowed as an attribute name`);
      if (key.toLowerCase() === 'schemas') continue;
      const ext = this.registry.schemasOf(this.rt).find((s) => s.id !== this.rt.schema && s.id.toLowerCase() === key.toLowerCase());
      if (ext) {
        this.applyAt(op.op, { text: key, schema: ext.id, core: false }, v, true);
        continue;
      }
      this.applyAt(op.op, this.bind(parsePatchPath(key)), v, true);
    }
  }

  private container(t: Target, create: boolean): JsonObject | undefined {
    if (t.core) return this.draft;
    const c = this.draft[t.schema];
    if (isObject(c)) return c;
    if (!create) return undefined;
    const fresh: JsonObject = {};
    this.draft[t.schema] = fresh;
    return fresh;
  }

  private applyAt(op: PatchOpName, t: Target, value: unknown, fromNoPath: boolean): void {
    const def = t.attribute;
    if (!def) return this.applyToExtension(op, t, value, fromNoPath);
    if (def.mutability === 'readOnly' || t.sub?.mutability === 'readOnly') {
      // A no-path value may echo the whole resource (id, meta): ignored as in resource bodies.
      if (fromNoPath) return;
      throw scimErrors.mutability(`"${t.text}" is read-only`);
    }
    if (op === 'remove') return this.remove(t, def, value);
    if (t.filter) return this.setFiltered(t, def, value);
    if (t.sub) return this.setSub(t, def, t.sub, value);
    return this.setWhole(op, t, def, value);
  }

  private applyToExtension(op: PatchOpName, t: Target, value: unknown, fromNoPath: boolean): void {
    if (op === 'remove') {
      delete this.draft[t.schema];
      return;
    }
    if (value === null || value === '') return;
    if (!isObject(value)) throw scimErrors.invalidValue(`"${t.text}" must be given an object of attributes`);
    for (const [key, v] of Object.entries(value)) {
      if (isForbiddenKey(key)) throw scimErrors.invalidPath(`"${key}" is not allowed as an attribute name`);
      if (key.toLowerCase() === 'schemas') continue; // an extension object may carry its `schemas`, as in a PUT body
      const def = this.registry.attributeIn(this.rt, t.schema, key);
      if (!def) throw scimErrors.invalidPath(`"${t.schema}" has no attribute "${key}"`);
      this.applyAt(op, { text: `${t.schema}:${def.name}`, schema: t.schema, core: false, attribute: def }, v, fromNoPath);
    }
  }

  private coerce(def: AttributeDef, value: unknown, where: string): unknown {
    return coerceAttribute(this.registry, def, value, where, COERCE);
  }

  private setWhole(op: PatchOpName, t: Target, def: AttributeDef, value: unknown): void {
    const c = this.coerce(def, value, t.text);
    const cont = this.container(t, c !== undefined);
    if (!cont) return;
    const current = cont[def.name];
    if (def.multiValued) {
      if (op === 'replace') {
        checkImmutable(def, current, c, t.text);
        if (c === undefined) delete cont[def.name];
        else cont[def.name] = c;
        return;
      }
      if (c === undefined) return;
      const arr = Array.isArray(current) ? [...current] : [];
      const touched: unknown[] = [];
      for (const el of c as unknown[]) {
        const idx = arr.findIndex((x) => sameValue(this.registry, def, x, el, true));
        const merged = idx >= 0 && isObject(arr[idx]) && isObject(el) ? { ...arr[idx], ...el } : el;
        if (idx >= 0) arr[idx] = merged;
        else arr.push(merged);
        touched.push(merged);
      }
      cont[def.name] = arr;
      clearOtherPrimaries(arr, touched);
      return;
    }
    checkImmutable(def, current, c, t.text);
    if (c === undefined) delete cont[def.name];
    else cont[def.name] = def.type === 'complex' && isObject(current) ? { ...current, ...(c as JsonObject) } : c;
  }

  private setSub(t: Target, def: AttributeDef, sub: AttributeDef, value: unknown): void {
    const v = this.coerce(sub, value, t.text);
    const cont = this.container(t, v !== undefined);
    if (!cont) return;
    if (!def.multiValued) {
      const obj: JsonObject = isObject(cont[def.name]) ? copyOf(cont[def.name] as JsonObject) : {};
      checkImmutable(sub, obj[sub.name], v, t.text);
      if (v === undefined) delete obj[sub.name];
      else obj[sub.name] = v;
      if (Object.keys(obj).length === 0) delete cont[def.name];
      else cont[def.name] = obj;
      return;
    }
    // `emails.value` without a filter: every value; with none yet, a first one.
    const arr = Array.isArray(cont[def.name]) ? (cont[def.name] as JsonObject[]) : [];
    if (arr.length === 0) {
      if (v !== undefined) cont[def.name] = [{ [sub.name]: v }];
      return;
    }
    this.writeElements(cont, def, arr.map((el) => withSub(el, sub, v, t.text)));
  }

  private setFiltered(t: Target, def: AttributeDef, value: unknown): void {
    const cont = this.container(t, true)!;
    const arr = elementsOf(cont[def.name]);
    const matches = arr.map((el, i) => (matchesFilter(t.filter!, this.draft, el) ? i : -1)).filter((i) => i >= 0);
    const touched: JsonObject[] = [];
    if (t.sub) {
      const v = this.coerce(t.sub, value, t.text);
      if (matches.length === 0) {
        if (v === undefined) return;
        touched.push(this.newElement(t, def, { [t.sub.name]: v }));
        arr.push(touched[0]);
      }
      for (const i of matches) {
        arr[i] = withSub(arr[i], t.sub, v, t.text);
        touched.push(arr[i]);
      }
    } else {
      const single = Array.isArray(value) && value.length === 1 ? value[0] : value;
      const c = this.coerce({ ...def, multiValued: false }, single, t.text) as JsonObject | undefined;
      if (matches.length === 0) {
        if (c === undefined) return;
        touched.push(this.newElement(t, def, c));
        arr.push(touched[0]);
      }
      for (const i of matches) {
        arr[i] = { ...arr[i], ...(c ?? {}) };
        touched.push(arr[i]);
      }
    }
    clearOtherPrimaries(arr, touched);
    this.writeElements(cont, def, arr);
  }

  /** A new element built from the filter's `eq` clauses plus the given sub-attributes. */
  private newElement(t: Target, def: AttributeDef, extra: JsonObject): JsonObject {
    const base = elementFromFilter(t.filter!);
    if (!base) throw scimErrors.noTarget(`No value matches "${t.text}", and its filter does not say how to create one`);
    const el = this.coerce({ ...def, multiValued: false }, { ...base, ...extra }, t.text);
    return el as JsonObject;
  }

  private writeElements(cont: JsonObject, def: AttributeDef, arr: JsonObject[]): void {
    // A value that lost its `value` is gone (e.g. after `replace emails[type eq "work"].value ""`).
    const hasValue = def.subAttributes?.some((s) => s.name === 'value');
    const kept = arr.filter((el) => Object.keys(el).length > 0 && (!hasValue || el.value !== undefined));
    if (kept.length === 0) delete cont[def.name];
    else cont[def.name] = def.multiValued ? kept : kept[0];
  }

  private remove(t: Target, def: AttributeDef, value: unknown): void {
    if (def.required && !t.sub && !t.filter) throw scimErrors.mutability(`"${t.text}" is required and cannot be removed`);
    const cont = this.container(t, false);
    if (!cont || cont[def.name] === undefined) return;
    if (t.filter) {
      const arr = elementsOf(cont[def.name]);
      const next = t.sub
        ? arr.map((el) => (matchesFilter(t.filter!, this.draft, el) ? withSub(el, t.sub!, undefined, t.text) : el))
        : arr.filter((el) => !matchesFilter(t.filter!, this.draft, el));
      return this.writeElements(cont, def, next);
    }
    if (t.sub) {
      if (t.sub.required) throw scimErrors.mutability(`"${t.text}" is required and cannot be removed`);
      return this.writeElements(cont, def, elementsOf(cont[def.name]).map((el) => withSub(el, t.sub!, undefined, t.text)));
    }
    if (def.multiValued && value !== undefined && value !== null) {
      // Entra's default job: {"op":"Remove","path":"members","value":[{"value":"id"}]}
      // removes the listed members only, never the whole list.
      const listed = (this.coerce(def, value, t.text) as unknown[] | undefined) ?? [];
      const arr = (cont[def.name] as unknown[]).filter((el) => !listed.some((x) => sameValue(this.registry, def, el, x, false)));
      if (arr.length === 0) delete cont[def.name];
      else cont[def.name] = arr;
      return;
    }
    if (def.mutability === 'immutable') throw scimErrors.mutability(`"${t.text}" is immutable`);
    delete cont[def.name];
  }
}

function elementsOf(v: unknown): JsonObject[] {
  if (Array.isArray(v)) return v.filter(isObject).map((x) => copyOf(x));
  return isObject(v) ? [copyOf(v)] : [];
}

function withSub(el: JsonObject, sub: AttributeDef, v: unknown, text: string): JsonObject {
  checkImmutable(sub, el[sub.name], v, text);
  const next = copyOf(el);
  if (v === undefined) delete next[sub.name];
  else next[sub.name] = v;
  return next;
}

function checkImmutable(def: AttributeDef, current: unknown, next: unknown, text: string): void {
  if (def.mutability === 'immutable' && current !== undefined && !deepEqual(current, next)) {
    throw scimErrors.mutability(`"${text}" is immutable and already has a value`);
  }
}

/** Two values are the same element: equal `value` (and `type`, when both have one), else deep-equal. */
function sameValue(registry: Registry, def: AttributeDef, a: unknown, b: unknown, considerType: boolean): boolean {
  const valueDef = def.type === 'complex' ? registry.subAttribute(def, 'value') : undefined;
  if (!valueDef || !isObject(a) || !isObject(b)) return deepEqual(a, b);
  if (a.value === undefined || b.value === undefined) return deepEqual(a, b);
  const eq = valueDef.caseExact ? a.value === b.value : String(a.value).toLowerCase() === String(b.value).toLowerCase();
  if (!eq) return false;
  return !considerType || a.type === undefined || b.type === undefined || a.type === b.type;
}

function clearOtherPrimaries(arr: unknown[], touched: unknown[]): void {
  if (!touched.some((x) => isObject(x) && x.primary === true)) return;
  for (let i = 0; i < arr.length; i++) {
    const el = arr[i];
    if (isObject(el) && el.primary === true && !touched.includes(el)) arr[i] = { ...el, primary: false };
  }
}

/** `type eq "work" and value eq "x"` -> {type: "work", value: "x"}; undefined if not derivable. */
export function elementFromFilter(f: BoundFilter): JsonObject | undefined {
  if (f.kind === 'compare' && f.op === 'eq' && f.operand !== null && f.target.relative) return { [f.target.sub!.name]: f.operand };
  if (f.kind === 'and') {
    const l = elementFromFilter(f.left);
    const r = elementFromFilter(f.right);
    return l && r ? { ...l, ...r } : undefined;
  }
  return undefined;
}

/** Applies all operations or none (RFC 7644 3.5.2: a PATCH is atomic). */
export function applyPatch(registry: Registry, rt: ResourceTypeDef, resource: JsonObject, ops: readonly PatchOperation[]): PatchResult {
  const draft = deepClone(resource);
  const patcher = new Patcher(registry, rt, draft);
  for (const op of ops) {
    patcher.apply(op);
    // Bounded after every operation, so many small adds cannot grow a list quadratically.
    checkValueCounts(registry, rt, draft);
  }
  for (const ext of rt.schemaExtensions) {
    const c = draft[ext.schema];
    if (c !== undefined && (!isObject(c) || Object.keys(c).length === 0)) delete draft[ext.schema];
  }
  draft.schemas = schemasFor(registry, rt, draft);
  checkResourceRules(registry, rt, draft);
  return { resource: draft, changed: !deepEqual(resource, draft) };
}
