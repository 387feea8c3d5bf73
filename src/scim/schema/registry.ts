// The one schema registry: it drives validation, projection, filter and path resolution,
// case rules and the /Schemas and /ResourceTypes documents.
// Attribute names are case-insensitive everywhere (RFC 7643 section 2.1).
import { COMMON_ATTRIBUTES } from './common.ts';
import { enterpriseUserSchema, genesysUserSchema } from './extensions.ts';
import { groupSchema } from './group.ts';
import type { AttributeDef, ResourceTypeDef, SchemaDef } from './types.ts';
import { userSchema } from './user.ts';
import { ENTERPRISE_USER_SCHEMA, GENESYS_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './urns.ts';

export type ScimProfile = 'genesys' | 'standard';

/** A path as written: optional schema URN, attribute, optional sub-attribute. */
export interface AttrPath {
  readonly uri?: string;
  readonly attr: string;
  readonly sub?: string;
}

/** A path bound to its definitions. `attribute` is absent when the path names a whole extension. */
export interface ResolvedPath {
  readonly schema: string;
  /** True for attributes stored at the top level of the resource (core schema and common attributes). */
  readonly core: boolean;
  readonly attribute?: AttributeDef;
  readonly sub?: AttributeDef;
}

export interface Registry {
  readonly profile: ScimProfile;
  /** Reject `type` values outside an attribute's canonicalValues (genesys profile). */
  readonly enforceCanonicalValues: boolean;
  /** Whether SCIM may create and delete groups (standard) or only match them by name (genesys). */
  readonly groupLifecycle: boolean;
  /**
   * Genesys: the enterprise `division` names a Scimitar division (it must exist and decides
   * the user's access scope), and `manager.value` must be a user of the organization.
   * Standard (RFC 7643 4.3): `division` is a free string, and `manager.value` any id; a
   * manager that is a user of the organization is linked (displayName, $ref).
   */
  readonly divisionByName: boolean;
  readonly managerMustBeUser: boolean;
  /**
   * An attribute a POST or PUT body names that the schemas do not define. Genesys: refused,
   * so a broken mapping fails visibly. Standard: ignored and reported to the caller of
   * parseResource, as Microsoft's SCIM reference tests expect ("Put a user misspelled
   * attribute").
   */
  readonly ignoreUnknownAttributes: boolean;
  /** userName must be an email address: it is the login (genesys). */
  readonly userNameIsEmail: boolean;
  /**
   * Values derived from others and shown with them (genesys): `emails[type eq "other"]`
   * mirrors userName, and the Genesys extension's externalId of authority "scim" mirrors
   * externalId. A body may echo them as derived, never change them.
   */
  readonly derivedUserValues: boolean;
  /** Phone numbers are E.164 `tel:` URIs, one per type (genesys). */
  readonly phonesAsTel: boolean;
  /** `roles` values name the organization's roles, matched case-insensitively (genesys). */
  readonly rolesByName: boolean;
  /** SCIM sees and manages public groups only (genesys); standard: every group. */
  readonly publicGroupsOnly: boolean;
  /** A group's displayName is how it is matched, so SCIM cannot rename it (genesys). */
  readonly groupRenames: boolean;
  /** A user list without a filter shows active users only (Genesys' default). */
  readonly activeOnlyByDefault: boolean;
  /** What the profile means, in one sentence (ServiceProviderConfig's documentation note). */
  readonly note: string;
  readonly schemas: readonly SchemaDef[];
  readonly resourceTypes: readonly ResourceTypeDef[];
  resourceType(nameOrEndpoint: string): ResourceTypeDef | undefined;
  schema(id: string): SchemaDef | undefined;
  /** The core schema then the extensions of a resource type. */
  schemasOf(rt: ResourceTypeDef): readonly SchemaDef[];
  isExtension(rt: ResourceTypeDef, schemaId: string): boolean;
  resolve(rt: ResourceTypeDef, path: AttrPath): ResolvedPath | undefined;
  subAttribute(parent: AttributeDef, name: string): AttributeDef | undefined;
  /** Top-level attribute by name within one schema (common attributes included for the core schema). */
  attributeIn(rt: ResourceTypeDef, schemaId: string, name: string): AttributeDef | undefined;
}

const GENESYS_PHONE_TYPES = [
  'work', 'work2', 'work3', 'work4', 'home', 'mobile', 'other',
  'microsoftteams', 'zoomphone', 'eightbyeight', 'ringcentral',
];

const lower = (s: string) => s.toLowerCase();

function indexAttributes(attrs: readonly AttributeDef[]): Map<string, AttributeDef> {
  const map = new Map<string, AttributeDef>();
  for (const a of attrs) map.set(lower(a.name), a);
  return map;
}

export function createRegistry(profile: ScimProfile = 'genesys'): Registry {
  const genesys = profile === 'genesys';
  const user = userSchema({
    displayNameRequired: genesys,
    emailTypes: genesys ? ['work', 'other'] : ['work', 'home', 'other'],
    phoneTypes: genesys ? GENESYS_PHONE_TYPES : ['work', 'home', 'mobile', 'fax', 'pager', 'other'],
  });
  const schemas: SchemaDef[] = [user, groupSchema(), enterpriseUserSchema(genesys)];
  if (genesys) schemas.push(genesysUserSchema());

  const resourceTypes: ResourceTypeDef[] = [
    Object.freeze({
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: USER_SCHEMA,
      schemaExtensions: Object.freeze(
        [ENTERPRISE_USER_SCHEMA, ...(genesys ? [GENESYS_USER_SCHEMA] : [])].map((s) => Object.freeze({ schema: s, required: false })),
      ),
    }),
    Object.freeze({
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Group',
      schema: GROUP_SCHEMA,
      schemaExtensions: Object.freeze([]),
    }),
  ];

  const schemaById = new Map(schemas.map((s) => [lower(s.id), s]));
  const attrsBySchema = new Map(schemas.map((s) => [s.id, indexAttributes(s.attributes)]));
  const common = indexAttributes(COMMON_ATTRIBUTES);
  const subIndex = new WeakMap<AttributeDef, Map<string, AttributeDef>>();
  const rtByKey = new Map<string, ResourceTypeDef>();
  for (const rt of resourceTypes) {
    rtByKey.set(lower(rt.name), rt);
    rtByKey.set(lower(rt.endpoint.slice(1)), rt);
  }
  const schemasOfRt = new Map(
    resourceTypes.map((rt) => [rt, Object.freeze([rt.schema, ...rt.schemaExtensions.map((e) => e.schema)].map((id) => schemaById.get(lower(id))!))]),
  );
  // Genesys documents short filter names such as `email eq x`; they resolve here.
  const aliases = new Map<string, AttrPath>(genesys ? [['email', { attr: 'emails', sub: 'value' }]] : []);

  function subAttribute(parent: AttributeDef, name: string): AttributeDef | undefined {
    if (!parent.subAttributes) return undefined;
    let idx = subIndex.get(parent);
    if (!idx) {
      idx = indexAttributes(parent.subAttributes);
      subIndex.set(parent, idx);
    }
    return idx.get(lower(name));
  }

  function attributeIn(rt: ResourceTypeDef, schemaId: string, name: string): AttributeDef | undefined {
    const found = attrsBySchema.get(schemaId)?.get(lower(name));
    if (found) return found;
    return schemaId === rt.schema ? common.get(lower(name)) : undefined;
  }

  function withSub(rt: ResourceTypeDef, schemaId: string, def: AttributeDef, sub: string | undefined): ResolvedPath | undefined {
    const core = schemaId === rt.schema;
    if (sub === undefined) return { schema: schemaId, core, attribute: def };
    const subDef = subAttribute(def, sub);
    return subDef ? { schema: schemaId, core, attribute: def, sub: subDef } : undefined;
  }

  function resolve(rt: ResourceTypeDef, path: AttrPath): ResolvedPath | undefined {
    const own = schemasOfRt.get(rt);
    if (!own) return undefined;
    if (path.uri !== undefined) {
      const s = schemaById.get(lower(path.uri));
      if (s && own.includes(s)) {
        const def = attributeIn(rt, s.id, path.attr);
        return def ? withSub(rt, s.id, def, path.sub) : undefined;
      }
      // `urn:...:enterprise:2.0:User` splits syntactically into uri `urn:...:2.0` and attr `User`.
      const whole = schemaById.get(lower(`${path.uri}:${path.attr}`));
      if (whole && own.includes(whole) && whole.id !== rt.schema && path.sub === undefined) {
        return { schema: whole.id, core: false };
      }
      return undefined;
    }
    // Unqualified names: core first (RFC 7644 3.10), then extensions, as Genesys' short
    // filter names (`manager`, `division`, `employeeNumber`) expect.
    for (const s of own) {
      const def = attributeIn(rt, s.id, path.attr);
      if (def) return withSub(rt, s.id, def, path.sub);
    }
    const alias = aliases.get(lower(path.attr));
    if (alias && path.sub === undefined && rt.schema === USER_SCHEMA) return resolve(rt, alias);
    return undefined;
  }

  return Object.freeze({
    profile,
    enforceCanonicalValues: genesys,
    groupLifecycle: !genesys,
    divisionByName: genesys,
    managerMustBeUser: genesys,
    ignoreUnknownAttributes: !genesys,
    userNameIsEmail: genesys,
    derivedUserValues: genesys,
    phonesAsTel: genesys,
    rolesByName: genesys,
    publicGroupsOnly: genesys,
    groupRenames: !genesys,
    activeOnlyByDefault: genesys,
    note: genesys
      ? 'userName is the login email; groups are matched by name and never created or deleted over SCIM; divisions are given by name.'
      : 'Plain RFC 7643/7644: any userName; groups may be created and deleted.',
    schemas: Object.freeze(schemas),
    resourceTypes: Object.freeze(resourceTypes),
    resourceType: (key: string) => rtByKey.get(lower(key.replace(/^\//, ''))),
    schema: (id: string) => schemaById.get(lower(id)),
    schemasOf: (rt: ResourceTypeDef) => schemasOfRt.get(rt) ?? [],
    isExtension: (rt: ResourceTypeDef, id: string) => rt.schemaExtensions.some((e) => lower(e.schema) === lower(id)),
    resolve,
    subAttribute,
    attributeIn,
  });
}
