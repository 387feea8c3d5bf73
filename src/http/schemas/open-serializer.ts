// Response serialisers for schemas whose leaves are open objects (SCIM resources, shaped by a
// registry rather than by the route schema). fast-json-stringify walks an open object key by
// key and is slower there than JSON.stringify (3.2 against 2.1 us for one user, 309 against
// 170 us for a page of 100: docs/benchmarks.md). These keep what the schema promises: an object
// with declared properties carries only those (nested declared objects likewise), an open
// object is written as it is, by JSON.stringify.
import type { JsonSchema } from './common.ts';

type Pick = (value: unknown) => unknown;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What of a value the schema lets through: declared properties only where it declares them. */
function picker(schema: JsonSchema): Pick | undefined {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (schema.type === 'array' && schema.items) {
    const item = picker(schema.items as JsonSchema);
    return item ? (v) => (Array.isArray(v) ? v.map(item) : v) : undefined;
  }
  if (schema.type !== 'object' || !properties || schema.additionalProperties === true) return undefined;
  const fields = Object.entries(properties).map(([name, s]) => [name, picker(s)] as const);
  return (v) => {
    if (!isPlainObject(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [name, pick] of fields) {
      const x = v[name];
      if (x !== undefined) out[name] = pick ? pick(x) : x;
    }
    return out;
  };
}

/** A Fastify serializer compiler: JSON.stringify of what the response schema declares. */
export function openSerializerCompiler({ schema }: { schema: JsonSchema }): (data: unknown) => string {
  const pick = picker(schema);
  return pick ? (data) => JSON.stringify(pick(data)) : (data) => JSON.stringify(data);
}
