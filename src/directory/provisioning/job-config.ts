// What a provisioning job is configured with, as stored and as the admin API takes it: the
// source (the organization's own directory), the target (a SCIM base URL with a bearer token
// or OAuth client credentials), the mappings and scoping filters in the CLI's file formats,
// and the policies. Credentials are split off and sealed; the rest is plain configuration.
import { compileMappings, MappingError, type MappingSet } from '../../provision/mappings.ts';
import { SCOPE_OPERATORS, type ScopeConfig, type ScopeOperator } from '../../provision/scope.ts';
import { DEFAULT_DELETION_THRESHOLD, type WireProfile } from '../../provision/sync.ts';
import { scimErrors, type JsonObject } from '../../scim/index.ts';
import { checkTargetUrl, type TargetPolicy } from '../webhooks/target.ts';

export interface JobConfig {
  readonly source: { readonly type: 'directory' };
  readonly target: { readonly url: string; readonly tokenUrl?: string; readonly clientId?: string; readonly credential: 'token' | 'clientCredentials' };
  /** `{users, groups}` as in a CLI mapping file; absent: the Genesys gallery app's defaults. */
  readonly mappings?: { readonly users?: unknown; readonly groups?: unknown };
  readonly scopingFilters?: ScopeConfig['filters'];
  readonly deprovision: 'disable' | 'delete' | 'none';
  readonly deletionThreshold: number;
  readonly profile: WireProfile;
  readonly clearEmpty: boolean;
  /** Users of these divisions only; absent: every division. */
  readonly divisionIds?: readonly string[];
  /** Hours between full reconciliations. */
  readonly fullEveryHours: number;
}

/** The sealed part. */
export interface JobCredentials {
  readonly token?: string;
  readonly clientSecret?: string;
}

export const DEFAULT_FULL_EVERY_HOURS = 24;
const OPERATORS = SCOPE_OPERATORS;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The compiled mappings of a job (a MappingError names what is wrong and where). */
export function jobMappings(c: JobConfig): MappingSet {
  return compileMappings(c.mappings ?? {}, 'mappings');
}

/**
 * The configuration a body asks for, over `current` (an update changes what it names): checked
 * here so that a job that saves is a job that can run. Credentials come back apart.
 */
export function readJobConfig(b: JsonObject, policy: TargetPolicy, current?: JobConfig): { config: JobConfig; credentials?: JobCredentials } {
  const t = b.target === undefined ? undefined : b.target;
  if (t !== undefined && !isObject(t)) throw scimErrors.badRequest('target must be {url, token} or {url, tokenUrl, clientId, clientSecret}');
  if (!t && !current) throw scimErrors.badRequest('target is required: {url, token} or {url, tokenUrl, clientId, clientSecret}');
  let target = current?.target;
  let credentials: JobCredentials | undefined;
  if (t) {
    const str = (k: string): string | undefined => {
      if (t[k] === undefined || t[k] === null || t[k] === '') return undefined;
      if (typeof t[k] !== 'string') throw scimErrors.badRequest(`target.${k} must be a string`);
      return t[k] as string;
    };
    const url = checkTargetUrl(t.url ?? current?.target.url, policy).href.replace(/\/+$/, '');
    const token = str('token');
    const tokenUrl = str('tokenUrl');
    const clientId = str('clientId');
    const clientSecret = str('clientSecret');
    if (token && (tokenUrl || clientId || clientSecret)) throw scimErrors.badRequest('give target.token, or target.tokenUrl with clientId and clientSecret, not both');
    if (!token && (tokenUrl || clientId || clientSecret) && !(tokenUrl && clientId)) throw scimErrors.badRequest('OAuth client credentials need target.tokenUrl, clientId and clientSecret');
    if (tokenUrl) checkTargetUrl(tokenUrl, policy);
    if (token) credentials = { token };
    else if (clientSecret) credentials = { clientSecret };
    else if (!current) throw scimErrors.badRequest('the target needs a credential: target.token, or target.tokenUrl, clientId and clientSecret');
    const credential = token ? 'token' : tokenUrl ? 'clientCredentials' : current!.target.credential;
    if (!credentials && credential !== current?.target.credential) throw scimErrors.badRequest('changing how the job authenticates needs the new credential');
    target = { url, ...(tokenUrl ? { tokenUrl } : credential === 'clientCredentials' && current?.target.tokenUrl ? { tokenUrl: current.target.tokenUrl } : {}), ...(clientId ? { clientId } : credential === 'clientCredentials' && current?.target.clientId ? { clientId: current.target.clientId } : {}), credential };
  }
  const source = b.source === undefined ? current?.source ?? { type: 'directory' as const } : b.source;
  if (!isObject(source) || source.type !== 'directory') throw scimErrors.badRequest('source must be {"type": "directory"} (this organization\'s directory); Microsoft Graph and files are read by the CLI (scimitar sync)');
  const mappings = b.mappings === undefined ? current?.mappings : b.mappings === null ? undefined : b.mappings;
  if (mappings !== undefined && !isObject(mappings)) throw scimErrors.badRequest('mappings must be {"users": [...], "groups": [...]} as in a mapping file');
  const filters = b.scopingFilters === undefined ? current?.scopingFilters : b.scopingFilters === null ? undefined : b.scopingFilters;
  if (filters !== undefined && (!Array.isArray(filters) || filters.some((f) => !isObject(f) || !Array.isArray(f.clauses) || f.clauses.some((c) => !isObject(c) || typeof c.attribute !== 'string' || !OPERATORS.includes(c.operator as ScopeOperator) || (c.value !== undefined && typeof c.value !== 'string'))))) {
    throw scimErrors.badRequest(`scopingFilters must be [{"clauses": [{"attribute", "operator", "value"}]}] with operators ${OPERATORS.join(', ')}`);
  }
  const pick = <T>(k: string, ok: (v: unknown) => boolean, def: T, what: string): T => {
    const v = b[k] === undefined ? (current as unknown as Record<string, unknown> | undefined)?.[k] ?? def : b[k];
    if (!ok(v)) throw scimErrors.badRequest(`${k} must be ${what}`);
    return v as T;
  };
  const config: JobConfig = {
    source: { type: 'directory' },
    target: target!,
    ...(mappings !== undefined ? { mappings: mappings as JobConfig['mappings'] } : {}),
    ...(filters !== undefined ? { scopingFilters: filters as ScopeConfig['filters'] } : {}),
    deprovision: pick('deprovision', (v) => v === 'disable' || v === 'delete' || v === 'none', 'disable', '"disable", "delete" or "none"'),
    deletionThreshold: pick('deletionThreshold', (v) => Number.isInteger(v) && (v as number) >= 0, DEFAULT_DELETION_THRESHOLD, 'an integer of 0 or more'),
    profile: pick('profile', (v) => v === 'entra' || v === 'rfc', 'entra', '"entra" (Entra\'s request shapes) or "rfc"'),
    clearEmpty: pick('clearEmpty', (v) => typeof v === 'boolean', false, 'true or false'),
    fullEveryHours: pick('fullEveryHours', (v) => typeof v === 'number' && v >= 1 && v <= 24 * 30, DEFAULT_FULL_EVERY_HOURS, 'a number of hours from 1 to 720'),
    ...(current?.divisionIds ? { divisionIds: current.divisionIds } : {}),
  };
  try {
    jobMappings(config);
  } catch (e) {
    if (e instanceof MappingError) throw scimErrors.badRequest(e.message);
    throw e;
  }
  return { config, ...(credentials ? { credentials } : {}) };
}
