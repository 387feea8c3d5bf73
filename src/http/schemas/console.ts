// Schemas of the console's pages and forms. They are hidden from /openapi.json (the console is
// HTML, not an API). Every form field and query parameter is a string, or a list of strings
// when the name repeats (a checkbox group); the services check what a field means and the
// console shows their refusal inside the form with what was typed, which an Ajv message
// could not do, so the schemas fix the shape and leave the meaning to the services.
import { object, str } from './common.ts';

// No `properties` (not even `_csrf`): beside them json-schema-to-ts types the other fields as
// `unknown`, where here every field is the same shape.
const fields = {
  type: 'object',
  additionalProperties: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
} as const;

const hidden = { hide: true, tags: ['Console'], summary: 'A console page or form' } as const;
const ids = object({ id: str() }, ['id']);
const tokenIds = object({ id: str(), tokenId: str() }, ['id', 'tokenId']);
const named = object({ name: str() }, ['name']);

/** The schema of a console route, from its method and whether its path names an `:id` (or an asset's `:name`). */
export const consoleSchemas = {
  page: { ...hidden, querystring: fields },
  pageOf: { ...hidden, querystring: fields, params: ids },
  asset: { ...hidden, params: named },
  form: { ...hidden, querystring: fields, body: fields },
  formOf: { ...hidden, querystring: fields, body: fields, params: ids },
  formOfToken: { ...hidden, querystring: fields, body: fields, params: tokenIds },
} as const;
