// How the cycle speaks to the target: values as the wire profile sends them (Entra's quirks
// or plain RFC), PATCH operations, and the one PATCH request whose refusal is an error.
import { PATCH_OP_SCHEMA } from '../../scim/index.ts';
import { evaluateForTarget } from '../expression/evaluate.ts';
import { SKIP } from '../expression/values.ts';
import type { CompiledMapping } from '../mappings.ts';
import { errorDetail, type ScimClient, type ScimResponse } from '../scim-client.ts';
import type { SourceUser } from '../source.ts';
import type { WireProfile } from './types.ts';

const BOOLEAN_TARGETS = new Set(['active']);
export const quoteFilter = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Runs `fn` over `items`, at most `concurrency` at a time. */
export async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Values to send, by target path; `null` marks a mapping whose value is empty. */
export function desiredValues(mappings: readonly CompiledMapping[], u: SourceUser, creating: boolean): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const m of mappings) {
    if (m.reference) continue;
    if (m.apply === 'creation' && !creating) continue;
    let v = evaluateForTarget(m.expr, u.attributes);
    if (v === SKIP) continue;
    if ((v === null || v === '') && creating && m.defaultValue !== undefined) v = m.defaultValue;
    out.set(m.target, v === '' ? null : v);
  }
  return out;
}

export function wireValue(path: string, v: unknown, profile: WireProfile, forPatch: boolean): unknown {
  if (!BOOLEAN_TARGETS.has(path) || (typeof v !== 'string' && typeof v !== 'boolean')) return v;
  const b = typeof v === 'boolean' ? v : v.toLowerCase() === 'true';
  // Entra's default job sends booleans as "True"/"False" in PATCH, real booleans in POST.
  return profile === 'entra' && forPatch ? (b ? 'True' : 'False') : b;
}

export const isFilterPath = (p: string) => p.includes('[');

export function patchOp(profile: WireProfile, op: 'add' | 'replace' | 'remove', path: string, value?: unknown) {
  const name = profile === 'entra' ? (op === 'add' ? 'Add' : op === 'replace' ? 'Replace' : 'Remove') : op;
  return value === undefined ? { op: name, path } : { op: name, path, value };
}

/** A manager reference as the profile sends it: Entra a bare id, RFC 7643 `{value}`. */
export const managerValue = (profile: WireProfile, targetId: string) => (profile === 'entra' ? targetId : { value: targetId });

/**
 * PATCHes `path` with `ops`: the answer when the target took it (200 or 204) or, when
 * `gone` is set, when it answered 404; an Error naming `what` was refused otherwise.
 */
export async function sendPatch(client: ScimClient, path: string, ops: readonly unknown[], what: string, options: { readonly gone?: boolean } = {}): Promise<ScimResponse> {
  const r = await client.request('PATCH', path, { schemas: [PATCH_OP_SCHEMA], Operations: ops });
  if (r.status === 200 || r.status === 204 || (options.gone && r.status === 404)) return r;
  throw new Error(`${what} refused: ${errorDetail(r)}`);
}
