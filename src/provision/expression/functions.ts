// Every function Microsoft documents for app provisioning expressions, with its documented
// null/empty behaviour (Microsoft's documented function reference is the source;
// docs/provisioning.md lists the choices made where Microsoft is silent).
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { ExpressionError } from './ast.ts';
import { dateAdd, dateDiff, DateValue, formatDotNet, fromFileTime, parseDate, parseDotNet, toFileTime } from './datetime.ts';
import { bool, isNullOrEmpty, list, num, SKIP, str, type Result, type Value } from './values.ts';

/** Arguments arrive evaluated, except where a function needs laziness (IIF, Switch). */
export interface Fn {
  readonly min: number;
  readonly max: number;
  readonly call: (args: Value[], ctx: FnContext) => Result;
}

export interface FnContext {
  readonly now: () => Date;
}

const fn = (min: number, max: number, call: Fn['call']): Fn => ({ min, max, call });
const text = (v: Value) => str(v);

const DIACRITICS: Record<string, string> = { æ: 'ae', Æ: 'AE', ø: 'oe', Ø: 'OE', ß: 'ss', ł: 'l', Ł: 'L', đ: 'd', Đ: 'D', œ: 'oe', Œ: 'OE', þ: 'th', Þ: 'TH' };

function normalizeDiacritics(s: string): string {
  return [...s].map((c) => DIACRITICS[c] ?? c.normalize('NFD').replace(/[\u0300-\u036f]/g, '')).join('');
}

function pcase(s: string, separators?: string): string {
  const isSep = separators !== undefined ? (c: string) => separators.includes(c) : (c: string) => !/\p{L}|\p{N}/u.test(c);
  let out = '';
  let start = true;
  for (const c of s) {
    out += start ? c.toUpperCase() : c.toLowerCase();
    start = isSep(c);
  }
  return out;
}

/** .NET named-group replacement tokens `${name}` -> JS `$<name>`. */
const dotnetReplacement = (r: string) => r.replace(/\$\{(\w+)\}/g, '$<$1>');

function regex(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'g');
  } catch (e) {
    throw new ExpressionError(`Invalid regular expression "${pattern}": ${(e as Error).message}`);
  }
}

function replace(args: Value[]): Value {
  const [source, oldValue, pattern, group, replacement, replacementAttr, template] = args.map((a) => (a === undefined ? null : a));
  const src = text(source);
  const old = text(oldValue);
  const pat = text(pattern);
  if (old !== null && template !== null) return src === null ? null : text(template)!.split(old).join(src);
  if (old !== null) return src === null ? null : src.split(old).join(text(replacement) ?? '');
  if (pat === null) throw new ExpressionError('Replace needs oldValue or regexPattern');
  const re = regex(pat);
  const groupName = text(group);
  if (groupName !== null && replacementAttr !== null && replacement === null) {
    // Keep the source when it has a value; else take the group out of the replacement attribute.
    if (!isNullOrEmpty(source)) return src;
    const from = text(replacementAttr);
    if (from === null) return null;
    const m = new RegExp(pat).exec(from);
    return m?.groups?.[groupName] ?? null;
  }
  if (src === null) return null;
  if (groupName !== null) {
    const value = text(replacement) ?? '';
    return src.replace(re, (...m) => {
      const groups = m[m.length - 1] as Record<string, string | undefined>;
      const whole = m[0] as string;
      const g = groups?.[groupName];
      if (g === undefined) return whole;
      const at = whole.indexOf(g);
      return `${whole.slice(0, at)}${value}${whole.slice(at + g.length)}`;
    });
  }
  return src.replace(re, dotnetReplacement(text(replacement) ?? ''));
}

function randomString(length: number, minNum: number, minSpecial: number, minCap: number, minLower: number, avoid: string): string {
  if (length > 256) throw new ExpressionError('RandomString length is at most 256');
  if (minNum + minSpecial + minCap + minLower > length) throw new ExpressionError('RandomString minimums exceed its length');
  const sets = ['0123456789', '!@#$%^&*()-_=+[]{};:,.?', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'].map((s) => [...s].filter((c) => !avoid.includes(c)).join(''));
  const pickFrom = (s: string) => s[randomInt(s.length)];
  const chars: string[] = [];
  [minNum, minSpecial, minCap, minLower].forEach((n, i) => { for (let k = 0; k < n; k++) chars.push(pickFrom(sets[i])); });
  const all = sets.join('');
  while (chars.length < length) chars.push(pickFrom(all));
  for (let i = chars.length - 1; i > 0; i--) { const j = randomInt(i + 1); [chars[i], chars[j]] = [chars[j], chars[i]]; }
  return chars.join('');
}

const toDate = (v: Value): DateValue => (v instanceof DateValue ? v : parseDate(text(v) ?? ''));

export const FUNCTIONS: Readonly<Record<string, Fn>> = Object.freeze({
  Append: fn(2, 2, ([s, suffix]) => (s === null ? null : `${text(s)}${text(suffix) ?? ''}`)),
  AppRoleAssignmentsComplex: fn(1, 1, ([roles]) => list(roles).map((r) => ({ primary: false, type: 'WindowsAzureActiveDirectoryRole', ...(typeof r === 'object' && r !== null ? { display: (r as Record<string, unknown>).displayName, value: (r as Record<string, unknown>).value } : { value: text(r) }) }))),
  AssertiveAppRoleAssignmentsComplex: fn(1, 1, ([roles]) => list(roles).map((r) => ({ primary: false, type: 'WindowsAzureActiveDirectoryRole', ...(typeof r === 'object' && r !== null ? { display: (r as Record<string, unknown>).displayName, value: (r as Record<string, unknown>).value } : { value: text(r) }) }))),
  BitAnd: fn(2, 2, ([a, b]) => Number(BigInt(Math.trunc(num(a, 'BitAnd value1'))) & BigInt(Math.trunc(num(b, 'BitAnd value2'))))),
  CBool: fn(1, 1, ([v]) => bool(v)),
  CDate: fn(1, 1, ([v]) => (v === null ? null : toDate(v))),
  Coalesce: fn(1, Infinity, (args) => args.find((a) => a !== null) ?? null),
  ConvertFromBase64: fn(1, 2, ([v, enc]) => {
    if (v === null) return null;
    const e = (text(enc) ?? 'Unicode').toLowerCase();
    return Buffer.from(text(v)!, 'base64').toString(e === 'utf8' ? 'utf8' : e === 'ascii' ? 'ascii' : 'utf16le');
  }),
  ConvertToBase64: fn(1, 1, ([v]) => (v === null ? null : Buffer.from(text(v)!, 'utf16le').toString('base64'))),
  ConvertToUTF8Hex: fn(1, 1, ([v]) => (v === null ? null : Buffer.from(text(v)!, 'utf8').toString('hex').toUpperCase())),
  Count: fn(1, 1, ([v]) => list(v).length),
  CStr: fn(1, 1, ([v]) => text(v)),
  DateAdd: fn(3, 3, ([interval, n, d]) => (d === null ? null : dateAdd(text(interval) ?? '', num(n, 'DateAdd value'), toDate(d)))),
  DateDiff: fn(3, 3, ([interval, a, b]) => (a === null || b === null ? null : dateDiff(text(interval) ?? '', toDate(a), toDate(b)))),
  DateFromNum: fn(1, 1, ([v]) => (v === null ? null : fromFileTime(num(v, 'DateFromNum value')))),
  FormatDateTime: fn(3, 4, (args) => {
    // Four arguments: (source, dateTimeStyles, inputFormat, outputFormat); three: without styles.
    const [source, inFmt, outFmt] = args.length === 4 ? [args[0], args[2], args[3]] : args;
    if (isNullOrEmpty(source)) return null;
    const d = source instanceof DateValue ? source : parseDotNet((text(source) ?? '').trim(), text(inFmt) ?? '');
    return formatDotNet(new Date(d.ms), text(outFmt) ?? 'M/d/yyyy h:mm:ss tt');
  }),
  Guid: fn(0, 0, () => randomUUID()),
  IgnoreFlowIfNullOrEmpty: fn(1, 1, ([v]) => (isNullOrEmpty(v) ? SKIP : v)),
  IIF: fn(3, 3, ([c, a, b]) => (bool(c) ? a : b)),
  InStr: fn(2, 4, ([a, b, start, mode]) => {
    const hay = text(a);
    const needle = text(b);
    if (hay === null || needle === null) return null;
    const from = start === null || start === undefined ? 0 : Math.max(0, num(start, 'InStr start') - 1);
    const ci = text(mode ?? null)?.toLowerCase() === 'vbtextcompare';
    return (ci ? hay.toLowerCase().indexOf(needle.toLowerCase(), from) : hay.indexOf(needle, from)) + 1;
  }),
  IsNull: fn(1, 1, ([v]) => v === null),
  IsNullOrEmpty: fn(1, 1, ([v]) => isNullOrEmpty(v)),
  IsPresent: fn(1, 1, ([v]) => !isNullOrEmpty(v)),
  IsString: fn(1, 1, ([v]) => typeof v === 'string'),
  Item: fn(2, 2, ([v, i]) => {
    const xs = list(v);
    const idx = num(i, 'Item index');
    if (idx < 1 || idx > xs.length) throw new ExpressionError(`Item index ${idx} is out of range (1..${xs.length})`);
    return xs[idx - 1];
  }),
  // Empty and null sources are skipped (Microsoft's example: Join(", ", "", [surname], [givenName]) = "Doe, John").
  Join: fn(1, Infinity, ([sep, ...sources]) => sources.flatMap((s) => list(s)).map(text).filter((s): s is string => s !== null && s !== '').join(text(sep) ?? '')),
  Left: fn(2, 2, ([s, n]) => {
    const v = text(s);
    if (v === null) return '';
    const k = num(n, 'Left NumChars');
    return k < 0 ? v : v.slice(0, k);
  }),
  Mid: fn(3, 3, ([s, start, length]) => {
    const v = text(s);
    return v === null ? null : v.substr(Math.max(0, num(start, 'Mid start') - 1), Math.max(0, num(length, 'Mid length')));
  }),
  NormalizeDiacritics: fn(1, 1, ([s]) => (s === null ? null : normalizeDiacritics(text(s)!))),
  Not: fn(1, 1, ([v]) => (text(v)?.toLowerCase() === 'true' ? 'False' : 'True')),
  Now: fn(0, 0, (_a, ctx) => new DateValue(ctx.now().getTime())),
  NumFromDate: fn(1, 1, ([v]) => (v === null ? null : toFileTime(toDate(v)))),
  PCase: fn(1, 2, ([s, seps]) => (s === null ? null : pcase(text(s)!, seps === null || seps === undefined ? undefined : text(seps)!))),
  RandomString: fn(5, 6, ([len, n, sp, cap, low, avoid]) => randomString(num(len, 'Length'), num(n, 'MinimumNumbers'), num(sp, 'MinimumSpecialCharacters'), num(cap, 'MinimumCapital'), num(low, 'MinimumLowerCase'), text(avoid ?? null) ?? '')),
  Redact: fn(1, 1, ([v]) => v),
  RemoveDuplicates: fn(1, 1, ([v]) => {
    const seen = new Set<string>();
    return list(v).filter((x) => { const k = JSON.stringify(x); if (seen.has(k)) return false; seen.add(k); return true; });
  }),
  Replace: fn(7, 7, (args) => replace(args)),
  SelectUniqueValue: fn(2, Infinity, () => {
    throw new ExpressionError('SelectUniqueValue is only supported for HR and on-premises AD targets, not for SCIM apps');
  }),
  SingleAppRoleAssignment: fn(1, 1, ([roles]) => {
    const first = list(roles)[0];
    if (first === undefined) return null;
    return typeof first === 'object' && first !== null && !Array.isArray(first) ? ((first as Record<string, unknown>).value as string) ?? null : text(first);
  }),
  // Items are trimmed: Microsoft's example shows "a, b" split on "," as ["a", "b"].
  Split: fn(2, 2, ([s, d]) => (s === null ? null : text(s)!.split(text(d) ?? ',').map((x) => x.trim()))),
  StripSpaces: fn(1, 1, ([s]) => (s === null ? null : text(s)!.replace(/ /g, ''))),
  Switch: fn(2, Infinity, ([source, def, ...pairs]) => {
    if (pairs.length % 2 !== 0) throw new ExpressionError('Switch takes keys and values in pairs');
    const key = text(source) ?? ''; // null matches the key ""
    for (let i = 0; i < pairs.length; i += 2) if ((text(pairs[i]) ?? '') === key) return pairs[i + 1];
    return def ?? null;
  }),
  ToLower: fn(1, 2, ([s, culture]) => (s === null ? null : culture ? text(s)!.toLocaleLowerCase(text(culture)!) : text(s)!.toLowerCase())),
  ToUpper: fn(1, 2, ([s, culture]) => (s === null ? null : culture ? text(s)!.toLocaleUpperCase(text(culture)!) : text(s)!.toUpperCase())),
  Word: fn(3, 3, ([s, n, delims]) => {
    const v = text(s);
    const k = num(n, 'Word WordNumber');
    if (v === null || k < 1) return '';
    const ds = text(delims) ?? ' ';
    const words = v.split(new RegExp(`[${ds.replace(/[\]\\^-]/g, '\\$&')}]`)).filter((w) => w !== '');
    return words[k - 1] ?? '';
  }),
});

export const FUNCTION_NAMES: ReadonlySet<string> = new Set(Object.keys(FUNCTIONS));

/** A stable fingerprint of a value (used by the sync state file). */
export const fingerprint = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 16);
