// JSON Schema building blocks shared by the route schemas. Plain JSON Schema (draft 2020-12
// subset that Ajv and OpenAPI 3.1 both read): the routes validate input and serialise output
// from these, and @fastify/swagger publishes them as /openapi.json.

import type { FastifySchema } from 'fastify';

export type JsonSchema = Readonly<Record<string, unknown>>;

export const str = (description?: string, extra: JsonSchema = {}): JsonSchema => ({ type: 'string', ...(description ? { description } : {}), ...extra });
export const int = (description?: string, extra: JsonSchema = {}): JsonSchema => ({ type: 'integer', ...(description ? { description } : {}), ...extra });
export const bool = (description?: string): JsonSchema => ({ type: 'boolean', ...(description ? { description } : {}) });
export const arrayOf = (items: JsonSchema, description?: string): JsonSchema => ({ type: 'array', items, ...(description ? { description } : {}) });
export const enumOf = (values: readonly string[], description?: string): JsonSchema => ({ type: 'string', enum: [...values], ...(description ? { description } : {}) });

/** An object with the listed properties; `open` keeps properties the schema does not name. */
export function object(properties: Record<string, JsonSchema>, required: readonly string[] = [], open = false): JsonSchema {
  return { type: 'object', properties, ...(required.length > 0 ? { required: [...required] } : {}), additionalProperties: open };
}

/** Any JSON object: used where the shape is decided by a registry or by the caller (SCIM resources, audit changes). */
export const anyObject = (description?: string): JsonSchema => ({ type: 'object', additionalProperties: true, ...(description ? { description } : {}) });

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

/** Route options carrying a schema (Fastify's schema type is looser than ours). */
export function withSchema(schema: RouteSchema): { schema: FastifySchema } {
  return { schema: schema as FastifySchema };
}
