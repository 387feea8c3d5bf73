// The source directory: users and groups as Microsoft Graph returns them (a JSON object with
// a `value` array, or a plain array), users also from CSV. A record with a missing or
// wrong-typed id is reported and skipped, never fatal.
import { parse as parseCsvText } from 'csv-parse/sync';
import { InputFileError, parseJsonText, readJsonFile, readText } from './input-file.ts';

export interface SourceUser {
  readonly id: string;
  /** Graph attributes plus the computed IsSoftDeleted. */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly managerId?: string;
  readonly softDeleted: boolean;
}

export interface SourceGroup {
  readonly id: string;
  readonly displayName: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly memberIds: readonly string[];
}

export interface SourceProblem {
  readonly file: string;
  readonly index: number;
  readonly reason: string;
}

export interface Directory {
  readonly users: readonly SourceUser[];
  readonly groups: readonly SourceGroup[];
  readonly problems: readonly SourceProblem[];
}

function records(json: unknown, file: string): unknown[] {
  if (Array.isArray(json)) return json;
  if (typeof json === 'object' && json !== null && Array.isArray((json as Record<string, unknown>).value)) return (json as { value: unknown[] }).value;
  throw new Error(`${file}: expected a JSON array or a Graph response with a "value" array`);
}

/** RFC 4180 CSV with a header row. */
/**
 * A CSV export as people make them (csv-parse): a byte-order mark, `,` `;` or tab as the
 * delimiter (read off the header line), quoted fields with newlines and doubled quotes.
 * The first row names the columns.
 */
export function parseCsv(text: string, name = 'CSV'): Record<string, string>[] {
  const body = text.replace(/^\uFEFF/, '');
  const header = body.split(/\r?\n/, 1)[0] ?? '';
  const unquoted = header.replace(/"[^"]*"/g, '');
  const delimiter = [',', ';', '\t'].map((d) => [d, unquoted.split(d).length] as const).sort((a, b) => b[1] - a[1])[0][0];
  try {
    const rows = parseCsvText(body, { columns: (h: string[]) => h.map((x) => x.trim()), delimiter, skip_empty_lines: true, relax_column_count: true, bom: true }) as Record<string, string>[];
    return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v ?? ''])));
  } catch (e) {
    const err = e as { lines?: number; message: string };
    throw new InputFileError(`${name}${err.lines ? `:${err.lines}` : ''}: not valid CSV: ${err.message.replace(/^Invalid Record Length: /, '')}`);
  }
}

function softDeleted(u: Record<string, unknown>): boolean {
  const flag = u.IsSoftDeleted ?? u.isSoftDeleted;
  if (typeof flag === 'boolean') return flag;
  if (typeof flag === 'string') return flag.toLowerCase() === 'true';
  return typeof u.deletedDateTime === 'string' && u.deletedDateTime !== '';
}

function toUser(raw: unknown, index: number, file: string, problems: SourceProblem[]): SourceUser | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({ file, index, reason: 'not an object' });
    return undefined;
  }
  const u = raw as Record<string, unknown>;
  const id = u.id ?? u.objectId;
  if (typeof id !== 'string' || id === '') {
    problems.push({ file, index, reason: 'missing or non-string "id"' });
    return undefined;
  }
  if (u.userPrincipalName !== undefined && typeof u.userPrincipalName !== 'string') {
    problems.push({ file, index, reason: `"userPrincipalName" of ${id} is not a string` });
    return undefined;
  }
  const m = u.manager;
  const managerId = typeof m === 'string' && m !== '' ? m : typeof m === 'object' && m !== null && typeof (m as Record<string, unknown>).id === 'string' ? ((m as Record<string, unknown>).id as string) : undefined;
  const deleted = softDeleted(u);
  return Object.freeze({ id, attributes: Object.freeze({ ...u, objectId: id, IsSoftDeleted: deleted }), managerId, softDeleted: deleted });
}

export function readDirectory(options: { users: string; groups?: string }): Directory {
  const usersText = readText(options.users);
  const rawUsers = options.users.toLowerCase().endsWith('.csv') ? parseCsv(usersText, options.users) : records(parseJsonText(usersText, options.users), options.users);
  const rawGroups = options.groups ? records(readJsonFile(options.groups), options.groups) : [];
  return directoryFromRecords(rawUsers, rawGroups, { users: options.users, groups: options.groups ?? 'groups' });
}

/** Users and groups as Graph returns them (groups with `members: [{id}]`), from files or from the Graph connector. */
export function directoryFromRecords(rawUsers: readonly unknown[], rawGroups: readonly unknown[], names: { users: string; groups: string }): Directory {
  const problems: SourceProblem[] = [];
  const users = rawUsers.map((r, i) => toUser(r, i, names.users, problems)).filter((u): u is SourceUser => u !== undefined);
  const groups: SourceGroup[] = [];
  rawGroups.forEach((raw, index) => {
    const g = raw as Record<string, unknown>;
    if (typeof g !== 'object' || g === null || typeof g.id !== 'string' || typeof g.displayName !== 'string') {
      problems.push({ file: names.groups, index, reason: 'a group needs a string "id" and "displayName"' });
      return;
    }
    const members = Array.isArray(g.members) ? g.members : [];
    const memberIds = members.map((m) => (typeof m === 'string' ? m : (m as Record<string, unknown>)?.id)).filter((x): x is string => typeof x === 'string');
    groups.push(Object.freeze({ id: g.id, displayName: g.displayName, attributes: Object.freeze({ ...g }), memberIds: Object.freeze(memberIds) }));
  });
  return { users, groups, problems };
}
