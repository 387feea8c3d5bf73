// POST /Bulk (RFC 7644 3.7). Each operation is exactly the single request it stands for: the
// same service method, permissions, profile rules, limits and audit record; each commits on
// its own (a Bulk request is not one transaction: clients expect, and get, a result per
// operation). Operations run in order, except that one referring to a `bulkId` waits until
// the operation that creates it has run; a cycle of references is broken by creating the
// first waiting resource without the attributes that refer onwards and adding them with a
// PATCH once every resource exists (RFC 7644 3.7.1). `failOnErrors` stops the run after that
// many failures; operations not attempted are left out of the response.
import {
  bulkRefsIn, BULK_RESPONSE_SCHEMA, isObject, PATCH_OP_SCHEMA, resolveBulkRefs, ScimError, scimErrors, setAsideRefs,
  type BulkOperation, type BulkRequest, type JsonObject,
} from '../scim/index.ts';
import type { CallContext } from './context.ts';
import type { GroupService } from './groups.ts';
import type { UserService } from './users.ts';

export const BULK_MAX_OPERATIONS = 1000;

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
  return { type: m[1].toLowerCase() === 'users' ? 'Users' : 'Groups', ...(m[2] !== undefined ? { id: decodeURIComponent(m[2]) } : {}) };
}

const etag = (version: number) => `"${version}"`;

export class BulkService {
  constructor(
    private readonly users: UserService,
    private readonly groups: GroupService,
  ) {}

  /** Runs one operation as its single request would run; returns its outcome. */
  private async runOne(ctx: CallContext, op: BulkOperation, path: string, data: unknown): Promise<{ outcome: Omit<Outcome, 'method' | 'bulkId'>; id?: string }> {
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

  async run(ctx: CallContext, request: BulkRequest): Promise<JsonObject> {
    const ids = new Map<string, string>(); // bulkId -> id
    const failed = new Set<string>(); // bulkIds whose operation failed
    const outcomes = new Map<number, Outcome>();
    const laterPatches: { index: number; path: string; aside: JsonObject }[] = [];
    const pending = request.operations.map((op, index) => ({ op, index }));
    let errors = 0;
    const stop = () => request.failOnErrors !== undefined && errors >= request.failOnErrors;

    const record = (index: number, op: BulkOperation, result: Omit<Outcome, 'method' | 'bulkId'>) =>
      outcomes.set(index, { method: op.method, ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}), ...result });
    const fail = (index: number, op: BulkOperation, e: ScimError) => {
      errors++;
      if (op.bulkId !== undefined) failed.add(op.bulkId);
      record(index, op, { status: String(e.status), response: e.toJSON() });
    };
    const attempt = async (index: number, op: BulkOperation, data: unknown) => {
      try {
        const { outcome, id } = await this.runOne({ ...ctx, requestId: `${ctx.requestId}#${index}` }, op, resolveBulkRefs(op.path, ids), data);
        if (op.bulkId !== undefined && id !== undefined) ids.set(op.bulkId, id);
        record(index, op, outcome);
        return true;
      } catch (e) {
        if (!(e instanceof ScimError)) throw e;
        fail(index, op, e);
        return false;
      }
    };

    while (pending.length > 0 && !stop()) {
      const refs = (op: BulkOperation) => bulkRefsIn([op.path, op.data]);
      const readyAt = pending.findIndex(({ op }) => [...refs(op)].every((r) => ids.has(r) || failed.has(r) || !request.operations.some((o) => o.bulkId === r)));
      if (readyAt >= 0) {
        const [{ op, index }] = pending.splice(readyAt, 1);
        const unresolvable = [...refs(op)].filter((r) => !ids.has(r));
        if (unresolvable.length > 0) {
          fail(index, op, scimErrors.conflict(`bulkId "${unresolvable[0]}" ${failed.has(unresolvable[0]) ? 'belongs to an operation that failed' : 'is not defined in this request'}`));
          continue;
        }
        await attempt(index, op, resolveBulkRefs(op.data, ids));
        continue;
      }
      // Every waiting operation waits on another: a cycle. Create the first POST without its
      // onward references; they are added by a PATCH at the end (RFC 7644 3.7.1).
      const cycleAt = pending.findIndex(({ op }) => op.method === 'POST' && isObject(op.data));
      if (cycleAt < 0) {
        const [{ op, index }] = pending.splice(0, 1);
        fail(index, op, scimErrors.conflict('The bulkId references of this operation form a cycle that cannot be broken (no POST to create first)'));
        continue;
      }
      const [{ op, index }] = pending.splice(cycleAt, 1);
      const unresolved = new Set([...bulkRefsIn(op.data)].filter((r) => !ids.has(r)));
      const { data, aside } = setAsideRefs(resolveBulkRefs(op.data as JsonObject, ids), unresolved);
      if (await attempt(index, op, data)) laterPatches.push({ index, path: `/${targetOf(op.path).type}/${ids.get(op.bulkId!)}`, aside });
    }

    for (const p of laterPatches) {
      if (stop()) break;
      const unresolved = [...bulkRefsIn(p.aside)].filter((r) => !ids.has(r));
      const prior = outcomes.get(p.index)!;
      const op = request.operations[p.index];
      if (unresolved.length > 0) {
        fail(p.index, op, scimErrors.conflict(`bulkId "${unresolved[0]}" could not be resolved; the resource was created without the attributes that refer to it`));
        continue;
      }
      try {
        const patch = { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'add', value: resolveBulkRefs(p.aside, ids) }] };
        const { outcome } = await this.runOne({ ...ctx, requestId: `${ctx.requestId}#${p.index}` }, { method: 'PATCH', path: p.path, data: patch }, p.path, patch);
        record(p.index, op, { ...prior, version: outcome.version });
      } catch (e) {
        if (!(e instanceof ScimError)) throw e;
        fail(p.index, op, e);
      }
    }

    const Operations = [...outcomes.entries()].sort(([a], [b]) => a - b).map(([, o]) => o);
    return { schemas: [BULK_RESPONSE_SCHEMA], Operations };
  }
}
