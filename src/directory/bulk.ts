// POST /Bulk (RFC 7644 3.7). Each operation is exactly the single request it stands for: the
// same service method, permissions, profile rules, limits and audit record; each commits on
// its own (a Bulk request is not one transaction: clients expect, and get, a result per
// operation). The order comes from the reference graph (bulk-graph.ts): an operation runs
// once what it refers to has run, lowest index first; a cycle of references runs as one
// unit, completed by PATCHes or undone as a whole (RFC 7644 3.7.1, 3.7.3). `failOnErrors`
// stops the run after that many failures; operations not attempted are left out of the
// response.
import { can, SCIM_PERMISSIONS } from '../auth/permissions.ts';
import {
  BULK_RESPONSE_SCHEMA, isObject, PATCH_OP_SCHEMA, resolveBulkPath, resolveBulkRefs, ScimError, scimErrors, setAsideRefs,
  type BulkOperation, type BulkRequest, type JsonObject,
} from '../scim/index.ts';
import { referenceGraph, type ReferenceGraph } from './bulk-graph.ts';
import { TimeSlice } from './time-slice.ts';
import type { CallContext } from './context.ts';
import type { GroupService } from './groups.ts';
import type { UserService } from './users.ts';

export const BULK_MAX_OPERATIONS = 1000;
/** How long a Bulk runs before it lets other requests in (docs/security.md, "Bulk's cost"). */
export const BULK_SLICE_MS = 20;

interface Outcome {
  readonly method: string;
  readonly bulkId?: string;
  readonly version?: string;
  readonly location?: string;
  readonly status: string;
  readonly response?: unknown;
}

interface Target {
  readonly type: 'Users' | 'Groups';
  readonly id?: string;
}

function targetOf(path: string): Target {
  const m = /^\/(Users|Groups)(?:\/([^/]+))?\/?$/i.exec(path);
  if (!m) throw scimErrors.invalidValue(`Bulk operations act on /Users and /Groups; got "${path}"`);
  let id: string | undefined;
  try {
    id = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
  } catch {
    throw scimErrors.invalidValue(`The path "${path}" holds a malformed %-escape`);
  }
  return { type: m[1].toLowerCase() === 'users' ? 'Users' : 'Groups', ...(id !== undefined ? { id } : {}) };
}

const etag = (version: number) => `"${version}"`;

export class BulkService {
  constructor(
    private readonly users: UserService,
    private readonly groups: GroupService,
  ) {}

  /**
   * Runs a BulkRequest. The reference graph is built once (each operation's references read
   * once: linear in operations and bytes). Between operations the event loop is given back
   * once a slice of BULK_SLICE_MS is spent, so that one Bulk never holds up other requests
   * for long. `onUnexpected` hears of a failure that is no SCIM error (that operation is 500).
   */
  run(ctx: CallContext, request: BulkRequest, onUnexpected?: (error: unknown, index: number) => void): Promise<JsonObject> {
    return new BulkRun(this.users, this.groups, ctx, request, onUnexpected).run();
  }
}

/** One Bulk request under way: what its operations created, which failed, and their outcomes. */
class BulkRun {
  private readonly ops: readonly BulkOperation[];
  private readonly graph: ReferenceGraph;
  private readonly ids = new Map<string, string>(); // bulkId -> id
  private readonly failed = new Set<string>(); // bulkIds whose operation failed
  private readonly outcomes = new Map<number, Outcome>();
  private readonly slice = new TimeSlice(BULK_SLICE_MS);
  private errors = 0;

  constructor(
    private readonly users: UserService,
    private readonly groups: GroupService,
    private readonly ctx: CallContext,
    private readonly request: BulkRequest,
    private readonly onUnexpected?: (error: unknown, index: number) => void,
  ) {
    this.ops = request.operations;
    this.graph = referenceGraph(this.ops);
  }

  async run(): Promise<JsonObject> {
    const { graph, ops, ids } = this;
    for (let c = graph.next(); c !== undefined && !this.stopped(); c = graph.next()) {
      if (c.cyclic) await this.runCycle(c.members);
      else {
        const index = c.members[0];
        const why = this.blocked(index, (r) => ids.has(r));
        if (why) this.fail(index, why);
        else await this.attempt(index, resolveBulkPath(ops[index].path, ids), resolveBulkRefs(ops[index].data, ids));
      }
      graph.done(c);
    }
    const Operations = [...this.outcomes.entries()].sort(([a], [b]) => a - b).map(([, o]) => o);
    return { schemas: [BULK_RESPONSE_SCHEMA], Operations };
  }

  private stopped(): boolean {
    return this.request.failOnErrors !== undefined && this.errors >= this.request.failOnErrors;
  }

  private record(index: number, result: Omit<Outcome, 'method' | 'bulkId'>): void {
    const op = this.ops[index];
    this.outcomes.set(index, { method: op.method, ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}), ...result });
  }

  /** The operation failed: its bulkId no longer resolves, and it counts towards failOnErrors. */
  private fail(index: number, e: ScimError, extra: { location?: string } = {}): void {
    this.errors++;
    const bulkId = this.ops[index].bulkId;
    if (bulkId !== undefined) {
      this.failed.add(bulkId);
      this.ids.delete(bulkId);
    }
    this.record(index, { status: String(e.status), ...extra, response: e.toJSON() });
  }

  /** Runs one operation and records its outcome; its id, or the error that stopped it. */
  private async attempt(index: number, path: string, data: unknown): Promise<{ id?: string; error?: ScimError }> {
    const op = this.ops[index];
    await this.slice.yieldIfSpent();
    try {
      const { outcome, id } = await this.runOne(index, op, path, data);
      if (op.bulkId !== undefined && id !== undefined) this.ids.set(op.bulkId, id);
      this.record(index, outcome);
      return { id };
    } catch (e) {
      const error = this.asScimError(e, index);
      this.fail(index, error);
      return { error };
    }
  }

  /** Why an operation cannot run as sent: a permission it holds nowhere, or a reference that did not resolve. */
  private blocked(index: number, resolvable: (ref: string) => boolean): ScimError | undefined {
    const refused = this.refusal(this.ops[index]);
    if (refused) return refused;
    const missing = [...this.graph.refs(index)].find((r) => !resolvable(r));
    if (missing === undefined) return undefined;
    return scimErrors.conflict(`bulkId "${missing}" ${this.failed.has(missing) ? 'belongs to an operation that failed' : this.graph.defines(missing) ? 'refers to an operation that was not run' : 'is not defined in this request'}`);
  }

  /** Runs one operation as its single request would run; returns its outcome. */
  private async runOne(index: number, op: BulkOperation, path: string, data: unknown): Promise<{ outcome: Omit<Outcome, 'method' | 'bulkId'>; id?: string }> {
    const ctx = { ...this.ctx, requestId: `${this.ctx.requestId}#${index}` };
    const t = targetOf(path);
    const service = t.type === 'Users' ? this.users : this.groups;
    const location = (id: string) => `${ctx.scimBaseUrl}/${t.type}/${id}`;
    if (op.method === 'POST') {
      if (t.id !== undefined) throw scimErrors.invalidValue(`POST goes to /${t.type}, not to one resource`);
      const r = await service.create(ctx, data);
      const id = r.resource.id as string;
      return { id, outcome: { status: '201', location: location(id), version: etag(r.version) } };
    }
    if (t.id === undefined) throw scimErrors.invalidValue(`${op.method} needs a resource: /${t.type}/{id}`);
    if (op.method === 'DELETE') {
      await service.delete(ctx, t.id, op.version);
      return { outcome: { status: '204' } };
    }
    const r = op.method === 'PUT' ? await service.replace(ctx, t.id, data, op.version)
      : t.type === 'Users' ? await this.users.patch(ctx, t.id, data, op.version) : await this.groups.patch(ctx, t.id, data, op.version, undefined);
    return { id: t.id, outcome: { status: '200', location: location(t.id), version: etag(r.version) } };
  }

  /**
   * A cycle of references (RFC 7644 3.7.1): its POSTs are created in request order, each
   * without the attributes that refer to members not created yet; those are added by one
   * PATCH each once all exist. If any member fails, the members created are removed again
   * and reported as failed with the reason, so that an operation reported as failed has
   * written nothing and one reported as done holds everything it was sent (RFC 7644 3.7.3).
   * Only POSTs can be created first: a cycle through another method fails as a whole.
   */
  private async runCycle(members: readonly number[]): Promise<void> {
    const { ops, ids } = this;
    if (members.some((i) => ops[i].method !== 'POST' || !isObject(ops[i].data))) {
      for (const i of members) this.fail(i, scimErrors.conflict('The bulkId references of this operation form a cycle that cannot be broken (only POSTs can be created first)'));
      return;
    }
    const inCycle = new Set(members.map((i) => ops[i].bulkId!));
    const created = new Map<number, { type: Target['type']; id: string; aside: JsonObject }>();
    let cause: { index: number; error: ScimError } | undefined;
    for (const index of members) {
      const why = this.blocked(index, (r) => ids.has(r) || inCycle.has(r));
      if (why) {
        cause = { index, error: why };
        this.fail(index, why);
        break;
      }
      const op = ops[index];
      const later = new Set([...this.graph.refs(index)].filter((r) => !ids.has(r)));
      const { data, aside } = setAsideRefs(resolveBulkRefs(op.data as JsonObject, ids), later);
      const { id, error } = await this.attempt(index, op.path, data);
      if (error || !id) {
        cause = { index, error: error ?? scimErrors.internal() };
        break;
      }
      created.set(index, { type: targetOf(op.path).type, id, aside });
    }
    for (const [index, c] of cause ? [] : created) {
      if (Object.keys(c.aside).length === 0) continue;
      await this.slice.yieldIfSpent();
      const path = `/${c.type}/${c.id}`;
      try {
        const patch = { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'add', value: resolveBulkRefs(c.aside, ids) }] };
        const { outcome } = await this.runOne(index, { method: 'PATCH', path, data: patch }, path, patch);
        this.record(index, { ...this.outcomes.get(index)!, version: outcome.version });
      } catch (e) {
        cause = { index, error: this.asScimError(e, index) };
        break;
      }
    }
    if (!cause) return;
    // Undo: every member created is removed again and reported with the reason.
    const why = `this operation is part of a cycle of bulkId references that could not be completed (bulkId "${ops[cause.index].bulkId!}": ${cause.error.message})`;
    for (const [index, c] of [...created].reverse()) {
      await this.slice.yieldIfSpent();
      this.fail(index, index === cause.index ? cause.error : scimErrors.conflict(`Not kept: ${why}`), await this.undoCreate(index, c.type, c.id));
    }
    for (const i of members) {
      if (i !== cause.index && !created.has(i)) this.fail(i, scimErrors.conflict(`Not run: ${why}`));
    }
  }

  /**
   * Removes a resource an operation created but could not complete. When it cannot be
   * removed (the caller may not delete), the failure names it (`location`) so that a retry
   * can find it.
   */
  private async undoCreate(index: number, type: Target['type'], id: string): Promise<{ location?: string }> {
    try {
      await (type === 'Users' ? this.users : this.groups).delete({ ...this.ctx, requestId: `${this.ctx.requestId}#${index}` }, id, undefined);
      return {};
    } catch (e) {
      this.asScimError(e, index);
      return { location: `${this.ctx.scimBaseUrl}/${type}/${id}` };
    }
  }

  /** 403 without any work when the caller holds the operation's permission in no division. */
  private refusal(op: BulkOperation): ScimError | undefined {
    let type: Target['type'];
    try {
      type = targetOf(op.path).type;
    } catch (e) {
      if (e instanceof ScimError) return e; // a path that is no /Users or /Groups resource
      throw e;
    }
    const needs = PERMISSION_OF[type][op.method];
    return can(this.ctx.principal, needs) ? undefined : scimErrors.forbidden(`This client may not ${op.method} ${type} in any division (needs ${needs.join(' or ')})`);
  }

  /** A failure of one operation as its SCIM error; an unexpected one is reported (logged) and answers a bare 500. */
  private asScimError(e: unknown, index: number): ScimError {
    if (e instanceof ScimError) return e;
    this.onUnexpected?.(e, index);
    return scimErrors.internal();
  }
}

const PERMISSION_OF: Record<Target['type'], Record<BulkOperation['method'], readonly string[]>> = {
  Users: { POST: SCIM_PERMISSIONS.userAdd, PUT: SCIM_PERMISSIONS.userEdit, PATCH: SCIM_PERMISSIONS.userEdit, DELETE: SCIM_PERMISSIONS.userDelete },
  Groups: { POST: SCIM_PERMISSIONS.groupAdd, PUT: SCIM_PERMISSIONS.groupEdit, PATCH: SCIM_PERMISSIONS.groupEdit, DELETE: SCIM_PERMISSIONS.groupDelete },
};
