// The enterprise User extension (RFC 7643 section 4.3), with Genesys' dateHire in the
// genesys profile, and the Genesys extension (routing skills, languages, external ids).
import { attribute, complex, schema, type SchemaDef } from './types.ts';
import { ENTERPRISE_USER_SCHEMA, GENESYS_USER_SCHEMA } from './urns.ts';

/**
 * RFC 7643 4.3; the genesys profile reads `division` as the name of a Scimitar division,
 * `manager.value` as the id of a user, and adds Genesys' `dateHire`.
 */
export function enterpriseUserSchema(genesys: boolean): SchemaDef {
  return schema(ENTERPRISE_USER_SCHEMA, 'EnterpriseUser', 'Enterprise User', [
    attribute('employeeNumber', 'string'),
    attribute('costCenter', 'string'),
    attribute('organization', 'string'),
    attribute('division', 'string', { description: genesys ? 'Division NAME; mapped to an existing division.' : 'Name of a division.' }),
    attribute('department', 'string'),
    complex('manager', [
      attribute('value', 'string', { caseExact: true, description: genesys ? 'id of the manager user' : 'The id of the SCIM resource representing the manager' }),
      attribute('$ref', 'reference', { referenceTypes: ['User'] }),
      attribute('displayName', 'string', { mutability: 'readOnly' }),
    ]),
    ...(genesys ? [attribute('dateHire', 'string', { description: 'Hire date; accepts ISO 8601, returned as YYYY-MM-DD.' })] : []),
  ]);
}

export function genesysUserSchema(): SchemaDef {
  const proficiencyList = (name: string, what: string) =>
    complex(
      name,
      [
        attribute('name', 'string', { required: true, caseExact: true, description: `Name of an existing ${what}.` }),
        attribute('proficiency', 'decimal', { description: '0.0 to 5.0' }),
      ],
      { multiValued: true },
    );
  return schema(GENESYS_USER_SCHEMA, 'GenesysUser', 'Genesys Cloud user extension', [
    proficiencyList('routingSkills', 'routing skill'),
    proficiencyList('routingLanguages', 'routing language'),
    complex(
      'externalIds',
      [
        attribute('authority', 'string', { required: true, caseExact: true }),
        attribute('value', 'string', { required: true, caseExact: true }),
      ],
      { multiValued: true },
    ),
  ]);
}
