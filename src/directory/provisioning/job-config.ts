// What a provisioning job is configured with, as stored and as the admin API takes it: the
// source (the organization's own directory), the target (a SCIM base URL with a bearer token
// or OAuth client credentials), the mappings and scoping filters in the CLI's file formats,
// and the policies. Credentials are split off and sealed; the rest is plain configuration.
import { compileMappings, MappingError, type MappingSet } from '../../provision/mappings.ts';
import { SCOPE_OPERATORS, type ScopeConfig, type ScopeOperator } from '../../provision/scope.ts';
import { DEFAULT_DELETION_THRESHOLD, type WireProfile } from '../../provision/sync.ts';
import { scimErrors, type JsonObject } from '../../scim/index.ts';
import { resolve, sep } from 'node:path';
import { checkTargetUrl, type TargetPolicy } from '../webhooks/target.ts';

/** Microsoft Graph as a job's source: read on a schedule, as Entra's provisioning cycles are. */
export interface GraphJobSource {
  readonly type: 'graph';
  readonly tenantId: string;
  readonly clientId: string;
  /** The client secret, sealed (never shown): see sealedSourceScope. */
  readonly sealedSecret?: string;
  readonly authority?: string;
  readonly baseUrl?: string;
  readonly includeGroups: boolean;
  /** Minutes between cycles (Entra's are about 40). */
  readonly intervalMinutes: number;
}

/** JSON or CSV files (Graph-shaped, as the CLI reads them) inside SCIMITAR_PROVISIONING_FILES_DIR, read on a schedule. */
export interface FileJobSource {
  readonly type: 'file';
  /** Paths relative to the files folder. */
  readonly users: string;
  readonly groups?: string;
  readonly intervalMinutes: number;
}

export type JobSource = { readonly type: 'directory' } | GraphJobSource | FileJobSource;

/** `relative` as a path inside `dir`, or a 400 (a path that climbs out, or no folder configured). */
export function fileInside(dir: string | undefined, relative: string): string {
  if (!dir) throw scimErrors.badRequest('file sources need SCIMITAR_PROVISIONING_FILES_DIR: the operator names the one folder jobs may read');
  const root = resolve(dir);
  const full = resolve(root, relative);
  if (!full.startsWith(root + sep)) throw scimErrors.badRequest(`source file ${JSON.stringify(relative.slice(0, 200))} is not inside the provisioning files folder`);
  return full;
}

export const DEFAULT_GRAPH_INTERVAL_MINUTES = 40;

export interface JobConfig {
  readonly source: JobSource;
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

/** `o[k]` as a string, undefined when absent or empty; a 400 naming `where.k` when it is not a string (of at most `max` characters). */
function optionalText(o: JsonObject, where: string, k: string, max?: number): string | undefined {
  const v = o[k];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || (max !== undefined && v.length > max)) throw scimErrors.badRequest(`${where}.${k} must be a string${max !== undefined ? ` of at most ${max} characters` : ''}`);
  return v;
}

/** The compiled mappings of a job (a MappingError names what is wrong and where). */
export function jobMappings(c: JobConfig): MappingSet {
  return compileMappings(c.mappings ?? {}, 'mappings');
}

/**
 * The configuration a body asks for, over `current` (an update changes what it names): checked
 * here so that a job that saves is a job that can run. Credentials come back apart.
 */
/** A Graph source as the admin API takes it; its client secret comes back apart, to be sealed. */
function readSource(raw: unknown, policy: TargetPolicy, current: JobSource | undefined, filesDir: string | undefined): { source: JobSource; secret?: string } {
  if (raw === undefined) return { source: current ?? { type: 'directory' } };
  if (!isObject(raw) || (raw.type !== 'directory' && raw.type !== 'graph' && raw.type !== 'file')) {
    throw scimErrors.badRequest('source must be {"type": "directory"} (this organization\'s directory), {"type": "graph", "tenantId", "clientId", "clientSecret"} (Microsoft Graph) or {"type": "file", "users", "groups"} (files in SCIMITAR_PROVISIONING_FILES_DIR)');
  }
  if (raw.type === 'directory') return { source: { type: 'directory' } };
  if (raw.type === 'file') {
    const path = (k: string): string | undefined => {
      const v = optionalText(raw, 'source', k, 1024);
      if (v !== undefined) fileInside(filesDir, v);
      return v;
    };
    const users = path('users');
    if (!users) throw scimErrors.badRequest('a file source needs source.users: a JSON or CSV file inside SCIMITAR_PROVISIONING_FILES_DIR');
    const groups = path('groups');
    const interval = raw.intervalMinutes ?? DEFAULT_GRAPH_INTERVAL_MINUTES;
    if (!Number.isInteger(interval) || (interval as number) < 5 || (interval as number) > 1440) throw scimErrors.badRequest('source.intervalMinutes must be a whole number of minutes from 5 to 1440');
    return { source: { type: 'file', users, ...(groups ? { groups } : {}), intervalMinutes: interval as number } };
  }
  const text = (k: string, max = 256) => optionalText(raw, 'source', k, max);
  const was = current?.type === 'graph' ? current : undefined;
  const tenantId = text('tenantId') ?? was?.tenantId;
  const clientId = text('clientId') ?? was?.clientId;
  const secret = text('clientSecret', 4096);
  if (!tenantId || !clientId) throw scimErrors.badRequest('a Graph source needs source.tenantId and source.clientId (an app registration with User.Read.All and GroupMember.Read.All)');
  // The secret is kept while the app registration stays the same; another one needs its own.
  const keeps = was && was.tenantId === tenantId && was.clientId === clientId ? was.sealedSecret : undefined;
  if (!secret && !keeps) throw scimErrors.badRequest('a Graph source needs source.clientSecret');
  const authority = text('authority', 2048);
  const baseUrl = text('baseUrl', 2048);
  if (authority) checkTargetUrl(authority, policy);
  if (baseUrl) checkTargetUrl(baseUrl, policy);
  const interval = raw.intervalMinutes ?? was?.intervalMinutes ?? DEFAULT_GRAPH_INTERVAL_MINUTES;
  if (!Number.isInteger(interval) || (interval as number) < 5 || (interval as number) > 1440) throw scimErrors.badRequest('source.intervalMinutes must be a whole number of minutes from 5 to 1440');
  const includeGroups = raw.includeGroups ?? was?.includeGroups ?? true;
  if (typeof includeGroups !== 'boolean') throw scimErrors.badRequest('source.includeGroups must be true or false');
  return {
    source: {
      type: 'graph', tenantId, clientId, ...(!secret && keeps ? { sealedSecret: keeps } : {}),
      ...(authority ?? was?.authority ? { authority: authority ?? was!.authority } : {}), ...(baseUrl ?? was?.baseUrl ? { baseUrl: baseUrl ?? was!.baseUrl } : {}),
      includeGroups, intervalMinutes: interval as number,
    },
    ...(secret ? { secret } : {}),
  };
}

export function readJobConfig(b: JsonObject, policy: TargetPolicy, current?: JobConfig, filesDir?: string): { config: JobConfig; credentials?: JobCredentials; sourceSecret?: string } {
  const t = b.target === undefined ? undefined : b.target;
  if (t !== undefined && !isObject(t)) throw scimErrors.badRequest('target must be {url, token} or {url, tokenUrl, clientId, clientSecret}');
  if (!t && !current) throw scimErrors.badRequest('target is required: {url, token} or {url, tokenUrl, clientId, clientSecret}');
  let target = current?.target;
  let credentials: JobCredentials | undefined;
  if (t) {
    const str = (k: string) => optionalText(t, 'target', k);
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
  const { source, secret: sourceSecret } = readSource(b.source, policy, current?.source, filesDir);
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
    source,
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
  return { config, ...(credentials ? { credentials } : {}), ...(sourceSecret ? { sourceSecret } : {}) };
}
