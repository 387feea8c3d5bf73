// Group membership changes as set-based row operations, in two phases:
//   1. resolve (outside any transaction, in chunked reads that let other requests run
//      between them): every member to add must be a user the caller could GET, else the
//      request is refused with 400 and nothing is written; members to remove are narrowed to
//      those the caller can see.
//   2. apply, in batches of MEMBER_BATCH (1,000) ids, one statement per chunk of ids: a change up to
//      MEMBER_BATCH members is one transaction with the rest of its request (a lone add or
//      remove is one atomic write instead: Repository.writeMembers, see groups.ts); a larger
//      one commits batch by batch (each batch audited), so that one request never holds the
//      store's writer for long and other clients are served between batches.
import { userViewScope } from '../auth/permissions.ts';
import { matchesFilter, scimErrors, type BoundFilter } from '../scim/index.ts';
import type { Repository, Store } from '../store/contract.ts';
import type { CallContext } from './context.ts';

export type MemberOp =
  | { readonly kind: 'add'; readonly ids: readonly string[] }
  | { readonly kind: 'remove'; readonly ids: readonly string[] }
  | { readonly kind: 'removeWhere'; readonly filter: BoundFilter }
  | { readonly kind: 'clear' };

export type AuditChanges = Record<string, { before?: unknown; after?: unknown }>;

/** Most member ids one transaction adds or removes. */
export const MEMBER_BATCH = 1000;

/**
 * Lets the event loop serve other requests' I/O. Needed between batches: with a synchronous
 * driver (better-sqlite3) every await resolves as a microtask, so a chain of batches would
 * otherwise run to its end before any other socket is read.
 */
export const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Which of `ids` exist (in the caller's divisions), looked up a batch at a time with pauses between. */
async function existing(store: Store, ctx: CallContext, ids: readonly string[], scope: readonly string[] | undefined): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += MEMBER_BATCH) {
    // Before every chunk of a large change, the first too: parsing a large body is already
    // one long stretch of the event loop.
    if (ids.length > MEMBER_BATCH) await yieldToOthers();
    for (const id of await store.userIdsExist(ctx.org.id, ids.slice(i, i + MEMBER_BATCH), scope)) found.add(id);
  }
  return found;
}

/** Phase 1: refuses unknown (or invisible) members to add; narrows removals to visible members. */
export async function resolveMemberOps(store: Store, ctx: CallContext, ops: readonly MemberOp[]): Promise<MemberOp[]> {
  const scope = userViewScope(ctx.principal);
  const out: MemberOp[] = [];
  for (const op of ops) {
    if (op.kind === 'add') {
      // Sorted, so that consecutive batches append to the membership key range instead of
      // splitting pages all over it (fewer pages written per commit).
      const ids = [...new Set(op.ids)].sort();
      const found = await existing(store, ctx, ids, scope);
      const missing = ids.filter((id) => !found.has(id));
      if (missing.length > 0) {
        throw scimErrors.invalidValue(`Members must be users of this organization; unknown: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? `, ... (${missing.length} in all)` : ''}`);
      }
      out.push({ kind: 'add', ids });
    } else if (op.kind === 'remove') {
      const ids = [...new Set(op.ids)];
      out.push({ kind: 'remove', ids: scope === undefined ? ids : [...(await existing(store, ctx, ids, scope))] });
    } else out.push(op);
  }
  return out;
}

/** Splits resolved operations into a first batch (run with the rest of the request) and further batches, in order. */
export function batchMemberOps(ops: readonly MemberOp[]): MemberOp[][] {
  const batches: MemberOp[][] = [[]];
  let room = MEMBER_BATCH;
  for (const op of ops) {
    if (op.kind !== 'add' && op.kind !== 'remove') {
      batches[batches.length - 1].push(op);
      continue;
    }
    for (let i = 0; i < op.ids.length; ) {
      if (room === 0) {
        batches.push([]);
        room = MEMBER_BATCH;
      }
      const ids = op.ids.slice(i, i + room);
      batches[batches.length - 1].push({ kind: op.kind, ids });
      room -= ids.length;
      i += ids.length;
    }
  }
  return batches;
}

/**
 * Phase 2: runs resolved operations on `repo`; returns the audit changes of those that changed
 * something. Users deleted since phase 1 are skipped, as if deleted just after.
 */
export async function applyMemberOps(repo: Repository, ctx: CallContext, groupId: string, ops: readonly MemberOp[]): Promise<AuditChanges> {
  const changes: AuditChanges = {};
  const note = (key: string, ids: readonly string[], side: 'before' | 'after') => {
    const prev = (changes[key]?.[side] as string[] | undefined) ?? [];
    changes[key] = { [side]: prev.concat(ids) };
  };
  const scope = userViewScope(ctx.principal);
  for (const op of ops) {
    if (op.kind === 'add') {
      if (op.ids.length > 0 && (await repo.addMembers(groupId, op.ids)) > 0) note('members.added', op.ids, 'after');
    } else if (op.kind === 'remove') {
      if (op.ids.length > 0 && (await repo.removeMembers(groupId, op.ids)) > 0) note('members.removed', op.ids, 'before');
    } else if (op.kind === 'clear') {
      const n = await repo.clearMembers(groupId, scope);
      if (n > 0) changes['members.cleared'] = { before: n };
    } else {
      const all = await repo.listMembers(groupId, scope);
      const ids = all.filter((m) => matchesFilter(op.filter, {}, { value: m.userId, display: m.displayName, type: 'User' })).map((m) => m.userId);
      if (ids.length > 0 && (await repo.removeMembers(groupId, ids)) > 0) note('members.removed', ids, 'before');
    }
  }
  return changes;
}
