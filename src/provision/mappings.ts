// Attribute mappings as Entra models them: target SCIM path, source (direct attribute,
// constant or expression), "apply this mapping" (always / only on creation), matching
// precedence. A mapping file is JSON (schema: docs/mapping.schema.json); the default set is
// the Genesys gallery app's.
import { parseJsonText, readText } from './input-file.ts';
import { parsePatchPath } from '../scim/index.ts';
import { ExpressionError, type Expr } from './expression/ast.ts';
import { compileExpression } from './expression/evaluate.ts';
import { ENTERPRISE_USER_SCHEMA } from '../scim/index.ts';

export type MappingSource =
  | { readonly type: 'direct'; readonly attribute: string }
  | { readonly type: 'constant'; readonly value: string }
  | { readonly type: 'expression'; readonly expression: string };

export interface Mapping {
  readonly target: string;
  readonly source: MappingSource;
  readonly apply: 'always' | 'creation';
  /** Matching precedence (1 = tried first); absent = not a matching attribute. */
  readonly match?: number;
  /** Used on create when the source value is null. */
  readonly defaultValue?: string;
}

export interface CompiledMapping extends Mapping {
  readonly expr: Expr;
  /** The manager reference: its value is a source object id, resolved to the target id. */
  readonly reference: boolean;
}

export interface MappingSet {
  readonly users: readonly CompiledMapping[];
  readonly groups: readonly CompiledMapping[];
}

const ENT = ENTERPRISE_USER_SCHEMA;

export const DEFAULT_USER_MAPPINGS: readonly Mapping[] = [
  { target: 'userName', source: { type: 'direct', attribute: 'userPrincipalName' }, apply: 'always', match: 1 },
  { target: 'active', source: { type: 'expression', expression: 'Not([IsSoftDeleted])' }, apply: 'always' },
  { target: 'displayName', source: { type: 'direct', attribute: 'displayName' }, apply: 'always' },
  { target: 'title', source: { type: 'direct', attribute: 'jobTitle' }, apply: 'always' },
  { target: 'emails[type eq "work"].value', source: { type: 'direct', attribute: 'mail' }, apply: 'always' },
  { target: `${ENT}:manager`, source: { type: 'direct', attribute: 'manager' }, apply: 'always' },
  { target: `${ENT}:department`, source: { type: 'direct', attribute: 'department' }, apply: 'always' },
  { target: 'phoneNumbers[type eq "work"].value', source: { type: 'expression', expression: 'StripSpaces([telephoneNumber])' }, apply: 'always' },
];

export const DEFAULT_GROUP_MAPPINGS: readonly Mapping[] = [
  { target: 'displayName', source: { type: 'direct', attribute: 'displayName' }, apply: 'always', match: 1 },
];

export class MappingError extends Error {}

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Line and column (1-based) of `needle` in `text`, for errors that point into the file. */
function locate(text: string | undefined, needle: string): string {
  if (!text) return '';
  const at = text.indexOf(JSON.stringify(needle).slice(1, -1));
  if (at < 0) return '';
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return `:${line}:${at - before.lastIndexOf('\n')}`;
}

function compileOne(m: unknown, where: string, file: string, text: string | undefined): CompiledMapping {
  const fail = (msg: string, needle?: string): never => {
    throw new MappingError(`${file}${needle ? locate(text, needle) : ''}: ${where}: ${msg}`);
  };
  if (typeof m !== 'object' || m === null) return fail('a mapping must be an object');
  const o = m as Record<string, unknown>;
  if (typeof o.target !== 'string' || o.target === '') return fail('"target" (a SCIM attribute path) is required');
  try {
    parsePatchPath(o.target);
  } catch (e) {
    fail(`target ${JSON.stringify(o.target)}: ${(e as Error).message}`, o.target);
  }
  const s = o.source as Record<string, unknown> | undefined;
  if (!s || typeof s !== 'object') return fail('"source" is required');
  let source: MappingSource;
  let exprText: string;
  if (s.type === 'direct' && typeof s.attribute === 'string') {
    source = { type: 'direct', attribute: s.attribute };
    exprText = `[${s.attribute}]`;
  } else if (s.type === 'constant' && typeof s.value === 'string') {
    source = { type: 'constant', value: s.value };
    exprText = quote(s.value);
  } else if (s.type === 'expression' && typeof s.expression === 'string') {
    source = { type: 'expression', expression: s.expression };
    exprText = s.expression;
  } else return fail('"source" must be {type: "direct", attribute} | {type: "constant", value} | {type: "expression", expression}');
  let expr: Expr;
  try {
    expr = compileExpression(exprText);
  } catch (e) {
    if (e instanceof ExpressionError) return fail(e.message, source.type === 'expression' ? source.expression : undefined);
    throw e;
  }
  const apply = o.apply === undefined ? 'always' : o.apply;
  if (apply !== 'always' && apply !== 'creation') return fail('"apply" must be "always" or "creation"');
  if (o.match !== undefined && (!Number.isInteger(o.match) || (o.match as number) < 1)) return fail('"match" must be a precedence 1, 2, ...');
  if (o.defaultValue !== undefined && typeof o.defaultValue !== 'string') return fail('"defaultValue" must be a string');
  const reference = source.type === 'direct' && source.attribute.toLowerCase() === 'manager';
  return Object.freeze({ target: o.target, source, apply, ...(o.match !== undefined ? { match: o.match as number } : {}), ...(o.defaultValue !== undefined ? { defaultValue: o.defaultValue } : {}), expr, reference });
}

export function compileMappings(input: { users?: unknown; groups?: unknown }, file = 'mappings', text?: string): MappingSet {
  const list = (v: unknown, what: string, def: readonly Mapping[]) => {
    if (v === undefined) return def.map((m, i) => compileOne(m, `${what}[${i}]`, 'built-in defaults', undefined));
    if (!Array.isArray(v)) throw new MappingError(`${file}: "${what}" must be a list of mappings`);
    return v.map((m, i) => compileOne(m, `${what}[${i}]`, file, text));
  };
  return Object.freeze({ users: list(input.users, 'users', DEFAULT_USER_MAPPINGS), groups: list(input.groups, 'groups', DEFAULT_GROUP_MAPPINGS) });
}

export function loadMappings(path: string | undefined): MappingSet {
  if (path === undefined) return compileMappings({});
  const text = readText(path);
  const json = parseJsonText(text, path);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new MappingError(`${path}: expected {"users": [...], "groups": [...]}`);
  return compileMappings(json as Record<string, unknown>, path, text);
}
