// Dates as the expression language sees them: instants in UTC, printed the way Microsoft's
// examples print them (`M/d/yyyy h:mm:ss tt`), parsed from ISO 8601 and US forms, and
// formatted/parsed with .NET custom format strings for FormatDateTime.
import { ExpressionError } from './ast.ts';

export class DateValue {
  constructor(readonly ms: number) {}

  toString(): string {
    return formatDotNet(new Date(this.ms), 'M/d/yyyy h:mm:ss tt');
  }
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const US = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?)?$/i;

function offsetMinutes(z: string | undefined): number {
  if (!z || z.toUpperCase() === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(z)!;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** CDate: ISO 8601 (with or without time and offset) or M/d/yyyy [h:mm[:ss] [AM|PM]]; no offset means UTC. */
export function parseDate(s: string): DateValue {
  const t = s.trim();
  let m = ISO.exec(t);
  if (m) {
    const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), Math.round(Number(m[7] ?? 0) * 1000));
    return new DateValue(ms - offsetMinutes(m[8]) * 60000);
  }
  m = US.exec(t);
  if (m) {
    let h = +(m[4] ?? 0);
    if (m[7]) h = (h % 12) + (m[7].toUpperCase() === 'PM' ? 12 : 0);
    return new DateValue(Date.UTC(+m[3], +m[1] - 1, +m[2], h, +(m[5] ?? 0), +(m[6] ?? 0)));
  }
  const fallback = Date.parse(t);
  if (Number.isNaN(fallback)) throw new ExpressionError(`"${s}" is not a date`);
  return new DateValue(fallback);
}

type Part = { kind: 'token'; value: string } | { kind: 'literal'; value: string };

/** Splits a .NET custom date format into specifiers and literals. */
function formatParts(format: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c === "'" || c === '"') {
      const end = format.indexOf(c, i + 1);
      parts.push({ kind: 'literal', value: format.slice(i + 1, end < 0 ? format.length : end) });
      i = end < 0 ? format.length : end + 1;
    } else if (c === '\\') {
      parts.push({ kind: 'literal', value: format[i + 1] ?? '' });
      i += 2;
    } else if ('yMdHhmsfFtKz'.includes(c)) {
      let j = i;
      while (format[j] === c) j++;
      parts.push({ kind: 'token', value: format.slice(i, j) });
      i = j;
    } else {
      parts.push({ kind: 'literal', value: c });
      i++;
    }
  }
  return parts;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

export function formatDotNet(d: Date, format: string): string {
  let out = '';
  for (const p of formatParts(format)) {
    if (p.kind === 'literal') {
      out += p.value;
      continue;
    }
    const t = p.value;
    const h = d.getUTCHours();
    switch (t[0]) {
      case 'y': out += t.length === 2 ? pad(d.getUTCFullYear() % 100, 2) : pad(d.getUTCFullYear(), Math.max(t.length, 1)); break;
      case 'M': out += pad(d.getUTCMonth() + 1, Math.min(t.length, 2)); break;
      case 'd': out += pad(d.getUTCDate(), Math.min(t.length, 2)); break;
      case 'H': out += pad(h, Math.min(t.length, 2)); break;
      case 'h': out += pad(h % 12 === 0 ? 12 : h % 12, Math.min(t.length, 2)); break;
      case 'm': out += pad(d.getUTCMinutes(), Math.min(t.length, 2)); break;
      case 's': out += pad(d.getUTCSeconds(), Math.min(t.length, 2)); break;
      case 'f':
      case 'F': {
        const frac = pad(d.getUTCMilliseconds(), 3).padEnd(7, '0').slice(0, t.length);
        out += t[0] === 'F' ? frac.replace(/0+$/, '') : frac;
        break;
      }
      case 't': out += (h < 12 ? 'AM' : 'PM').slice(0, t.length === 1 ? 1 : 2); break;
      case 'K':
      case 'z': out += t === 'z' ? '+0' : t === 'zz' ? '+00' : t === 'K' ? 'Z' : '+00:00'; break;
    }
  }
  return out;
}

/** Parses `s` with a .NET custom format (exact, as DateTime.ParseExact). */
export function parseDotNet(s: string, format: string): DateValue {
  let i = 0;
  let [y, mo, d, h, mi, sec, ms, pm, offset] = [1, 1, 1, 0, 0, 0, 0, undefined as boolean | undefined, 0];
  const digits = (min: number, max: number) => {
    const m = new RegExp(`^\\d{${min},${max}}`).exec(s.slice(i));
    if (!m) throw new ExpressionError(`"${s}" does not match the format "${format}"`);
    i += m[0].length;
    return m[0];
  };
  for (const p of formatParts(format)) {
    if (p.kind === 'literal') {
      if (s.slice(i, i + p.value.length) !== p.value) throw new ExpressionError(`"${s}" does not match the format "${format}"`);
      i += p.value.length;
      continue;
    }
    const t = p.value;
    const n = t.length;
    switch (t[0]) {
      case 'y': y = Number(digits(n === 2 ? 2 : n, n <= 2 ? 2 : 4)); if (n === 2) y += 2000; break;
      case 'M': mo = Number(digits(n === 1 ? 1 : 2, 2)); break;
      case 'd': d = Number(digits(n === 1 ? 1 : 2, 2)); break;
      case 'H':
      case 'h': h = Number(digits(n === 1 ? 1 : 2, 2)); break;
      case 'm': mi = Number(digits(n === 1 ? 1 : 2, 2)); break;
      case 's': sec = Number(digits(n === 1 ? 1 : 2, 2)); break;
      case 'f':
      case 'F': { const f = digits(t[0] === 'F' ? 0 : n, n); ms = Math.round(Number(`0.${f || '0'}`) * 1000); break; }
      case 't': { const m = /^(AM|PM|A|P)/i.exec(s.slice(i)); if (!m) throw new ExpressionError(`"${s}" does not match the format "${format}"`); pm = m[0][0].toUpperCase() === 'P'; i += m[0].length; break; }
      case 'K':
      case 'z': { const m = /^(Z|[+-]\d{2}(:?\d{2})?)/i.exec(s.slice(i)); if (m) { offset = offsetMinutes(m[0].length === 3 ? `${m[0]}:00` : m[0]); i += m[0].length; } break; }
    }
  }
  if (i !== s.length) throw new ExpressionError(`"${s}" does not match the format "${format}"`);
  if (pm !== undefined) h = (h % 12) + (pm ? 12 : 0);
  return new DateValue(Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offset * 60000);
}

const DAY = 86_400_000;

export function dateAdd(interval: string, n: number, date: DateValue): DateValue {
  const d = new Date(date.ms);
  switch (interval) {
    case 'yyyy': d.setUTCFullYear(d.getUTCFullYear() + n); break;
    case 'q': d.setUTCMonth(d.getUTCMonth() + 3 * n); break;
    case 'm': d.setUTCMonth(d.getUTCMonth() + n); break;
    case 'y':
    case 'd':
    case 'w': return new DateValue(date.ms + n * DAY);
    case 'ww': return new DateValue(date.ms + 7 * n * DAY);
    case 'h': return new DateValue(date.ms + n * 3_600_000);
    case 'n': return new DateValue(date.ms + n * 60_000);
    case 's': return new DateValue(date.ms + n * 1000);
    default: throw new ExpressionError(`Unknown DateAdd interval "${interval}" (yyyy, q, m, d, ww, h, n, s)`);
  }
  return new DateValue(d.getTime());
}

/** VB DateDiff: calendar boundaries for yyyy/m/ww, truncated totals for d/h/n/s. */
export function dateDiff(interval: string, a: DateValue, b: DateValue): number {
  const x = new Date(a.ms);
  const y = new Date(b.ms);
  const trunc = (v: number) => Math.trunc(v);
  switch (interval) {
    case 'yyyy': return y.getUTCFullYear() - x.getUTCFullYear();
    case 'q': return (y.getUTCFullYear() - x.getUTCFullYear()) * 4 + Math.floor(y.getUTCMonth() / 3) - Math.floor(x.getUTCMonth() / 3);
    case 'm': return (y.getUTCFullYear() - x.getUTCFullYear()) * 12 + y.getUTCMonth() - x.getUTCMonth();
    case 'd':
    case 'y': return trunc((b.ms - a.ms) / DAY);
    case 'w': return trunc((b.ms - a.ms) / (7 * DAY));
    case 'ww': {
      const sunday = (v: number) => { const dd = new Date(v); dd.setUTCHours(0, 0, 0, 0); return dd.getTime() - dd.getUTCDay() * DAY; };
      return Math.round((sunday(b.ms) - sunday(a.ms)) / (7 * DAY));
    }
    case 'h': return trunc((b.ms - a.ms) / 3_600_000);
    case 'n': return trunc((b.ms - a.ms) / 60_000);
    case 's': return trunc((b.ms - a.ms) / 1000);
    default: throw new ExpressionError(`Unknown DateDiff interval "${interval}" (yyyy, q, m, d, ww, h, n, s)`);
  }
}

// Windows FILETIME: 100-ns ticks since 1601-01-01 UTC.
const EPOCH_DIFF_MS = 11_644_473_600_000;
export const fromFileTime = (ticks: number) => new DateValue(Math.round(ticks / 10_000) - EPOCH_DIFF_MS);
export const toFileTime = (d: DateValue) => (BigInt(d.ms + EPOCH_DIFF_MS) * 10_000n).toString();
