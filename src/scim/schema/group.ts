// Core Group schema, RFC 7643 section 4.2 and section 8.7.1.
import { attribute, complex, schema, type SchemaDef } from './types.ts';
import { GROUP_SCHEMA } from './urns.ts';

/** Most members one request may name (a group itself may hold any number). */
export const MAX_MEMBERS_PER_REQUEST = 100_000;

export function groupSchema(): SchemaDef {
  return schema(GROUP_SCHEMA, 'Group', 'Group', [
    attribute('displayName', 'string', { required: true, uniqueness: 'server' }),
    complex(
      'members',
      [
        attribute('value', 'string', { mutability: 'immutable', caseExact: true }),
        attribute('$ref', 'reference', { mutability: 'immutable', referenceTypes: ['User', 'Group'] }),
        attribute('display', 'string', { mutability: 'readOnly' }),
        attribute('type', 'string', { mutability: 'immutable', canonicalValues: ['User', 'Group'] }),
      ],
      { multiValued: true, maxValues: MAX_MEMBERS_PER_REQUEST, description: 'Members of the group (users only in the genesys profile).' },
    ),
  ]);
}
