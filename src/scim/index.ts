// The SCIM protocol core: pure TypeScript, no HTTP and no database.
export * from './errors.ts';
export { unstorable } from './text.ts';
export * from './schema/types.ts';
export * from './schema/urns.ts';
export { createRegistry, type Registry, type ScimProfile, type AttrPath, type ResolvedPath } from './schema/registry.ts';
export * from './filter/index.ts';
export * from './patch/index.ts';
export { parseAttrPath, printAttrPath, parseAttributeList, isForbiddenKey } from './path.ts';
export { parseResource, coerceAttribute, checkResourceRules, schemasFor } from './resource.ts';
export { projectResource, parseProjection, type Projection } from './projection.ts';
export { parseListQuery, listResponse, cursorListResponse, DEFAULT_LIST_LIMITS, type ListQuery, type ListLimits, type RawListParams, type SortKey, type ListResponse } from './list-query.ts';
export { parseSearchRequest } from './search.ts';
export { parseBulkRequest, bulkRefsIn, bulkRefsInPath, resolveBulkPath, resolveBulkRefs, setAsideRefs, type BulkOperation, type BulkRequest, type BulkMethod } from './bulk.ts';
export { schemaDocument, resourceTypeDocument, serviceProviderConfigDocument, type ServiceProviderOptions } from './discovery.ts';
export { isObject, copyOf, deepEqual, deepClone, ownKeyInsensitive, ownValue, type JsonObject } from './values.ts';
