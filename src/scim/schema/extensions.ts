// The enterprise User extension (RFC 7643 section 4.3) with Genesys' dateHire and division,
// and the Genesys extension (routing skills, languages, external ids).
import { attribute, complex, schema, type SchemaDef } from './types.ts';
import { ENTERPRISE_USER_SCHEMA, GENESYS_USER_SCHEMA } from './urns.ts';

export function enterpriseUserSchema(): SchemaDef {
  return schema(ENTERPRISE_USER_SCHEMA, 'EnterpriseUser', 'Enterprise User', [
    attribute('employeeNumber', 'string'),
    attribute('costCenter', 'string'),
    attribute('organization', 'string'),
    attribute('division', 'string', { description: 'Division NAME; mapped to an existing division.' }),
    attribute('department', 'string'),
    complex('manager', [
      attribute('value', 'string', { caseExact: true, description: 'id of the manager user' }),
      attribute('$ref', 'reference', { referenceTypes: ['User'] }),
      attribute('displayName', 'string', { mutability: 'readOnly' }),
    ]),
    attribute('dateHire', 'string', { description: 'Hire date; accepts ISO 8601, returned as YYYY-MM-DD.' }),
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
