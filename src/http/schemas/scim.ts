// Route schemas of the SCIM API (RFC 7644). Resources are shaped by the organization's schema
// registry (attributes, extensions, projection), so bodies and resources are declared as open
// objects here and validated by the SCIM core, which answers with SCIM errors (RFC 7644 3.12);
// parameters and envelopes are declared in full. Query parameter names are matched
// case-insensitively by the route (RFC 7644 3.4.2), so the declared ones are documentation and
// type checks only.
import { anyObject, arrayOf, BEARER, enumOf, idParams, int, object, str, type JsonSchema, type RouteSchema } from './common.ts';

export const scimError = object(
  {
    schemas: arrayOf(enumOf(['urn:ietf:params:scim:api:messages:2.0:Error'])),
    status: str('The HTTP status, as a string (RFC 7644 3.12)'),
    scimType: str('invalidFilter, tooMany, uniqueness, mutability, invalidSyntax, invalidPath, noTarget, invalidValue, invalidVers, sensitive'),
    detail: str(),
  },
  ['schemas', 'status'],
);

const resource = anyObject('A SCIM resource; its attributes are listed at /Schemas');
/**
 * A request body: any JSON here, because the SCIM core validates it against the registry and
 * answers invalidSyntax / invalidValue as RFC 7644 3.12 asks (an Ajv message would not be a
 * SCIM error). The description says what is expected.
 */
const scimBody = (description: string) => ({ description });

export const listResponse = object(
  {
    schemas: arrayOf(enumOf(['urn:ietf:params:scim:api:messages:2.0:ListResponse'])),
    totalResults: int(),
    startIndex: int(),
    itemsPerPage: int(),
    nextCursor: str('RFC 9865 cursor of the next page'),
    previousCursor: str(),
    Resources: arrayOf(resource),
  },
  ['schemas', 'totalResults'],
);

const listQuery = object(
  {
    filter: str('RFC 7644 3.4.2.2 filter, e.g. userName eq "alice@example.com"'),
    startIndex: str('1-based index of the first result'),
    count: str('Results per page (at most the advertised maxResults)'),
    cursor: str('Cursor paging (RFC 9865): empty for the first page'),
    sortBy: str('Attribute path to sort on'),
    sortOrder: str('ascending (default) or descending'),
    attributes: str('Comma-separated attributes to return'),
    excludedAttributes: str('Comma-separated attributes to leave out'),
  },
  [],
  true,
);
const projectionQuery = object({ attributes: str(), excludedAttributes: str() }, [], true);

const errors = { '4xx': scimError, '5xx': scimError };
const produces = ['application/scim+json', 'application/json'];
const consumes = produces;
/** A route of this API; `parts` keeps its literal type, which types the handler (common.ts). */
const scim = <const P extends Omit<RouteSchema, 'summary' | 'tags' | 'security'>>(tag: string, summary: string, parts: P) => ({ summary, tags: [tag], security: BEARER, produces, ...parts }) satisfies RouteSchema;

const resourceRoutes = (tag: 'Users' | 'Groups', noun: string, patchNoContent: boolean) => ({
  list: scim(tag, `List or filter ${noun}s (RFC 7644 3.4.2)`, { querystring: listQuery, response: { 200: listResponse, ...errors } }),
  search: scim(tag, `Query ${noun}s by POST (RFC 7644 3.4.3)`, { consumes, body: scimBody('A SearchRequest (urn:ietf:params:scim:api:messages:2.0:SearchRequest)'), response: { 200: listResponse, ...errors } }),
  create: scim(tag, `Create a ${noun} (RFC 7644 3.3)`, { consumes, body: scimBody('The resource to create'), response: { 201: resource, ...errors } }),
  get: scim(tag, `Get a ${noun} (RFC 7644 3.4.1)`, { params: idParams, querystring: projectionQuery, response: { 200: resource, 304: { type: 'null', description: 'If-None-Match named the current version' }, ...errors } }),
  replace: scim(tag, `Replace a ${noun} (RFC 7644 3.5.1)`, { consumes, params: idParams, body: scimBody('The whole resource'), response: { 200: resource, ...errors } }),
  patch: scim(tag, `Modify a ${noun} (RFC 7644 3.5.2)`, {
    consumes, params: idParams, querystring: projectionQuery, body: scimBody('A PatchOp message (urn:ietf:params:scim:api:messages:2.0:PatchOp)'),
    response: patchNoContent ? { 200: resource, 204: { type: 'null', description: 'Applied; the group is returned only when attributes or excludedAttributes is given' }, ...errors } : { 200: resource, ...errors },
  }),
  delete: scim(tag, `Delete a ${noun} (RFC 7644 3.6)`, { params: idParams, response: { 204: { type: 'null', description: 'Deleted' }, ...errors } }),
});

const discovery = <const S extends JsonSchema>(summary: string, schema: S) => scim('Discovery', summary, { response: { 200: schema, ...errors } });
const discoveryById = <const S extends JsonSchema>(summary: string, schema: S) => scim('Discovery', summary, { params: idParams, response: { 200: schema, ...errors } });

export const scimSchemas = {
  root: scim('Queries', 'Query every resource type (RFC 7644 3.4.2.1); a filter is required', { querystring: listQuery, response: { 200: listResponse, ...errors } }),
  rootSearch: scim('Queries', 'Query every resource type by POST (RFC 7644 3.4.3)', { consumes, body: scimBody('A SearchRequest (urn:ietf:params:scim:api:messages:2.0:SearchRequest)'), response: { 200: listResponse, ...errors } }),
  bulk: scim('Bulk', 'Several operations in one request (RFC 7644 3.7)', { consumes, body: scimBody('A BulkRequest (urn:ietf:params:scim:api:messages:2.0:BulkRequest)'), response: { 200: anyObject('A BulkResponse'), ...errors } }),
  me: scim('Users', '/Me: not available to OAuth clients (501, RFC 7644 3.11)', { response: { ...errors } }),
  users: resourceRoutes('Users', 'user', false),
  groups: resourceRoutes('Groups', 'group', true),
  serviceProviderConfig: discovery('Service provider configuration (RFC 7644 4)', resource),
  resourceTypes: discovery('Resource types (RFC 7644 4)', listResponse),
  resourceType: discoveryById('One resource type', resource),
  schemas: discovery('Schemas (RFC 7643 7)', listResponse),
  schema: discoveryById('One schema', resource),
};
