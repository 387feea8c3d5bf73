// Attribute and schema definitions as RFC 7643 section 7 describes them.

export type AttributeType =
  | 'string'
  | 'boolean'
  | 'decimal'
  | 'integer'
  | 'dateTime'
  | 'reference'
  | 'binary'
  | 'complex';

export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

export interface AttributeDef {
  readonly name: string;
  readonly type: AttributeType;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: Uniqueness;
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
  readonly subAttributes?: readonly AttributeDef[];
  /** Most values a multi-valued attribute may hold (a bound on work per request, not from the RFC). */
  readonly maxValues?: number;
}

/** The default bound on the values of a multi-valued attribute; group members have their own. */
export const DEFAULT_MAX_VALUES = 100;

export interface SchemaDef {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly AttributeDef[];
}

export interface SchemaExtensionRef {
  readonly schema: string;
  readonly required: boolean;
}

export interface ResourceTypeDef {
  readonly id: string;
  readonly name: string;
  readonly endpoint: string;
  readonly description: string;
  readonly schema: string;
  readonly schemaExtensions: readonly SchemaExtensionRef[];
}

type AttributeOptions = Partial<Omit<AttributeDef, 'name' | 'type'>>;

/** An attribute with the RFC 7643 section 2.2 defaults for every characteristic not given. */
export function attribute(name: string, type: AttributeType, options: AttributeOptions = {}): AttributeDef {
  const def: AttributeDef = {
    name,
    type,
    multiValued: options.multiValued ?? false,
    description: options.description ?? '',
    required: options.required ?? false,
    caseExact: options.caseExact ?? false,
    mutability: options.mutability ?? 'readWrite',
    returned: options.returned ?? 'default',
    uniqueness: options.uniqueness ?? 'none',
    ...(options.canonicalValues ? { canonicalValues: Object.freeze([...options.canonicalValues]) } : {}),
    ...(options.referenceTypes ? { referenceTypes: Object.freeze([...options.referenceTypes]) } : {}),
    ...(options.subAttributes ? { subAttributes: Object.freeze([...options.subAttributes]) } : {}),
    ...(options.multiValued ? { maxValues: options.maxValues ?? DEFAULT_MAX_VALUES } : {}),
  };
  return Object.freeze(def);
}

export function complex(name: string, subAttributes: AttributeDef[], options: AttributeOptions = {}): AttributeDef {
  return attribute(name, 'complex', { ...options, subAttributes });
}

export function schema(id: string, name: string, description: string, attributes: AttributeDef[]): SchemaDef {
  return Object.freeze({ id, name, description, attributes: Object.freeze([...attributes]) });
}
