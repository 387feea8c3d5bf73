// `attributes` / `excludedAttributes` and the `returned` characteristic (RFC 7644 3.4.2.5,
// RFC 7643 2.2): password never comes back, `id` always does; `meta` is returned always
// here too, since clients read the version (ETag) from it.
import { COMMON_ATTRIBUTES } from './schema/common.ts';
import type { Registry } from './schema/registry.ts';
import type { AttributeDef, ResourceTypeDef } from './schema/types.ts';
import { parseAttributeList } from './path.ts';
import { isObject, type JsonObject } from './values.ts';

interface Selection {
  /** Whole attributes, keyed `schemaId|name`. */
  readonly whole: ReadonlySet<string>;
  /** Sub-attributes, keyed `schemaId|name` -> set of sub names. */
  readonly subs: ReadonlyMap<string, ReadonlySet<string>>;
  /** Whole extension schemas. */
  readonly schemas: ReadonlySet<string>;
}

export interface Projection {
  readonly attributes?: Selection;
  readonly excluded?: Selection;
}

const key = (schemaId: string, name: string) => `${schemaId}|${name}`;

function select(registry: Registry, rt: ResourceTypeDef, text: string | undefined): Selection | undefined {
  const paths = parseAttributeList(text);
  if (paths.length === 0) return undefined;
  const whole = new Set<string>();
  const subs = new Map<string, Set<string>>();
  const schemas = new Set<string>();
  for (const p of paths) {
    const r = registry.resolve(rt, p);
    if (!r) continue; // RFC 7644 3.4.2.5 does not make unknown names an error; they select nothing.
    if (!r.attribute) schemas.add(r.schema);
    else if (r.sub) {
      const k = key(r.schema, r.attribute.name);
      if (!subs.has(k)) subs.set(k, new Set());
      subs.get(k)!.add(r.sub.name);
    } else whole.add(key(r.schema, r.attribute.name));
  }
  return { whole, subs, schemas };
}

export function parseProjection(registry: Registry, rt: ResourceTypeDef, attributes?: string, excludedAttributes?: string): Projection {
  const a = select(registry, rt, attributes);
  // RFC 7644 3.4.2.5: when both are given, `attributes` wins.
  return Object.freeze(a ? { attributes: a } : { excluded: select(registry, rt, excludedAttributes) });
}

const ALWAYS = new Set(['id', 'meta']);

function isAlways(def: AttributeDef, core: boolean): boolean {
  return def.returned === 'always' || (core && ALWAYS.has(def.name));
}

/** Which sub-attributes of a complex value survive: a rule, not a callback, so the hot path allocates no closures. */
interface SubRule {
  /** Keep sub-attributes returned by default ('request' ones only when named in `only`). */
  readonly defaults: boolean;
  readonly only?: ReadonlySet<string>;
  readonly except?: ReadonlySet<string>;
}

const DEFAULTS: SubRule = { defaults: true };
const ALL_BUT_NEVER: SubRule = { defaults: false };

function keepSub(sub: AttributeDef, rule: SubRule): boolean {
  if (sub.returned === 'never') return false;
  if (rule === ALL_BUT_NEVER || sub.returned === 'always') return true;
  if (rule.only) return rule.only.has(sub.name);
  if (sub.returned === 'request') return false;
  return !rule.except?.has(sub.name);
}

function pickSubs(def: AttributeDef, el: unknown, rule: SubRule): unknown {
  if (!isObject(el)) return el;
  const out: JsonObject = {};
  let any = false;
  for (const sub of def.subAttributes ?? []) {
    const v = el[sub.name];
    if (v !== undefined && keepSub(sub, rule)) {
      out[sub.name] = v;
      any = true;
    }
  }
  return any ? out : undefined;
}

function filterSubs(def: AttributeDef, value: unknown, rule: SubRule): unknown {
  if (!Array.isArray(value)) return pickSubs(def, value, rule);
  const arr: unknown[] = [];
  for (const el of value) {
    const x = pickSubs(def, el, rule);
    if (x !== undefined) arr.push(x);
  }
  return arr.length > 0 ? arr : undefined;
}

function projectAttribute(def: AttributeDef, schemaId: string, core: boolean, value: unknown, p: Projection): unknown {
  if (def.returned === 'never') return undefined;
  const complex = def.type === 'complex';
  if (isAlways(def, core)) return complex ? filterSubs(def, value, ALL_BUT_NEVER) : value;
  if (p.attributes) {
    const k = key(schemaId, def.name);
    const sel = p.attributes;
    if (sel.whole.has(k) || sel.schemas.has(schemaId)) return complex ? filterSubs(def, value, DEFAULTS) : value;
    const subs = sel.subs.get(k);
    return subs ? filterSubs(def, value, { defaults: false, only: subs }) : undefined;
  }
  if (def.returned === 'request') return undefined;
  const ex = p.excluded;
  if (!ex) return complex ? filterSubs(def, value, DEFAULTS) : value;
  const k = key(schemaId, def.name);
  if (ex.whole.has(k) || ex.schemas.has(schemaId)) return undefined;
  if (!complex) return value;
  const exSubs = ex.subs.get(k);
  return filterSubs(def, value, exSubs ? { defaults: true, except: exSubs } : DEFAULTS);
}

/** A resource type's attributes in output order, worked out once per registry (the hot path only walks it). */
interface Layout {
  readonly common: readonly AttributeDef[];
  readonly schemas: readonly { readonly id: string; readonly core: boolean; readonly attributes: readonly AttributeDef[] }[];
}

const COMMON_NAMES: ReadonlySet<string> = new Set(COMMON_ATTRIBUTES.map((a) => a.name));
const layouts = new WeakMap<Registry, Map<ResourceTypeDef, Layout>>();

function layoutOf(registry: Registry, rt: ResourceTypeDef): Layout {
  let byType = layouts.get(registry);
  if (!byType) layouts.set(registry, (byType = new Map()));
  let layout = byType.get(rt);
  if (!layout) {
    layout = {
      common: COMMON_ATTRIBUTES.filter((def) => def.name !== 'meta' && def.name !== 'schemas'),
      schemas: registry.schemasOf(rt).map((s) => {
        const core = s.id === rt.schema;
        return { id: s.id, core, attributes: core ? s.attributes.filter((def) => !COMMON_NAMES.has(def.name)) : s.attributes };
      }),
    };
    byType.set(rt, layout);
  }
  return layout;
}

/** The representation a client sees, honouring `returned` and the request's selection. */
export function projectResource(registry: Registry, rt: ResourceTypeDef, resource: JsonObject, p: Projection = {}): JsonObject {
  const out: JsonObject = {};
  const schemas: string[] = [rt.schema];
  out.schemas = schemas;
  const layout = layoutOf(registry, rt);
  for (const def of layout.common) {
    const v = resource[def.name];
    if (v === undefined) continue;
    const projected = projectAttribute(def, rt.schema, true, v, p);
    if (projected !== undefined) out[def.name] = projected;
  }
  for (const s of layout.schemas) {
    const container = s.core ? resource : resource[s.id];
    if (!isObject(container)) continue;
    const target: JsonObject = s.core ? out : {};
    let any = false;
    for (const def of s.attributes) {
      const v = container[def.name];
      if (v === undefined) continue;
      const projected = projectAttribute(def, s.id, s.core, v, p);
      if (projected !== undefined) {
        target[def.name] = projected;
        any = true;
      }
    }
    if (!s.core && any) {
      out[s.id] = target;
      schemas.push(s.id);
    }
  }
  if (resource.meta !== undefined) out.meta = resource.meta;
  return out;
}
