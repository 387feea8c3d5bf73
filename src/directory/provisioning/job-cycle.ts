// One cycle of a job: read its source (the organization's directory, or Microsoft Graph), run
// the provisioning engine against the job's target with the job's state, record what was
// acknowledged and what happened to each object (with the requests it caused). A full
// reconciliation compares every user with the target (its recorded fingerprints are set
// aside, so drift on the target is repaired); a cycle for changes sends
// only what changed since the last; on demand runs one user, at once, with every request and
// answer kept.
import { AsyncLocalStorage } from 'node:async_hooks';
import { ScimClient, type HttpFetch, type ScimExchange } from '../../provision/scim-client.ts';
import { runSync, type ObjectReport, type SyncReport } from '../../provision/sync.ts';
import type { JobCycleSummary, JobLogRecord, OnDemandStep, ProvisioningJobRecord, Store } from '../../store/contract.ts';
import { fileInside, jobMappings, type GraphJobSource, type JobConfig, type JobCredentials } from './job-config.ts';
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { GraphSource } from '../../provision/graph.ts';
import { attributesOf } from '../../provision/expression/ast.ts';
import type { MappingSet } from '../../provision/mappings.ts';
import { readDirectory, type Directory } from '../../provision/source.ts';
import { loadJobState, StoreJournal } from './job-state.ts';
import { readOwnDirectory, readOwnUsers } from './own-directory.ts';
import type { SecretBox } from './secret-box.ts';

export type CycleKind = JobCycleSummary['kind'];

export interface JobCycleResult {
  readonly report: SyncReport;
  readonly authRefusals: number;
  readonly summary: JobCycleSummary;
  readonly exchanges: readonly ScimExchange[];
}

/** What the secret box seals a job's credentials for: its organization and itself. */
export const credentialScope = (job: Pick<ProvisioningJobRecord, 'orgId' | 'id'>) => `provisioning-job\n${job.orgId}\n${job.id}`;
/** What it seals a Graph source's client secret for (kept in the job's configuration). */
export const sourceScope = (job: Pick<ProvisioningJobRecord, 'orgId' | 'id'>) => `${credentialScope(job)}\nsource`;

/** The Microsoft Graph connector of a job whose source is Graph, through the guarded client. */
export function graphOf(job: ProvisioningJobRecord, source: GraphJobSource, target: JobTarget, select: readonly string[] = []): GraphSource {
  if (!source.sealedSecret) throw new Error('the Graph source has no client secret');
  return new GraphSource({
    tenantId: source.tenantId, clientId: source.clientId, clientSecret: String(target.box.open(sourceScope(job), source.sealedSecret)),
    ...(source.authority ? { authority: source.authority } : {}), ...(source.baseUrl ? { baseUrl: source.baseUrl } : {}),
    includeGroups: source.includeGroups, select, fetch: target.fetch, maxRetryAfterSeconds: 60,
  });
}

/** The job's whole source as the engine reads it (the mapping preview of a file job). */
export const readJobSource = (store: Store, target: JobTarget, job: ProvisioningJobRecord): Promise<Directory> => {
  const c = job.config as unknown as JobConfig;
  return readSource(store, target, job, c, jobMappings(c), undefined);
};

/** The job's source as the engine reads it: this organization's directory, Microsoft Graph, or files. */
async function readSource(store: Store, target: JobTarget, job: ProvisioningJobRecord, c: JobConfig, mappings: MappingSet, changedUsers: readonly string[] | undefined): Promise<Directory> {
  if (c.source.type === 'graph') return graphOf(job, c.source, target, [...mappings.users, ...mappings.groups].flatMap((m) => attributesOf(m.expr))).readDirectory();
  if (c.source.type === 'file') return readDirectory({ users: sourceFile(target.filesDir, c.source.users), ...(c.source.groups ? { groups: sourceFile(target.filesDir, c.source.groups) } : {}) });
  return changedUsers ? readOwnUsers(store, job.orgId, changedUsers, c.divisionIds) : readOwnDirectory(store, job.orgId, c.divisionIds);
}

/** The client a job talks to its target with (validate-only in pilot). */
export function targetClient(job: ProvisioningJobRecord, box: SecretBox, fetch: HttpFetch, onExchange?: (x: ScimExchange) => void): ScimClient {
  const c = job.config as unknown as JobConfig;
  const secret = box.open(credentialScope(job), job.targetSecret) as JobCredentials;
  return new ScimClient({
    baseUrl: c.target.url, fetch, dryRun: job.pilot, maxRetries: 2, backoffMs: 200, maxRetryAfterSeconds: 10,
    ...(secret.token ? { token: secret.token } : { tokenUrl: c.target.tokenUrl, clientId: c.target.clientId, clientSecret: secret.clientSecret }),
    ...(onExchange ? { onExchange } : {}),
  });
}

/** The requests of a run and the target's answers, as on-demand shows them. */
export const stepsOf = (exchanges: readonly ScimExchange[]): OnDemandStep[] =>
  exchanges.map((x) => ({ request: { method: x.method, path: x.path, ...(x.body !== undefined ? { body: x.body } : {}), validateOnly: x.validateOnly }, response: { status: x.status, ...(x.answer !== undefined ? { body: x.answer } : {}) } }));

function stepsFor(o: ObjectReport, kind: CycleKind, demanded: readonly OnDemandStep[], own: readonly OnDemandStep[] | undefined): { steps?: readonly OnDemandStep[] } {
  const steps = kind === 'on-demand' && o.kind === 'user' ? demanded : own ?? [];
  return steps.length > 0 ? { steps } : {};
}

const logged = (o: ObjectReport, kind: CycleKind) => kind === 'on-demand' || o.action !== 'skip' || o.errors.length > 0;

/** How a job reaches its target: the box that opens its credentials, and the guarded HTTP client (guarded-fetch.ts). */
export interface JobTarget {
  readonly box: SecretBox;
  readonly fetch: HttpFetch;
  /** SCIMITAR_PROVISIONING_FILES_DIR, for file sources. */
  readonly filesDir?: string;
}

/** A file source's file, inside the files folder even through symbolic links (checked at each read). */
function sourceFile(dir: string | undefined, relative: string): string {
  const full = fileInside(dir, relative);
  const real = realpathSync(full);
  if (!real.startsWith(realpathSync(dir!) + sep)) throw new Error(`source file ${relative} leads outside the provisioning files folder`);
  return real;
}

export interface CycleScope {
  /** These users only (ids or userNames; on demand). */
  readonly only?: readonly string[];
  /**
   * A cycle for changes that reads just these users (ids): no groups, no deprovisioning, the
   * cost of the change rather than of the directory.
   */
  readonly changedUsers?: readonly string[];
  /** Hears what the cycle is doing: reading the source, then users done of total. */
  readonly progress?: (step: string, done?: number, total?: number) => void;
}

export async function runJobCycle(store: Store, target: JobTarget, job: ProvisioningJobRecord, kind: CycleKind, scope: CycleScope = {}): Promise<JobCycleResult> {
  const c = job.config as unknown as JobConfig;
  const exchanges: ScimExchange[] = [];
  const { changedUsers } = scope;
  let only = scope.only;
  // Each request to the target is kept with the user or group it was for (its log entry's
  // steps): with its bodies when the target refused it, as method, path and status otherwise
  // (a first cycle of many users keeps little); on demand keeps everything.
  const current = new AsyncLocalStorage<ObjectReport>();
  const perObject = new WeakMap<ObjectReport, OnDemandStep[]>();
  const client = targetClient(job, target.box, target.fetch, (x) => {
    if (kind === 'on-demand') exchanges.push(x);
    const object = current.getStore();
    if (!object) return;
    const kept: OnDemandStep = kind === 'on-demand' || x.status >= 400 ? stepsOf([x])[0] : { request: { method: x.method, path: x.path, validateOnly: x.validateOnly }, response: { status: x.status } };
    const list = perObject.get(object);
    if (list) list.push(kept);
    else perObject.set(object, [kept]);
  });
  scope.progress?.('reading the source');
  const directory = await readSource(store, target, job, c, jobMappings(c), changedUsers);
  only ??= changedUsers;
  // A cycle for a few users reads their state and their managers' (to name a manager on the target), not the whole job's.
  const state = await loadJobState(store, job.id, changedUsers ? [...new Set([...directory.users.map((u) => u.id), ...directory.users.flatMap((u) => (u.managerId ? [u.managerId] : []))])] : undefined);
  if (kind === 'full') for (const u of Object.values(state.users)) u.hash = '';
  const journal = job.pilot ? undefined : new StoreJournal(store, job.id);
  const report = await runSync({
    client, mappings: jobMappings(c), directory, scope: { mode: 'all', ...(c.scopingFilters ? { filters: c.scopingFilters } : {}) }, profile: c.profile, dryRun: job.pilot,
    ...(only ? { only } : {}), clearEmpty: c.clearEmpty, deprovision: c.deprovision, deletionThreshold: { count: c.deletionThreshold }, concurrency: 4, state, ...(journal ? { journal } : {}),
    forObject: (object, work) => current.run(object, work),
    ...(scope.progress ? { onProgress: (done: number, total: number) => scope.progress!('users', done, total) } : {}),
  });
  await journal?.flush();
  const time = new Date().toISOString();
  // On demand runs for one user: its log entry keeps every request and answer, the pilot check included.
  const demanded = kind === 'on-demand' ? stepsOf(exchanges) : [];
  const rows: JobLogRecord[] = report.objects.filter((o) => logged(o, kind)).map((o) => ({
    jobId: job.id, orgId: job.orgId, time, cycle: kind, objectKind: o.kind, sourceId: o.sourceId, name: o.name, action: o.action,
    ...(o.reason ? { reason: o.reason } : {}), ...(o.targetId ? { targetId: o.targetId } : {}), ...(o.changes.length > 0 ? { changes: o.changes } : {}), ...(o.errors.length > 0 ? { errors: o.errors } : {}),
    ...(stepsFor(o, kind, demanded, perObject.get(o))),
  }));
  if (report.stopped) rows.push({ jobId: job.id, orgId: job.orgId, time, cycle: kind, objectKind: 'user', sourceId: '', name: '(the cycle)', action: 'stopped', reason: report.stopped });
  if (rows.length > 0) await store.insertJobLogs(rows);
  const { create, update, disable, delete: deleted, skip, fail } = report.summary;
  const summary: JobCycleSummary = {
    kind, startedAt: report.startedAt, finishedAt: report.finishedAt, pilot: job.pilot,
    counts: { create, update, disable, delete: deleted, skip, fail, requests: report.summary.requests }, ...(report.stopped ? { stopped: report.stopped } : {}),
  };
  return { report, authRefusals: client.authRefusals, summary, exchanges };
}
