// Turns untrusted JSON into a canonical resource, once, at the edge ("parse, don't validate"):
// canonical attribute names, values of the declared types, readOnly input ignored
// (RFC 7643 2.2), null/empty meaning "no value". An attribute the schemas do not define is
// refused or, where the profile says so (Registry.ignoreUnknownAttributes), left out and
// named to the caller; keys naming a schema this server does not know (`urn:...`,
// `http://...`) are always left out (Entra's custom extensions).
//
// Entra leniencies accepted here (docs/scim-core.md): booleans as "True"/"False",
// a complex attribute given as a bare value (`manager: "id"`) or as a one-element array,
// a multi-valued attribute given as a single element.
import { scimErrors } from './errors.ts';
import { isForbiddenKey } from './path.ts';
import type { Registry } from './schema/registry.ts';
import type { AttributeDef, ResourceTypeDef } from './schema/types.ts';
import { isObject, type JsonObject } from './values.ts';

export interface CoerceOptions {
  /** Drop readOnly attributes silently (resource bodies) instead of refusing them (PATCH). */
  readonly ignoreReadOnly: boolean;
}

const NO_VALUE = undefined;

function checkKey(key: string, where: string): void {
  if (isForbiddenKey(key)) throw scimErrors.invalidSyntax(`"${key}" is not allowed as an attribute name (in ${where})`);
}

function coerceScalar(registry: Registry, def: AttributeDef, v: unknown, where: string): unknown {
  switch (def.type) {
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
      throw scimErrors.invalidValue(`"${where}" must be a boolean, got ${JSON.stringify(v)}`);
    case 'integer':
    case 'decimal': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isFinite(n) || (def.type === 'integer' && !Number.isInteger(n))) {
        throw scimErrors.invalidValue(`"${where}" must be ${def.type === 'integer' ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`);
      }
      return n;
    }
    case 'dateTime':
      if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) {
        throw scimErrors.invalidValue(`"${where}" must be an ISO 8601 dateTime, got ${JSON.stringify(v)}`);
      }
      return v;
    default: {
      if (typeof v === 'number' || typeof v === 'boolean') v = String(v);
      if (typeof v !== 'string') throw scimErrors.invalidValue(`"${where}" must be a string, got ${JSON.stringify(v)}`);
      if (v === '') return NO_VALUE;
      if (registry.enforceCanonicalValues && def.canonicalValues && def.canonicalValues.length > 0) {
        const canonical = def.canonicalValues.find((c) => c.toLowerCase() === (v as string).toLowerCase());
        if (!canonical) {
          throw scimErrors.invalidValue(`"${where}" must be one of ${def.canonicalValues.join(', ')}; got ${JSON.stringify(v)}`);
        }
        return canonical;
      }
      return v;
    }
  }
}

function coerceComplex(registry: Registry, def: AttributeDef, v: unknown, where: string, opts: CoerceOptions): JsonObject | undefined {
  if (!isObject(v)) {
    // Entra sends the manager as a bare id: a scalar fills the `value` sub-attribute.
    const valueDef = registry.subAttribute(def, 'value');
    if (valueDef && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) v = { value: v };
    else throw scimErrors.invalidValue(`"${where}" must be an object`);
  }
  const out: JsonObject = {};
  for (const [key, raw] of Object.entries(v as JsonObject)) {
    checkKey(key, where);
    const sub = registry.subAttribute(def, key);
    if (!sub) continue; // unknown sub-attributes are ignored ($ref: null from Entra, `display` on members...)
    if (sub.mutability === 'readOnly' && opts.ignoreReadOnly) continue;
    const val = raw === null ? NO_VALUE : coerceScalar(registry, sub, raw, `${where}.${sub.name}`);
    if (val !== NO_VALUE) out[sub.name] = val;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** Coerces one attribute's value to its definition; `undefined` means "no value". */
export function coerceAttribute(registry: Registry, def: AttributeDef, v: unknown, where: string, opts: CoerceOptions): unknown {
  if (v === null || v === undefined) return NO_VALUE;
  if (def.multiValued) {
    const items = Array.isArray(v) ? v : [v];
    if (def.maxValues !== undefined && items.length > def.maxValues) throw scimErrors.invalidValue(`"${where}" may hold at most ${def.maxValues} values; got ${items.length}`);
    const out: unknown[] = [];
    for (const item of items) {
      if (item === null || item === undefined) continue; // legacy Entra bodies carry null members
      const c = def.type === 'complex' ? coerceComplex(registry, def, item, where, opts) : coerceScalar(registry, def, item, where);
      if (c !== NO_VALUE) out.push(c);
    }
    return out.length === 0 ? NO_VALUE : out;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return NO_VALUE;
    if (v.length > 1) throw scimErrors.invalidValue(`"${where}" is single-valued; got ${v.length} values`);
    v = v[0];
  }
  return def.type === 'complex' ? coerceComplex(registry, def, v, where, opts) : coerceScalar(registry, def, v, where);
}

function attrName(rt: ResourceTypeDef, schemaId: string, name: string): string {
  return schemaId === rt.schema ? name : `${schemaId}:${name}`;
}

/** Checks required attributes and sub-attributes and the one-primary rule (RFC 7643 2.4). */
/** Refuses a resource in which a multi-valued attribute holds more values than its bound. */
export function checkValueCounts(registry: Registry, rt: ResourceTypeDef, resource: JsonObject): void {
  for (const s of registry.schemasOf(rt)) {
    const container = s.id === rt.schema ? resource : (resource[s.id] as JsonObject | undefined);
    for (const def of s.attributes) {
      const v = container?.[def.name];
      if (def.maxValues !== undefined && Array.isArray(v) && v.length > def.maxValues) {
        throw scimErrors.invalidValue(`"${attrName(rt, s.id, def.name)}" may hold at most ${def.maxValues} values; got ${v.length}`);
      }
    }
  }
}

export function checkResourceRules(registry: Registry, rt: ResourceTypeDef, resource: JsonObject): void {
  checkValueCounts(registry, rt, resource);
  for (const s of registry.schemasOf(rt)) {
    const container = s.id === rt.schema ? resource : (resource[s.id] as JsonObject | undefined);
    for (const def of s.attributes) {
      const v = container?.[def.name];
      if (def.required && def.mutability !== 'readOnly' && (v === undefined || v === null)) {
        throw scimErrors.invalidValue(`Required attribute "${attrName(rt, s.id, def.name)}" is missing`);
      }
      if (v === undefined || def.type !== 'complex') continue;
      const elements = def.multiValued ? (v as JsonObject[]) : [v as JsonObject];
      for (const sub of def.subAttributes ?? []) {
        if (sub.required && elements.some((e) => e[sub.name] === undefined)) {
          throw scimErrors.invalidValue(`Every "${attrName(rt, s.id, def.name)}" value needs "${sub.name}"`);
        }
      }
      if (def.multiValued && elements.filter((e) => e.primary === true).length > 1) {
        throw scimErrors.invalidValue(`At most one "${attrName(rt, s.id, def.name)}" value may be primary`);
      }
    }
  }
}

/**
 * Parses a POST/PUT body into a canonical resource. The result holds only known, writable
 * attributes under their canonical names; extension objects sit under the schema URN; the
 * `schemas` list names the core schema and each extension present. Unknown attributes the
 * profile ignores are pushed onto `ignored` (as sent, extension ones as `urn:...:name`).
 */
export function parseResource(registry: Registry, rt: ResourceTypeDef, body: unknown, ignored: string[] = []): JsonObject {
  if (!isObject(body)) throw scimErrors.invalidSyntax('The request body must be a JSON object');
  /** An attribute no schema defines: refused, or left out and named in `ignored`. */
  const unknown = (name: string, refusal: string) => {
    if (!registry.ignoreUnknownAttributes) throw scimErrors.invalidValue(refusal);
    ignored.push(name);
  };
  const opts: CoerceOptions = { ignoreReadOnly: true };
  const out: JsonObject = {};
  const extensions: JsonObject = {};
  for (const [key, raw] of Object.entries(body)) {
    checkKey(key, 'the resource');
    if (key.toLowerCase() === 'schemas') continue;
    const ext = registry.schemasOf(rt).find((s) => s.id !== rt.schema && s.id.toLowerCase() === key.toLowerCase());
    if (ext) {
      if (raw === null) continue;
      if (!isObject(raw)) throw scimErrors.invalidValue(`"${ext.id}" must be an object`);
      const target: JsonObject = {};
      for (const [k, v] of Object.entries(raw)) {
        checkKey(k, ext.id);
        const def = registry.attributeIn(rt, ext.id, k);
        if (!def) {
          unknown(`${ext.id}:${k}`, `"${ext.id}" has no attribute "${k}"`);
          continue;
        }
        if (def.mutability === 'readOnly' && opts.ignoreReadOnly) continue;
        const c = coerceAttribute(registry, def, v, `${ext.id}:${def.name}`, opts);
        if (c !== undefined) target[def.name] = c;
      }
      if (Object.keys(target).length > 0) extensions[ext.id] = target;
      continue;
    }
    const def = registry.attributeIn(rt, rt.schema, key);
    if (!def) {
      if (/^(urn:|https?:\/\/)/i.test(key)) continue; // a schema this server does not know
      unknown(key, `"${key}" is not an attribute of ${rt.name}`);
      continue;
    }
    if (def.mutability === 'readOnly') continue;
    const c = coerceAttribute(registry, def, raw, def.name, opts);
    if (c !== undefined) out[def.name] = c;
  }
  Object.assign(out, extensions);
  out.schemas = schemasFor(registry, rt, out);
  return out;
}

/** The `schemas` value of a canonical resource: the core schema and each extension it holds. */
export function schemasFor(registry: Registry, rt: ResourceTypeDef, resource: JsonObject): string[] {
  return [rt.schema, ...rt.schemaExtensions.map((e) => e.schema).filter((id) => isObject(resource[id]))];
}
