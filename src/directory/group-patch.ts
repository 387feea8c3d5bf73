// A SCIM PATCH of a group split in two: membership as row operations (add, remove, clear,
// remove where a filter holds; RFC 7644 3.5.2 with Entra's value-list removes) and the
// operations on every other attribute, applied to the document as usual.
import { bindValueFilter, coerceAttribute, isForbiddenKey, scimErrors, type BoundFilter, type JsonObject, type PatchOperation } from '../scim/index.ts';
import type { CallContext } from './context.ts';
import type { MemberOp } from './group-members.ts';

/** `value eq "a"` or `value eq "a" or value eq "b"`: the ids, else undefined. */
function idsOfFilter(f: BoundFilter): string[] | undefined {
  if (f.kind === 'compare' && f.op === 'eq' && f.target.sub?.name === 'value' && typeof f.operand === 'string') return [f.operand];
  if (f.kind === 'or') {
    const l = idsOfFilter(f.left);
    const r = idsOfFilter(f.right);
    return l && r ? [...l, ...r] : undefined;
  }
  return undefined;
}

/**
 * The user ids of a members value: `given` as the request held it, `coerced` as the schema read
 * it. A member object that coerces to nothing ({}, only a read-only display, a null value) names
 * no user and is refused, not read as "no members" (a replace would empty the group, RFC 7644
 * 3.5.2.3). Null items are skipped, as legacy Entra bodies carry them.
 */
export function memberIds(coerced: readonly JsonObject[] | undefined, given: unknown, where: string): string[] {
  const items = (Array.isArray(given) ? given : given === null || given === undefined ? [] : [given]).filter((m) => m !== null && m !== undefined);
  const list = coerced ?? [];
  if (list.length < items.length || list.some((m) => typeof m.value !== 'string')) throw scimErrors.invalidValue(`Every member in ${where} needs a "value" (the user id)`);
  return list.map((m) => m.value as string);
}

/** Splits a PATCH into membership row operations and operations on the other attributes. */
export function planGroupPatch(ctx: CallContext, ops: readonly PatchOperation[]): { memberOps: MemberOp[]; attributeOps: PatchOperation[] } {
  const rt = ctx.registry.resourceType('Group')!;
  const membersDef = ctx.registry.resolve(rt, { attr: 'members' })!.attribute!;
  const memberOps: MemberOp[] = [];
  const attributeOps: PatchOperation[] = [];
  const idsOf = (value: unknown, where: string): string[] =>
    memberIds(coerceAttribute(ctx.registry, membersDef, value, where, { ignoreReadOnly: true }) as JsonObject[] | undefined, value, where);
  const member = (op: PatchOperation['op'], value: unknown, hasValue: boolean, where: string) => {
    if (op === 'add') memberOps.push({ kind: 'add', ids: idsOf(value, where) });
    else if (op === 'replace') memberOps.push({ kind: 'clear' }, { kind: 'add', ids: idsOf(value, where) });
    // Entra's default job removes members with a value list: only those go.
    else if (hasValue && value !== null) memberOps.push({ kind: 'remove', ids: idsOf(value, where) });
    else memberOps.push({ kind: 'clear' });
  };
  for (const op of ops) {
    if (!op.path) {
      const rest: JsonObject = {};
      for (const [k, v] of Object.entries(op.value as JsonObject)) {
        if (isForbiddenKey(k)) throw scimErrors.invalidPath(`"${k}" is not allowed as an attribute name`);
        if (k.toLowerCase() === 'members') member(op.op, v, true, 'members');
        else rest[k] = v;
      }
      if (Object.keys(rest).length > 0) attributeOps.push({ op: op.op, value: rest });
      continue;
    }
    const r = ctx.registry.resolve(rt, op.path.attrPath);
    if (r?.attribute !== membersDef) {
      attributeOps.push(op);
      continue;
    }
    if (r.sub) throw scimErrors.invalidPath(`"${op.path.text}": members are added and removed whole, by value`);
    if (op.path.filter) {
      if (op.op !== 'remove' || op.path.subAfterFilter !== undefined) throw scimErrors.invalidPath(`"${op.path.text}": a member filter can only be removed`);
      const parent = { schema: r.schema, core: r.core, attribute: membersDef, leaf: membersDef, relative: false };
      let filter: BoundFilter;
      try {
        filter = bindValueFilter(ctx.registry, rt, parent, op.path.filter);
      } catch (e) {
        throw scimErrors.invalidPath(`"${op.path.text}": ${(e as Error).message}`);
      }
      const ids = idsOfFilter(filter);
      memberOps.push(ids ? { kind: 'remove', ids } : { kind: 'removeWhere', filter });
      continue;
    }
    member(op.op, op.value, op.value !== undefined, op.path.text);
  }
  return { memberOps, attributeOps };
}
