// The activity feed: accepted changes (the audit trail) and refused requests, newest first,
// in words an administrator reads ("Entra added Alice Adams to Sales Team", "Entra tried to
// create dave@contoso.com: ..."). Changes come through the audit reader, so a
// division-scoped viewer sees exactly the records it may; refused requests can quote any
// user's data, so they need the audit permission on every division.
import { ALL_DIVISIONS, divisionsWith } from '../auth/permissions.ts';
import { scimErrors } from '../scim/index.ts';
import type { AuditRecord, RefusalRecord, Store } from '../store/contract.ts';
import { requirePermission, type AdminContext } from './admin/context.ts';
import type { AuditReader } from './admin/users-audits.ts';
import { IGNORED_ATTRIBUTES } from '../trail/audit.ts';
import { Sealer } from './sealed.ts';

export interface ActivityEntry {
  readonly id: string;
  readonly time: string;
  readonly outcome: 'accepted' | 'refused';
  /** User, Group, Division, Role, OAuthClient, ... or Request for a refusal outside those. */
  readonly kind: string;
  readonly actorId?: string;
  readonly actor: string;
  readonly resourceId?: string;
  readonly text: string;
  /** One line per changed attribute, e.g. "title: Engineer -> Manager". */
  readonly details: readonly string[];
  readonly status?: number;
  readonly scimType?: string;
  /** A refused validate-only request: a check, which would have changed nothing either way. */
  readonly validateOnly?: boolean;
  /** Each changed attribute with its whole values in words, old beside new (the console's diff). */
  readonly changes?: readonly AttributeChange[];
}

export interface AttributeChange {
  readonly attribute: string;
  readonly before?: string;
  readonly after?: string;
}

export interface ActivityQuery {
  readonly limit: number;
  readonly cursor?: string;
  readonly actor?: string;
  readonly resource?: string;
  readonly kind?: string;
  readonly outcome?: 'accepted' | 'refused';
  readonly from?: string;
  readonly to?: string;
}

export interface ActivityPage {
  readonly entries: readonly ActivityEntry[];
  readonly cursor?: string;
}

interface Position {
  a?: number;
  r?: number;
  /** A source that has nothing older left. */
  aDone?: boolean;
  rDone?: boolean;
}

const REFUSAL_KINDS = ['User', 'Group', 'Bulk', 'Request'];

const isSeq = (v: unknown) => v === undefined || (Number.isSafeInteger(v) && (v as number) >= 0);
const isFlag = (v: unknown) => v === undefined || typeof v === 'boolean';
function isPosition(p: unknown): p is Position {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return false;
  const o = p as Record<string, unknown>;
  return isSeq(o.a) && isSeq(o.r) && isFlag(o.aDone) && isFlag(o.rDone);
}

/**
 * A value in words, whole: a multi-valued attribute by its values ("a@x.com (work),
 * b@x.com"), a complex one by its sub-attributes; never cut in the middle of a value.
 */
export function valueInWords(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'object') return String(v);
  const one = (x: unknown): string => {
    if (typeof x !== 'object' || x === null) return String(x);
    const o = x as Record<string, unknown>;
    if ('value' in o) {
      const tags = [o.type, o.primary === true ? 'primary' : undefined].filter((t) => t !== undefined && t !== '');
      return `${String(o.display ?? o.value)}${tags.length > 0 ? ` (${tags.join(', ')})` : ''}`;
    }
    return Object.entries(o).map(([k, y]) => `${k}: ${typeof y === 'object' && y !== null ? JSON.stringify(y) : String(y)}`).join('; ');
  };
  return Array.isArray(v) ? v.map(one).join(', ') : one(v);
}

const MANAGER = /:manager$/;
/** A console user's grants (`roleId@divisionId`) and an OAuth client's (`{roleId, divisionId}`). */
const GRANTS = 'grants';
const CLIENT_GRANTS = 'roleDivisions';

/** Grants as "Role on Division" ("on every division" for `*`), by name where known. */
function grantsInWords(v: unknown, names: ReadonlyMap<string, string>): unknown {
  if (!Array.isArray(v)) return v;
  return v.map((g) => {
    const [roleId, divisionId] = typeof g === 'string' && g.includes('@') ? [g.slice(0, g.lastIndexOf('@')), g.slice(g.lastIndexOf('@') + 1)]
      : typeof g === 'object' && g !== null ? [String((g as Record<string, unknown>).roleId), String((g as Record<string, unknown>).divisionId)]
      : [undefined, undefined];
    if (roleId === undefined) return g;
    return `${names.get(roleId) ?? roleId} on ${divisionId === ALL_DIVISIONS ? 'every division' : names.get(divisionId!) ?? divisionId}`;
  });
}

const DELETED_MARK = ' (deleted)';
const DELETED = / \(deleted\)$/;

/** The name a record gives its resource: userName or displayName, after the change or before it. */
function lastKnownName(r: AuditRecord): string | undefined {
  for (const k of ['displayName', 'userName', 'name']) {
    const c = r.changes[k];
    for (const v of [c?.after, c?.before]) if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}
const isIdRef = (v: unknown): v is { value: string } => typeof v === 'object' && v !== null && typeof (v as { value?: unknown }).value === 'string';

/** An attribute path as people read it: the extension's name instead of its URN. */
function attributeLabel(path: string): string {
  const m = /^urn:[^ ]*:(?:extension:)?([A-Za-z]+):2\.0:User:(.+)$/.exec(path);
  if (!m) return path;
  return `${m[2]} (${m[1] === 'purecloud' ? 'Genesys' : m[1]})`;
}

const show = (v: unknown): string => {
  if (v === undefined || v === null || v === '') return '(none)';
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

const KIND_OF_PATH: [RegExp, string][] = [[/\/Users(\/|\?|$)/i, 'User'], [/\/Groups(\/|\?|$)/i, 'Group'], [/\/api\/v2\/users/i, 'User'], [/\/api\/v2\/groups/i, 'Group'], [/\/Bulk/i, 'Bulk']];

/** The kind a refused request was about, from its path. */
export function kindOfPath(path: string): string {
  return KIND_OF_PATH.find(([re]) => re.test(path))?.[1] ?? 'Request';
}

/** "create dave@contoso.com" from a refused request's method, path and body. */
export function refusedAction(r: Pick<RefusalRecord, 'method' | 'path' | 'body'>, name: (id: string) => string | undefined): string {
  const path = r.path.split('?')[0];
  const kind = kindOfPath(path).toLowerCase();
  let body: Record<string, unknown> = {};
  try {
    body = r.body ? (JSON.parse(r.body.replace(/…$/, '')) as Record<string, unknown>) : {};
  } catch {
    // A cut excerpt is not JSON; the name is then unknown.
  }
  const id = /\/(Users|Groups|users|groups)\/([^/?]+)/.exec(path)?.[2];
  const target = (typeof body.userName === 'string' && body.userName) || (typeof body.displayName === 'string' && body.displayName) || (id ? name(id) ?? id : undefined);
  const noun = kind === 'request' || kind === 'bulk' ? '' : `${kind} `;
  switch (r.method) {
    case 'POST':
      if (/\.search$/i.test(path)) return `search ${noun || 'resources'}`.trim();
      if (kind === 'bulk') return 'run a bulk request';
      if (/\/members$/.test(path)) return `add members to ${target ?? 'a group'}`;
      return `create ${noun}${target ?? ''}`.trim();
    case 'PUT':
      return `replace ${noun}${target ?? ''}`.trim();
    case 'PATCH':
      return `change ${noun}${target ?? ''}`.trim();
    case 'DELETE':
      return `delete ${noun}${target ?? ''}`.trim();
    default:
      return id ? `read ${noun}${target}` : `list ${kind === 'request' ? path : `${kind}s`}${/filter=/.test(r.path) ? ' with a filter' : ''}`;
  }
}

export class ActivityFeed {
  private readonly sealer: Sealer;

  constructor(
    private readonly store: Store,
    private readonly audits: AuditReader,
  ) {
    this.sealer = new Sealer(store, 'activity-cursor');
  }

  private async position(orgId: string, cursor: string | undefined): Promise<Position> {
    if (!cursor) return {};
    const p = await this.sealer.open(orgId, cursor);
    if (!isPosition(p)) throw scimErrors.badRequest('cursor is not one this server issued');
    return p;
  }

  async page(ctx: AdminContext, q: ActivityQuery): Promise<ActivityPage> {
    requirePermission(ctx, 'audits:audit:view');
    const seesRefusals = divisionsWith(ctx.principal, ['audits:audit:view']) === ALL_DIVISIONS;
    const pos = await this.position(ctx.org.id, q.cursor);
    const wantChanges = q.outcome !== 'refused' && !pos.aDone;
    const wantRefusals = seesRefusals && q.outcome !== 'accepted' && !pos.rDone && (q.kind === undefined || REFUSAL_KINDS.includes(q.kind));
    // A page from each source, newest first; merged by time; `limit` kept. Kind and resource
    // filters the store cannot apply are applied to what was read.
    const a = wantChanges
      ? await this.audits.records(ctx, { limit: q.limit, after: pos.a, resourceId: q.resource, clientId: q.actor, from: q.from, to: q.to })
      : { entities: [] as AuditRecord[], next: undefined };
    const changes = a.entities.filter((r) => q.kind === undefined || r.resourceType === q.kind);
    const r = wantRefusals
      ? await this.store.queryRefusals(ctx.org.id, { limit: q.limit, after: pos.r, newestFirst: true, clientId: q.actor, from: q.from, to: q.to })
      : { entities: [] as (RefusalRecord & { seq: number })[], next: undefined };
    const refusals = r.entities.filter((x) => (q.kind === undefined || kindOfPath(x.path) === q.kind) && (q.resource === undefined || x.path.includes(q.resource)));
    type Item = { time: string; change?: AuditRecord; refusal?: RefusalRecord & { seq: number } };
    const merged: Item[] = [...changes.map((c): Item => ({ time: c.time, change: c })), ...refusals.map((x): Item => ({ time: x.time, refusal: x }))]
      .sort((x, y) => (x.time < y.time ? 1 : x.time > y.time ? -1 : 0))
      .slice(0, q.limit);
    const names = await this.names(ctx, merged.map((m) => m.change ?? m.refusal!));
    const entries = merged.map((m) => (m.change ? this.describeChange(m.change, names) : this.describeRefusal(m.refusal!, names)));

    // Where each source goes on: after its last entry shown, or, when all it read was shown
    // (or filtered out), after all it read.
    const takenA = merged.filter((m) => m.change).length;
    const takenR = merged.filter((m) => m.refusal).length;
    const next: Position = {
      a: takenA === changes.length ? (a.entities.at(-1)?.seq ?? pos.a) : takenA === 0 ? pos.a : merged.filter((m) => m.change).at(-1)!.change!.seq!,
      r: takenR === refusals.length ? (r.entities.at(-1)?.seq ?? pos.r) : takenR === 0 ? pos.r : merged.filter((m) => m.refusal).at(-1)!.refusal!.seq,
      aDone: !wantChanges || (takenA === changes.length && a.next === undefined),
      rDone: !wantRefusals || (takenR === refusals.length && r.next === undefined),
    };
    return { entries, ...(next.aDone && next.rDone ? {} : { cursor: await this.sealer.seal(ctx.org.id, next) }) };
  }

  /** Names of the clients, users and groups the entries mention. */
  private async names(ctx: AdminContext, records: readonly (AuditRecord | RefusalRecord)[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const c of await this.store.listClients(ctx.org.id)) names.set(c.id, c.name);
    const ids = new Set<string>();
    for (const r of records) {
      if (r.clientId?.startsWith('user:')) ids.add(r.clientId.slice(5));
      if ('resourceId' in r) {
        ids.add(r.resourceId);
        for (const k of ['members.added', 'members.removed']) for (const side of Object.values(r.changes[k] ?? {})) if (Array.isArray(side)) for (const id of side.slice(0, 20)) ids.add(String(id));
        // A manager is shown by name where the viewer may see that user.
        for (const [k, v] of Object.entries(r.changes)) if (MANAGER.test(k)) for (const side of [v.before, v.after]) if (isIdRef(side)) ids.add(side.value);
      } else {
        const id = /\/(?:Users|Groups|users|groups)\/([^/?]+)/.exec(r.path)?.[1];
        if (id) ids.add(id);
      }
    }
    const visible = divisionsWith(ctx.principal, ['directory:user:view', 'directory:user:edit']);
    for (const id of ids) {
      const u = await this.store.getUser(ctx.org.id, id);
      if (u && (visible === ALL_DIVISIONS || visible.includes(u.divisionId))) {
        names.set(id, u.displayName || u.userName);
        continue;
      }
      const g = await this.store.getGroup(ctx.org.id, id);
      if (g) {
        names.set(id, g.displayName);
        continue;
      }
      // Gone from the directory: its newest record the viewer may read names it (a deleted
      // user's delete record carries its last userName and displayName).
      if (!u) {
        const last = (await this.audits.records(ctx, { limit: 1, resourceId: id })).entities[0];
        const known = last && lastKnownName(last);
        if (known) names.set(id, `${known}${DELETED_MARK}`);
      }
    }
    // Grants name their role and division (`roleDivisions`, `grants`); a division outside the
    // viewer's scope keeps its id.
    if (records.some((r) => 'changes' in r && (GRANTS in r.changes || CLIENT_GRANTS in r.changes))) {
      const seen = divisionsWith(ctx.principal, ['audits:audit:view']);
      for (const role of await this.store.listRoles(ctx.org.id)) names.set(role.id, role.name);
      for (const d of await this.store.listDivisions(ctx.org.id)) if (seen === ALL_DIVISIONS || seen.includes(d.id)) names.set(d.id, d.name);
    }
    return names;
  }

  private actor(clientId: string | undefined, names: Map<string, string>): string {
    if (!clientId) return 'Someone';
    if (clientId === 'cli') return 'The CLI (on the store)';
    if (clientId === 'console-setup') return 'The console setup link';
    if (clientId.startsWith('user:')) return `${names.get(clientId.slice(5)) ?? 'A console user'} (console)`;
    return names.get(clientId) ?? `Client ${clientId}`;
  }

  private describeChange(r: AuditRecord, names: Map<string, string>): ActivityEntry {
    const actor = this.actor(r.clientId, names);
    const before = (k: string) => r.changes[k]?.before;
    const after = (k: string) => r.changes[k]?.after;
    const known = names.get(r.resourceId) ||
      (typeof after('userName') === 'string' && (after('userName') as string)) || (typeof before('userName') === 'string' && (before('userName') as string)) ||
      (typeof after('name') === 'string' && (after('name') as string)) || (typeof before('name') === 'string' && (before('name') as string)) ||
      (typeof after('displayName') === 'string' && (after('displayName') as string)) || r.resourceId;
    const name = r.action === 'delete' ? known.replace(DELETED, '') : known;
    const noun = r.resourceType === 'OAuthClient' ? 'OAuth client' : r.resourceType.toLowerCase();
    const memberNames = (k: string, side: 'before' | 'after') => {
      const ids = (r.changes[k]?.[side] as unknown[] | undefined) ?? [];
      const shown = ids.slice(0, 3).map((id) => names.get(String(id)) ?? String(id));
      return ids.length > 3 ? `${shown.join(', ')} and ${ids.length - 3} more` : shown.join(', ');
    };
    const details: string[] = [];
    const changes: AttributeChange[] = [];
    for (const [k, v] of Object.entries(r.changes)) {
      if (k === 'members.added' || k === 'members.removed' || k === 'members.cleared') continue;
      if (k === IGNORED_ATTRIBUTES) {
        details.push(`ignored, not in the schema: ${(v.after as string[]).join(', ')}`);
        continue;
      }
      details.push(`${k}: ${show(v.before)} -> ${show(v.after)}`);
      const named = (x: unknown) =>
        MANAGER.test(k) && isIdRef(x) && names.has(x.value) ? { ...x, display: names.get(x.value) }
        : k === GRANTS || k === CLIENT_GRANTS ? grantsInWords(x, names)
        : x;
      const [before, after] = [valueInWords(named(v.before)), valueInWords(named(v.after))];
      changes.push({ attribute: attributeLabel(k), ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) });
    }
    let text: string;
    const added = r.changes['members.added'];
    const removed = r.changes['members.removed'];
    if (r.resourceType === 'Group' && (added || removed || r.changes['members.cleared'])) {
      const parts = [
        ...(added ? [`added ${memberNames('members.added', 'after')} to`] : []),
        ...(removed ? [`removed ${memberNames('members.removed', 'before')} from`] : []),
        ...(r.changes['members.cleared'] ? ['removed every member from'] : []),
      ];
      text = `${actor} ${parts.join(' and ')} ${name}`;
    } else if (r.action === 'create') text = `${actor} created ${noun} ${name}`;
    else if (r.action === 'delete') text = `${actor} deleted ${noun} ${name}`;
    else if (r.action === 'update' && r.resourceType === 'User' && Object.keys(r.changes).length === 1 && 'active' in r.changes) text = `${actor} ${after('active') ? 'enabled' : 'disabled'} ${name}`;
    else if (r.action === 'update') text = `${actor} changed ${noun} ${name}`;
    else if (r.action === 'login.failed') text = `${actor}: a token request failed (${show(after('reason'))})`;
    else if (r.action === 'console.signIn') text = `${actor} signed in`;
    else if (r.action === 'console.signOut') text = `${actor} signed out`;
    else if (r.action === 'console.signIn.failed') text = `A console sign-in as ${name} failed (${show(after('reason'))})`;
    else if (r.action === 'console.setup') text = `${name} became the first console administrator`;
    else text = `${actor}: ${r.action} ${noun} ${name}`;
    return { id: r.id, time: r.time, outcome: 'accepted', kind: r.resourceType, ...(r.clientId ? { actorId: r.clientId } : {}), actor, resourceId: r.resourceId, text, details, ...(changes.length > 0 ? { changes } : {}) };
  }

  private describeRefusal(r: RefusalRecord, names: Map<string, string>): ActivityEntry {
    const actor = this.actor(r.clientId, names);
    return {
      id: r.id, time: r.time, outcome: 'refused', kind: kindOfPath(r.path), ...(r.clientId ? { actorId: r.clientId } : {}), actor,
      text: `${actor} ${r.validateOnly ? 'checked (validate-only) whether it may' : 'tried to'} ${refusedAction(r, (id) => names.get(id))}: ${r.detail}`,
      details: [`${r.method} ${r.path}${r.validateOnly ? ' (Prefer: validate-only)' : ''} -> ${r.status}${r.scimType ? ` ${r.scimType}` : ''}`, ...(r.body ? [`body: ${r.body}`] : [])],
      status: r.status, ...(r.scimType ? { scimType: r.scimType } : {}), ...(r.validateOnly ? { validateOnly: true } : {}),
    };
  }
}
