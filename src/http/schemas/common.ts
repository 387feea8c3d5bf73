// JSON Schema building blocks shared by the route schemas. Plain JSON Schema (draft 2020-12
// subset that Ajv and OpenAPI 3.1 both read): the routes validate input and serialise output
// from these, and @fastify/swagger publishes them as /openapi.json.
//
// The builders keep the literal type of what they build (`{ type: 'string'; enum: ['a', 'b'] }`,
// not `Record<string, unknown>`), so the JSON-schema type provider (json-schema-to-ts) derives
// each handler's params, querystring and body types from the same schema Ajv validates with:
// a handler reads `request.query.pageSize` as `number | undefined` without a cast.

import type { FastifySchema, FastifyTypeProvider } from 'fastify';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

export type JsonSchema = Readonly<Record<string, unknown>>;

type Described = { readonly description?: string };

const described = (description?: string): Described => (description ? { description } : {});

// Overloads, not a defaulted type parameter: called inside another builder, a defaulted `E`
// would be inferred from the outer contextual type (any JSON Schema) and erase the literal.
export function str(description?: string): { readonly type: 'string' } & Described;
export function str<const E extends JsonSchema>(description: string | undefined, extra: E): { readonly type: 'string' } & Described & E;
export function str(description?: string, extra?: JsonSchema): JsonSchema {
  return { type: 'string', ...described(description), ...extra };
}
export function int(description?: string): { readonly type: 'integer' } & Described;
export function int<const E extends JsonSchema>(description: string | undefined, extra: E): { readonly type: 'integer' } & Described & E;
export function int(description?: string, extra?: JsonSchema): JsonSchema {
  return { type: 'integer', ...described(description), ...extra };
}
export const bool = (description?: string) => ({ type: 'boolean', ...described(description) }) as { readonly type: 'boolean' } & Described;
export const arrayOf = <const I extends JsonSchema>(items: I, description?: string) =>
  ({ type: 'array', items, ...described(description) }) as { readonly type: 'array'; readonly items: I } & Described;
export const enumOf = <const V extends readonly string[]>(values: V, description?: string) =>
  ({ type: 'string', enum: [...values], ...described(description) }) as unknown as { readonly type: 'string'; readonly enum: V } & Described;

/** An object with the listed properties; `open` keeps properties the schema does not name. */
export function object<const P extends Readonly<Record<string, JsonSchema>>, const R extends readonly (keyof P & string)[] = [], const O extends boolean = false>(
  properties: P,
  required?: R,
  open?: O,
): { readonly type: 'object'; readonly properties: P; readonly required: R; readonly additionalProperties: O } {
  const names = required ?? [];
  // An empty `required` is left out of the published schema (JSON Schema allows it, OpenAPI
  // viewers show it as noise); the type keeps `[]`, which means the same.
  return { type: 'object', properties, ...(names.length > 0 ? { required: [...names] } : {}), additionalProperties: open ?? false } as never;
}

/** Any JSON object: used where the shape is decided by a registry or by the caller (SCIM resources, audit changes). */
export const anyObject = (description?: string) => ({ type: 'object', additionalProperties: true, ...described(description) }) as { readonly type: 'object'; readonly additionalProperties: true } & Described;

export const idParams = object({ id: str('The resource id', { maxLength: 256 }) }, ['id']);

export interface RouteSchema {
  readonly summary: string;
  readonly tags: readonly string[];
  readonly description?: string;
  readonly params?: JsonSchema;
  readonly querystring?: JsonSchema;
  readonly body?: JsonSchema;
  readonly response?: Readonly<Record<number | string, JsonSchema>>;
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly consumes?: readonly string[];
  readonly produces?: readonly string[];
}

/** Routes that take a bearer token declare it (the OpenAPI `security` requirement). */
export const BEARER = [{ bearer: [] }] as const;

/**
 * Route options carrying a schema. The schema's own type is kept (the type provider reads
 * it); `FastifySchema` is where Fastify and @fastify/swagger look for it.
 */
export function withSchema<const S extends RouteSchema>(schema: S): { schema: S & FastifySchema } {
  return { schema: schema as S & FastifySchema };
}

/**
 * The type provider of every surface (`app.withTypeProvider<SchemaTypes>()`): a handler's
 * params, querystring and body have the types json-schema-to-ts derives from the schemas Ajv
 * validates them with. Replies are not typed from the response schemas: services return their
 * own entity types, and the serializer compiled from those schemas decides what leaves.
 */
export interface SchemaTypes extends FastifyTypeProvider {
  readonly validator: this['schema'] extends JSONSchema ? FromSchema<this['schema']> : unknown;
  readonly serializer: unknown;
}
