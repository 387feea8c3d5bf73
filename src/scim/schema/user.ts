// Core User schema, RFC 7643 section 4.1 and the definition in section 8.7.1.
// The profile decides which `type` values are canonical and whether displayName is required
// (Genesys requires it on create; the RFC does not).
import { attribute, complex, schema, type AttributeDef, type SchemaDef } from './types.ts';
import { USER_SCHEMA } from './urns.ts';

export interface UserSchemaOptions {
  readonly displayNameRequired: boolean;
  readonly emailTypes: readonly string[];
  readonly phoneTypes: readonly string[];
}

function multiValuedTyped(name: string, types: readonly string[], valueOptions: Partial<AttributeDef> = {}): AttributeDef {
  return complex(
    name,
    [
      attribute('value', 'string', valueOptions),
      attribute('display', 'string'),
      attribute('type', 'string', { canonicalValues: [...types] }),
      attribute('primary', 'boolean'),
    ],
    { multiValued: true },
  );
}

export function userSchema(options: UserSchemaOptions): SchemaDef {
  return schema(USER_SCHEMA, 'User', 'User Account', [
    attribute('userName', 'string', {
      required: true,
      uniqueness: 'server',
      description: 'Unique identifier for the User, used to authenticate. In the genesys profile, the login email.',
    }),
    complex('name', [
      attribute('formatted', 'string'),
      attribute('familyName', 'string'),
      attribute('givenName', 'string'),
      attribute('middleName', 'string'),
      attribute('honorificPrefix', 'string'),
      attribute('honorificSuffix', 'string'),
    ]),
    attribute('displayName', 'string', { required: options.displayNameRequired }),
    attribute('nickName', 'string'),
    attribute('profileUrl', 'reference', { referenceTypes: ['external'] }),
    attribute('title', 'string'),
    attribute('userType', 'string'),
    attribute('preferredLanguage', 'string'),
    attribute('locale', 'string'),
    attribute('timezone', 'string'),
    attribute('active', 'boolean', { description: 'The user\'s administrative status: true (the default on create) or false; always assigned, so it cannot be removed.' }),
    attribute('password', 'string', { mutability: 'writeOnly', returned: 'never', caseExact: true }),
    multiValuedTyped('emails', options.emailTypes),
    multiValuedTyped('phoneNumbers', options.phoneTypes),
    multiValuedTyped('ims', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
    multiValuedTyped('photos', ['photo', 'thumbnail'], { type: 'reference', referenceTypes: ['external'] }),
    complex(
      'addresses',
      [
        attribute('formatted', 'string'),
        attribute('streetAddress', 'string'),
        attribute('locality', 'string'),
        attribute('region', 'string'),
        attribute('postalCode', 'string'),
        attribute('country', 'string'),
        attribute('type', 'string', { canonicalValues: ['work', 'home', 'other'] }),
        attribute('primary', 'boolean'),
      ],
      { multiValued: true },
    ),
    complex(
      'groups',
      [
        attribute('value', 'string', { mutability: 'readOnly' }),
        attribute('$ref', 'reference', { mutability: 'readOnly', referenceTypes: ['User', 'Group'] }),
        attribute('display', 'string', { mutability: 'readOnly' }),
        attribute('type', 'string', { mutability: 'readOnly', canonicalValues: ['direct', 'indirect'] }),
      ],
      { multiValued: true, mutability: 'readOnly', description: 'Groups the user belongs to; change them through /Groups.' },
    ),
    multiValuedTyped('entitlements', []),
    multiValuedTyped('roles', []),
    multiValuedTyped('x509Certificates', [], { type: 'binary' }),
  ]);
}
