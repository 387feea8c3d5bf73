// Runtime values of the expression language and their conversions.
import { DateValue } from './datetime.ts';

/** One value of a mapping: null (absent), scalars, dates, or a multi-valued list. */
export type Value = null | string | number | boolean | DateValue | readonly Value[] | { readonly [k: string]: unknown };

/** IgnoreFlowIfNullOrEmpty's verdict: the target attribute takes no part in the flow. */
export const SKIP = Symbol('skip');
export type Result = Value | typeof SKIP;

export function isNullOrEmpty(v: Value): boolean {
  return v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

/** Text of a value the way the provisioning service prints it: booleans as True/False. */
export function str(v: Value): string | null {
  if (v === null) return null;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v instanceof DateValue) return v.toString();
  if (Array.isArray(v)) return v.length === 0 ? null : str(v[0] as Value);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function bool(v: Value): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.trim().toLowerCase() === 'true' || (/^-?\d+(\.\d+)?$/.test(v.trim()) && Number(v) !== 0);
  return false;
}

export function num(v: Value, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new TypeError(`${what} must be a number; got ${JSON.stringify(str(v))}`);
  return n;
}

/** A multi-valued view: arrays stay, null is empty, a scalar is one value. */
export function list(v: Value): Value[] {
  return v === null ? [] : Array.isArray(v) ? [...(v as Value[])] : [v];
}
