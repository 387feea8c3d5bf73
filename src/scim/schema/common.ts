// Common attributes of every resource (RFC 7643 section 3.1). They live outside any
// schema's attribute list but resolve in the core schema's namespace.
import { attribute, complex, type AttributeDef } from './types.ts';

export const ID_ATTRIBUTE = attribute('id', 'string', {
  caseExact: true,
  mutability: 'readOnly',
  returned: 'always',
  uniqueness: 'server',
  description: 'Unique identifier of the resource, assigned by the service provider.',
});

export const EXTERNAL_ID_ATTRIBUTE = attribute('externalId', 'string', {
  caseExact: true,
  description: 'Identifier of the resource as defined by the provisioning client.',
});

export const META_ATTRIBUTE = complex(
  'meta',
  [
    attribute('resourceType', 'string', { caseExact: true, mutability: 'readOnly' }),
    attribute('created', 'dateTime', { mutability: 'readOnly' }),
    attribute('lastModified', 'dateTime', { mutability: 'readOnly' }),
    attribute('location', 'reference', { caseExact: true, mutability: 'readOnly', referenceTypes: ['uri'] }),
    attribute('version', 'string', { caseExact: true, mutability: 'readOnly' }),
  ],
  { mutability: 'readOnly', description: 'Resource metadata.' },
);

// `schemas` is filterable (RFC 7644 3.4.2.2 example: `schemas eq "urn:...:enterprise:2.0:User"`)
// but always computed by the server from the extensions a resource holds.
export const SCHEMAS_ATTRIBUTE = attribute('schemas', 'reference', {
  multiValued: true,
  mutability: 'readOnly',
  returned: 'always',
  referenceTypes: ['uri'],
  description: 'Schema URNs of the resource.',
});

export const COMMON_ATTRIBUTES: readonly AttributeDef[] = Object.freeze([SCHEMAS_ATTRIBUTE, ID_ATTRIBUTE, EXTERNAL_ID_ATTRIBUTE, META_ATTRIBUTE]);
