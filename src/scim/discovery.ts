// The discovery documents of RFC 7644 section 4 (/ServiceProviderConfig, /ResourceTypes,
// /Schemas), generated from the schema registry so that they cannot drift from behaviour.
import type { Registry } from './schema/registry.ts';
import type { AttributeDef, ResourceTypeDef, SchemaDef } from './schema/types.ts';
import { GROUP_SCHEMA, RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA, SERVICE_PROVIDER_CONFIG_SCHEMA, USER_SCHEMA } from './schema/urns.ts';
import { EXTERNAL_ID_ATTRIBUTE } from './schema/common.ts';
import type { JsonObject } from './values.ts';

function attributeDocument(a: AttributeDef): JsonObject {
  const doc: JsonObject = {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued,
    description: a.description,
    required: a.required,
    caseExact: a.caseExact,
    mutability: a.mutability,
    returned: a.returned,
    uniqueness: a.uniqueness,
  };
  if (a.canonicalValues && a.canonicalValues.length > 0) doc.canonicalValues = [...a.canonicalValues];
  if (a.referenceTypes) doc.referenceTypes = [...a.referenceTypes];
  if (a.subAttributes) doc.subAttributes = a.subAttributes.map(attributeDocument);
  return doc;
}

/**
 * The core User and Group schemas also list `externalId`: a common attribute (RFC 7643 3.1),
 * which a server may list for clients that look for every attribute they map in /Schemas
 * (Microsoft's gallery check, Schema_Discoverability, does, `externalId` included).
 */
const LISTS_EXTERNAL_ID = new Set([USER_SCHEMA, GROUP_SCHEMA]);

export function schemaDocument(s: SchemaDef, baseUrl: string): JsonObject {
  const attributes = LISTS_EXTERNAL_ID.has(s.id) && !s.attributes.some((a) => a.name === 'externalId') ? [EXTERNAL_ID_ATTRIBUTE, ...s.attributes] : s.attributes;
  return {
    schemas: [SCHEMA_SCHEMA],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: attributes.map(attributeDocument),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${s.id}` },
  };
}

export function resourceTypeDocument(rt: ResourceTypeDef, baseUrl: string): JsonObject {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: rt.id,
    name: rt.name,
    endpoint: rt.endpoint,
    description: rt.description,
    schema: rt.schema,
    schemaExtensions: rt.schemaExtensions.map((e) => ({ schema: e.schema, required: e.required })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${rt.id}` },
  };
}

export interface ServiceProviderOptions {
  readonly documentationUri?: string;
  readonly maxOperations: number;
  readonly maxPayloadSize: number;
  readonly maxResults: number;
  readonly profileNote: string;
  /** RFC 9865 cursors: seconds a cursor stays valid. */
  readonly cursorTimeout: number;
  readonly defaultPageSize: number;
}

export function serviceProviderConfigDocument(registry: Registry, baseUrl: string, o: ServiceProviderOptions): JsonObject {
  return {
    // Only the core schema: strict RFC 7643 clients (scim2-client) refuse a document whose
    // `schemas` name a URN that no /Schemas entry resolves. Validate-only writes are
    // announced where RFC 7240 puts it, by `Preference-Applied` on each answer.
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    ...(o.documentationUri ? { documentationUri: o.documentationUri } : {}),
    patch: { supported: true },
    bulk: { supported: o.maxOperations > 0, maxOperations: o.maxOperations, maxPayloadSize: o.maxOperations > 0 ? o.maxPayloadSize : 0 },
    filter: { supported: true, maxResults: o.maxResults },
    changePassword: { supported: true },
    sort: { supported: true },
    etag: { supported: true },
    // RFC 9865 section 4: both paging methods; index paging unless a request sends `cursor`.
    pagination: { cursor: true, index: true, defaultPaginationMethod: 'index', defaultPageSize: o.defaultPageSize, maxPageSize: o.maxResults, cursorTimeout: o.cursorTimeout },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: `Bearer token from the client-credentials grant at /oauth/token. SCIM profile: ${registry.profile}. ${o.profileNote} Callers are OAuth clients, never users: /Me answers 501 (RFC 7644 3.11).`,
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}
