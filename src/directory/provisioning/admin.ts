// /api/v2/provisioning/jobs: jobs that push this organization's directory to a downstream SCIM
// service. A new job starts stopped and in validate-only pilot; the target's credentials are
// sealed with SCIMITAR_SECRET_KEY and never shown again. A division-scoped caller makes jobs of
// its divisions only, sees only jobs within them, and such a job reads and pushes only users
// of those divisions.
import { JOB_LEASE_MS } from './runner.ts';
import type { HttpFetch } from '../../provision/scim-client.ts';
import { guardedFetch } from '../guarded-fetch.ts';
import { randomUUID } from 'node:crypto';
import { ScimError, scimErrors, type JsonObject } from '../../scim/index.ts';
import type { CurrentCycle, JobLogRecord, ProvisioningJobRecord, Store } from '../../store/contract.ts';
import { actorOf, diffAttributes, writeAudit } from '../../trail/audit.ts';
import { body, requirePermission, requiredString, type AdminContext } from '../admin/context.ts';
import { askedDivisions, withinCaller } from '../admin/division-scope.ts';
import type { EventFeed } from '../events.ts';
import type { TargetPolicy } from '../webhooks/target.ts';
import { readJobConfig, type GraphJobSource, type JobConfig } from './job-config.ts';
import { credentialScope, graphOf, readJobSource, runJobCycle, sourceScope, stepsOf, targetClient, type JobTarget } from './job-cycle.ts';
import { GraphError } from '../../provision/graph.ts';
import { attributesOf } from '../../provision/expression/ast.ts';
import type { SecretBox } from './secret-box.ts';
import type { UserReader } from '../admin/users-audits.ts';
import { ExpressionError } from '../../provision/expression/ast.ts';
import { compileExpression, evaluateForTarget } from '../../provision/expression/evaluate.ts';
import { SKIP } from '../../provision/expression/values.ts';
import { graphUserOf } from './own-directory.ts';

export const JOB_PERMISSIONS = {
  view: 'provisioning:job:view', add: 'provisioning:job:add', edit: 'provisioning:job:edit', delete: 'provisioning:job:delete', run: 'provisioning:job:run',
} as const;

export interface JobEntity {
  id: string;
  name: string;
  source: JobConfig['source'];
  currentCycle?: CurrentCycle;
  /** The target without its credentials. */
  target: JobConfig['target'];
  mappings?: JobConfig['mappings'];
  scopingFilters?: JobConfig['scopingFilters'];
  deprovision: JobConfig['deprovision'];
  deletionThreshold: number;
  profile: JobConfig['profile'];
  clearEmpty: boolean;
  divisionIds?: readonly string[];
  fullEveryHours: number;
  status: ProvisioningJobRecord['status'];
  pilot: boolean;
  health: ProvisioningJobRecord['health'];
  lastCycle?: ProvisioningJobRecord['lastCycle'];
  nextFullReconciliation?: string;
  dateCreated: string;
  selfUri: string;
}

const actor = (ctx: AdminContext) => actorOf({ org: ctx.org, principal: ctx.principal, requestId: ctx.requestId });
/** The source as shown and audited: a Graph source's sealed secret never leaves the store. */
const shownSource = (source: JobConfig['source']): JobConfig['source'] => {
  if (source.type !== 'graph') return source;
  const { sealedSecret: _sealed, ...rest } = source;
  return rest;
};
const auditable = (j: ProvisioningJobRecord): JsonObject => ({ name: j.name, ...(j.config as JsonObject), source: shownSource((j.config as unknown as JobConfig).source) as unknown as JsonObject, status: j.status, pilot: j.pilot });
/** The configuration with a Graph source's new client secret sealed into it. */
function sealSource(config: JobConfig, secret: string | undefined, box: SecretBox, job: Pick<ProvisioningJobRecord, 'orgId' | 'id'>): JobConfig {
  if (!secret || config.source.type !== 'graph') return config;
  return { ...config, source: { ...config.source, sealedSecret: box.seal(sourceScope(job), secret) } };
}

/** How long provisioning on demand waits for a running cycle of its job to end. */
export const ON_DEMAND_WAIT_MS = 5_000;

/** An expression evaluated for one source user: the value, or the error with its 1-based position. */
function evaluated(expression: string, user: { id: string; name: string }, source: Record<string, unknown>) {
  try {
    const value = evaluateForTarget(compileExpression(expression), source);
    return { user, ...(value === SKIP ? { skipped: true } : { value }), source };
  } catch (e) {
    if (!(e instanceof ExpressionError)) throw e;
    return { user, error: { message: e.message, ...(e.position !== undefined ? { position: e.position + 1 } : {}) }, source };
  }
}

export class JobAdmin {
  constructor(
    private readonly store: Store,
    private readonly feed: EventFeed,
    private readonly policy: TargetPolicy,
    private readonly box: SecretBox | undefined,
    private readonly users: UserReader,
    /** SCIMITAR_PROVISIONING_FILES_DIR: where file sources may be (none when unset). */
    private readonly filesDir?: string,
    /** Requests to targets, address-guarded at every connection (guarded-fetch.ts). */
    private readonly fetch: HttpFetch = guardedFetch(policy),
  ) {}

  entity(j: ProvisioningJobRecord): JobEntity {
    const c = j.config as unknown as JobConfig;
    return {
      id: j.id, name: j.name, source: shownSource(c.source), target: c.target, ...(c.mappings ? { mappings: c.mappings } : {}), ...(c.scopingFilters ? { scopingFilters: c.scopingFilters } : {}),
      deprovision: c.deprovision, deletionThreshold: c.deletionThreshold, profile: c.profile, clearEmpty: c.clearEmpty, ...(c.divisionIds ? { divisionIds: c.divisionIds } : {}),
      fullEveryHours: c.fullEveryHours, status: j.status, pilot: j.pilot, health: j.health, ...(j.lastCycle ? { lastCycle: j.lastCycle } : {}), ...(j.currentCycle ? { currentCycle: j.currentCycle } : {}),
      ...(j.status === 'running' && j.nextFull > 0 ? { nextFullReconciliation: new Date(j.nextFull).toISOString() } : {}),
      dateCreated: j.created, selfUri: `/api/v2/provisioning/jobs/${j.id}`,
    };
  }

  /** How this node's jobs reach their sources and targets. */
  private target(box = this.secretBox()): JobTarget {
    return { box, fetch: this.fetch, ...(this.filesDir ? { filesDir: this.filesDir } : {}) };
  }

  private secretBox(): SecretBox {
    if (!this.box) throw scimErrors.conflict('Provisioning jobs keep their target credentials sealed with SCIMITAR_SECRET_KEY: set it (at least 32 characters) and restart the server');
    return this.box;
  }

  /** The job, when the caller holds `permission` over all its divisions (else not found). */
  async visible(ctx: AdminContext, id: string, permission: string): Promise<ProvisioningJobRecord> {
    requirePermission(ctx, permission);
    const j = await this.store.getJob(ctx.org.id, id);
    if (!j || !withinCaller(ctx, (j.config as unknown as JobConfig).divisionIds, permission)) throw scimErrors.notFound(`Provisioning job ${id} not found`);
    return j;
  }

  async list(ctx: AdminContext): Promise<{ entities: JobEntity[]; total: number }> {
    requirePermission(ctx, JOB_PERMISSIONS.view);
    const all = (await this.store.listJobs(ctx.org.id)).filter((j) => withinCaller(ctx, (j.config as unknown as JobConfig).divisionIds, JOB_PERMISSIONS.view));
    return { entities: all.map((j) => this.entity(j)), total: all.length };
  }

  async get(ctx: AdminContext, id: string): Promise<JobEntity> {
    return this.entity(await this.visible(ctx, id, JOB_PERMISSIONS.view));
  }

  async create(ctx: AdminContext, input: unknown): Promise<JobEntity> {
    requirePermission(ctx, JOB_PERMISSIONS.add);
    const box = this.secretBox();
    const b = body(input);
    const name = requiredString(b, 'name', 200);
    const { config: asked, credentials, sourceSecret } = readJobConfig(b, this.policy, undefined, this.filesDir);
    const divisionIds = await askedDivisions(ctx, this.store, b, JOB_PERMISSIONS.add, undefined, 'a job may read');
    const id = randomUUID();
    const config = sealSource(asked, sourceSecret, box, { orgId: ctx.org.id, id });
    // A new job starts at the newest event, stopped, in pilot: the first real cycle is the administrator's choice.
    const j: ProvisioningJobRecord = {
      id, orgId: ctx.org.id, name, created: new Date().toISOString(), config: { ...config, ...(divisionIds ? { divisionIds } : {}) } as unknown as JsonObject,
      targetSecret: box.seal(credentialScope({ orgId: ctx.org.id, id }), credentials), status: 'stopped', pilot: b.pilot === undefined ? true : b.pilot === true,
      position: (await this.feed.latest(ctx.org.id)) ?? { commit: '0', seq: 0 }, nextFull: 0, nextRun: 0, health: { quarantined: false, level: 0 },
    };
    if (b.pilot !== undefined && typeof b.pilot !== 'boolean') throw scimErrors.badRequest('pilot must be true or false');
    await this.store.transaction(async (tx) => {
      await tx.createJob(j);
      await writeAudit(tx, actor(ctx), 'create', 'ProvisioningJob', id, diffAttributes(undefined, auditable(j)));
    });
    return this.entity(j);
  }

  async update(ctx: AdminContext, id: string, input: unknown): Promise<JobEntity> {
    const j = await this.visible(ctx, id, JOB_PERMISSIONS.edit);
    const b = body(input);
    const current = j.config as unknown as JobConfig;
    const { config: asked, credentials, sourceSecret } = readJobConfig(b, this.policy, current, this.filesDir);
    const config = sourceSecret ? sealSource(asked, sourceSecret, this.secretBox(), j) : asked;
    const divisionIds = await askedDivisions(ctx, this.store, b, JOB_PERMISSIONS.edit, current.divisionIds, 'a job may read');
    if (b.pilot !== undefined && typeof b.pilot !== 'boolean') throw scimErrors.badRequest('pilot must be true or false');
    const name = b.name === undefined ? j.name : requiredString(b, 'name', 200);
    const next: ProvisioningJobRecord = {
      ...j, name, config: { ...config, ...(divisionIds ? { divisionIds } : { divisionIds: undefined }) } as unknown as JsonObject, pilot: b.pilot === undefined ? j.pilot : (b.pilot as boolean),
      ...(credentials ? { targetSecret: this.secretBox().seal(credentialScope(j), credentials) } : {}),
    };
    await this.store.transaction(async (tx) => {
      await tx.updateJob(next);
      const changes = {
        ...diffAttributes(auditable(j), auditable(next)), ...(credentials ? { 'target.credentials': { before: '[redacted]', after: '[redacted]' } } : {}),
        ...(sourceSecret ? { 'source.clientSecret': { before: '[redacted]', after: '[redacted]' } } : {}),
      };
      if (Object.keys(changes).length > 0) await writeAudit(tx, actor(ctx), 'update', 'ProvisioningJob', id, changes);
    });
    return this.entity(next);
  }

  async delete(ctx: AdminContext, id: string): Promise<void> {
    const j = await this.visible(ctx, id, JOB_PERMISSIONS.delete);
    await this.store.transaction(async (tx) => {
      await tx.deleteJob(ctx.org.id, id);
      await writeAudit(tx, actor(ctx), 'delete', 'ProvisioningJob', id, diffAttributes(auditable(j), undefined));
    });
  }

  /** Start (running), stop, or restart (forget the state: the next cycle is a full one from scratch). */
  async setRunning(ctx: AdminContext, id: string, action: 'start' | 'stop' | 'restart'): Promise<JobEntity> {
    const j = await this.visible(ctx, id, JOB_PERMISSIONS.run);
    if (action !== 'stop') this.secretBox();
    const next: ProvisioningJobRecord = {
      ...j, status: action === 'stop' ? 'stopped' : 'running',
      // Starting runs a full cycle at once; a quarantine ends when the administrator starts the job again.
      ...(action !== 'stop' ? { nextFull: 0, nextRun: 0, health: { quarantined: false, level: 0 } } : {}),
      ...(action === 'restart' ? { position: (await this.feed.latest(ctx.org.id)) ?? { commit: '0', seq: 0 } } : {}),
    };
    await this.store.transaction(async (tx) => {
      if (action === 'restart') await tx.clearJobState(id);
      await tx.updateJob(next);
      if (action !== 'stop') await tx.resetJob(ctx.org.id, id, action === 'restart' ? next.position : undefined);
      await writeAudit(tx, actor(ctx), action, 'ProvisioningJob', id, { status: { before: j.status, after: next.status } });
    });
    return this.entity(next);
  }

  /** One user now (by id or userName), every request and answer shown: Entra's "Provision on demand". */
  async provisionOnDemand(ctx: AdminContext, id: string, input: unknown) {
    const j = await this.visible(ctx, id, JOB_PERMISSIONS.run);
    const user = requiredString(body(input), 'user', 1024);
    const box = this.secretBox();
    // The job's lease, as a cycle takes it: a cycle and an on-demand run of one job never
    // write its target and state at once (both could create the same user). A cycle running
    // now is waited for a little, then the answer says to try again.
    const owner = `on-demand:${randomUUID()}`;
    const waitUntil = Date.now() + ON_DEMAND_WAIT_MS;
    while (!(await this.store.claimJob(j.id, Date.now(), Date.now() + JOB_LEASE_MS, owner))) {
      if (Date.now() >= waitUntil) throw new ScimError(409, undefined, 'A cycle of this job is running: provision on demand when it has ended (the job\'s status shows it)');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const keep = setInterval(() => void this.store.extendJobLease(j.id, owner, Date.now() + JOB_LEASE_MS).catch(() => undefined), JOB_LEASE_MS / 3);
    let r;
    try {
      r = await runJobCycle(this.store, this.target(box), j, 'on-demand', { only: [user] });
    } catch (e) {
      if (e instanceof ScimError) throw e;
      // The target could not be reached: 503 with why (the core has no 502; RFC 7644 3.12 lists none).
      throw new ScimError(503, undefined, `The target could not be reached: ${(e as Error).message}${(e as { cause?: Error }).cause ? ` (${(e as { cause: Error }).cause.message})` : ''}`);
    } finally {
      clearInterval(keep);
      await this.store.releaseJob(j.id, owner);
    }
    const object = r.report.objects.find((o) => o.kind === 'user' && (o.sourceId === user || o.name.toLowerCase() === user.toLowerCase()));
    if (!object) throw scimErrors.notFound(`No such user (by id or userName) in this job's source${(j.config as unknown as JobConfig).divisionIds ? ' (its divisions)' : ''}`);
    return {
      pilot: j.pilot, user: { id: object.sourceId, name: object.name }, action: object.action, ...(object.reason ? { reason: object.reason } : {}),
      ...(object.targetId ? { targetId: object.targetId } : {}), changes: object.changes, errors: object.errors,
      steps: stepsOf(r.exchanges),
    };
  }

  /**
   * The mapping editor's live preview: `expression` evaluated for one user of the job's source
   * (by id or userName) as the engine reads it. A user the caller may not view, or outside the
   * job's divisions, is not found; an expression that does not parse or run says why and where.
   */
  async preview(ctx: AdminContext, id: string, input: unknown) {
    const j = await this.visible(ctx, id, JOB_PERMISSIONS.view);
    const b = body(input);
    const expression = requiredString(b, 'expression', 10_000);
    const key = requiredString(b, 'user', 1024);
    const config = j.config as unknown as JobConfig;
    if (config.source.type === 'graph') return this.previewFromGraph(j, config.source, expression, key);
    if (config.source.type === 'file') {
      let users;
      try {
        ({ users } = await readJobSource(this.store, this.target(), j));
      } catch (e) {
        if (e instanceof ScimError) throw e;
        throw new ScimError(503, undefined, `The source files could not be read: ${(e as Error).message}`);
      }
      const u = users.find((x) => x.id === key || String(x.attributes.userPrincipalName ?? '').toLowerCase() === key.toLowerCase());
      if (!u) throw scimErrors.notFound('No such user (by id or userPrincipalName) in this job\'s source files');
      return evaluated(expression, { id: u.id, name: String(u.attributes.userPrincipalName ?? u.id) }, u.attributes);
    }
    const found = /^[0-9a-f-]{36}$/i.test(key) ? key : ((await this.users.list(ctx, { filter: `userName eq ${JSON.stringify(key)}`, pageSize: '1' })).entities[0]?.id as string | undefined);
    if (found) await this.users.get(ctx, found);
    const row = found ? await this.store.getUser(ctx.org.id, found) : undefined;
    const divisions = (j.config as unknown as JobConfig).divisionIds;
    if (!row || (divisions && !divisions.includes(row.divisionId))) throw scimErrors.notFound('No such user (by id or userName) in this job\'s source');
    return evaluated(expression, { id: row.id, name: row.userName }, graphUserOf(row));
  }

  /** The preview of a Graph job: the user as Graph returns it (the attributes the expression names, and the manager's id). */
  private async previewFromGraph(j: ProvisioningJobRecord, source: GraphJobSource, expression: string, key: string) {
    let attributes: string[] = [];
    try {
      attributes = attributesOf(compileExpression(expression));
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
    }
    const graph = graphOf(j, source, this.target());
    const select = [...new Set(['id', 'userPrincipalName', 'displayName', 'accountEnabled', ...attributes])].filter((a) => /^[A-Za-z][A-Za-z0-9_]*$/.test(a));
    let user: Record<string, unknown>;
    try {
      user = await graph.get(`/v1.0/users/${encodeURIComponent(key)}?$select=${select.join(',')}&$expand=manager($select=id)`);
    } catch (e) {
      if (e instanceof GraphError && / 404 /.test(e.message)) throw scimErrors.notFound('No such user (by id or userPrincipalName) in this job\'s source (Microsoft Graph)');
      throw new ScimError(503, undefined, `Microsoft Graph could not be read: ${(e as Error).message}`);
    }
    return evaluated(expression, { id: String(user.id), name: String(user.userPrincipalName ?? user.id) }, user);
  }

  /** Asks the target for one page of users: what Entra's "Test Connection" does. */
  async testConnection(ctx: AdminContext, id: string): Promise<{ ok: boolean; status?: number; detail: string }> {
    const j = await this.visible(ctx, id, JOB_PERMISSIONS.run);
    try {
      const r = await targetClient(j, this.secretBox(), this.fetch).request('GET', `/Users?filter=${encodeURIComponent(`userName eq "${randomUUID()}@scimitar.invalid"`)}&count=1`);
      return r.status === 200 ? { ok: true, status: 200, detail: 'The target answered a user search.' } : { ok: false, status: r.status, detail: `The target answered ${r.status}: ${JSON.stringify(r.body ?? '').slice(0, 500)}` };
    } catch (e) {
      return { ok: false, detail: (e as Error).message };
    }
  }

  async logs(ctx: AdminContext, id: string, q: Record<string, unknown>): Promise<{ entities: JobLogRecord[]; before?: number }> {
    await this.visible(ctx, id, JOB_PERMISSIONS.view);
    const limit = Math.min(500, Math.max(1, Number(q.limit ?? 100) || 100));
    const before = q.before === undefined ? undefined : Number(q.before);
    if (before !== undefined && !Number.isSafeInteger(before)) throw scimErrors.badRequest('before must be a log entry id');
    const rows = await this.store.listJobLogs(ctx.org.id, id, {
      limit, ...(before !== undefined ? { before } : {}), ...(typeof q.user === 'string' && q.user ? { sourceId: q.user } : {}), ...(typeof q.action === 'string' && q.action ? { action: q.action } : {}),
    });
    return { entities: rows.map(({ orgId: _o, jobId: _j, ...rest }) => rest as JobLogRecord), ...(rows.length === limit ? { before: rows.at(-1)!.seq! } : {}) };
  }
}
