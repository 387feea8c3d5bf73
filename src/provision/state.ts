// The provisioning state: what was last pushed, per source object, in a SQLite file of its
// own (better-sqlite3, the embedded store's driver). Each acknowledged write is recorded as
// it is acknowledged (one small autocommit per write, WAL), so a cycle killed half way
// resumes without repeating the writes that were answered: the next cycle finds those users
// unchanged since their last push and sends nothing for them. The Graph connector's delta
// state (deltaLink and snapshot) is saved once per cycle that ran, only the rows that changed.
import Database from 'better-sqlite3';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import type { GraphDeltaState } from './graph.ts';
import { emptyState, type EscrowEntry, type GroupState, type StateJournal, type SyncState, type UserState } from './sync.ts';

const FORMAT = 'scimitar-provisioning-state';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS users (
  source_id TEXT PRIMARY KEY, target_id TEXT NOT NULL, hash TEXT NOT NULL,
  manager_target_id TEXT, disabled INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS groups (source_id TEXT PRIMARY KEY, target_id TEXT NOT NULL, members TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS graph_users (id TEXT PRIMARY KEY, record TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS escrow (source_id TEXT PRIMARY KEY, failures INTEGER NOT NULL, next_attempt TEXT NOT NULL, reason TEXT NOT NULL) WITHOUT ROWID;
`;

export class StateFileError extends Error {}

export class StateStore implements StateJournal {
  private readonly putUser: Database.Statement;
  private readonly delUser: Database.Statement;
  private readonly putGroup: Database.Statement;

  private constructor(private readonly db: Database.Database) {
    this.putUser = db.prepare('INSERT OR REPLACE INTO users (source_id, target_id, hash, manager_target_id, disabled) VALUES (?, ?, ?, ?, ?)');
    this.delUser = db.prepare('DELETE FROM users WHERE source_id = ?');
    this.putGroup = db.prepare('INSERT OR REPLACE INTO groups (source_id, target_id, members, display_name) VALUES (?, ?, ?, ?)');
  }

  /**
   * Opens (creating when absent) the state at `path`. A JSON state file of an earlier
   * version is imported once; the JSON is kept beside it as `<path>.json-v1`.
   */
  static open(path: string): StateStore {
    const legacy = existsSync(path) ? legacyJson(path) : undefined;
    if (legacy) renameSync(path, `${path}.json-v1`);
    let db: Database.Database;
    try {
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
      // A state made before groups kept the name they were last sent with: the column is added, empty.
      const columns = db.prepare('PRAGMA table_info(groups)').all() as { name: string }[];
      if (!columns.some((c) => c.name === 'display_name')) db.exec('ALTER TABLE groups ADD COLUMN display_name TEXT');
    } catch (e) {
      throw new StateFileError(`${path}: not a Scimitar provisioning state (${(e as Error).message})`);
    }
    const format = db.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get() as string | undefined;
    if (format === undefined) {
      const foreign = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT IN ('meta', 'users', 'groups', 'graph_users', 'escrow')").pluck().get() as number;
      if (foreign > 0) {
        db.close();
        throw new StateFileError(`${path}: a SQLite file, but not a Scimitar provisioning state`);
      }
      db.prepare("INSERT INTO meta (key, value) VALUES ('format', ?), ('version', '1')").run(FORMAT);
    } else if (format !== FORMAT) {
      db.close();
      throw new StateFileError(`${path}: not a Scimitar provisioning state`);
    }
    const store = new StateStore(db);
    if (legacy) store.importState(legacy);
    return store;
  }

  /** The state as the engine works on it (in memory for the cycle). */
  load(): SyncState {
    const state = emptyState();
    for (const r of this.db.prepare('SELECT source_id, target_id, hash, manager_target_id, disabled FROM users').raw().iterate() as IterableIterator<[string, string, string, string | null, number]>) {
      state.users[r[0]] = { targetId: r[1], hash: r[2], ...(r[3] !== null ? { managerTargetId: r[3] } : {}), ...(r[4] ? { disabled: true } : {}) };
    }
    for (const r of this.db.prepare('SELECT source_id, target_id, members, display_name FROM groups').raw().iterate() as IterableIterator<[string, string, string, string | null]>) {
      state.groups[r[0]] = { targetId: r[1], members: JSON.parse(r[2]) as string[], ...(r[3] !== null ? { displayName: r[3] } : {}) };
    }
    for (const r of this.db.prepare('SELECT source_id, failures, next_attempt, reason FROM escrow').raw().iterate() as IterableIterator<[string, number, string, string]>) {
      (state.escrow ??= {})[r[0]] = { failures: r[1], nextAttempt: r[2], reason: r[3] };
    }
    const deltaLink = this.db.prepare("SELECT value FROM meta WHERE key = 'graph_users_delta_link'").pluck().get() as string | undefined;
    if (deltaLink !== undefined) {
      const users: Record<string, Record<string, unknown>> = {};
      for (const r of this.db.prepare('SELECT id, record FROM graph_users').raw().iterate() as IterableIterator<[string, string]>) users[r[0]] = JSON.parse(r[1]) as Record<string, unknown>;
      state.graph = { usersDeltaLink: deltaLink, users };
    }
    return state;
  }

  user(sourceId: string, entry: UserState | undefined): void {
    if (entry) this.putUser.run(sourceId, entry.targetId, entry.hash, entry.managerTargetId ?? null, entry.disabled ? 1 : 0);
    else this.delUser.run(sourceId);
  }

  escrow(sourceId: string, entry: EscrowEntry | undefined): void {
    if (entry) this.db.prepare('INSERT OR REPLACE INTO escrow (source_id, failures, next_attempt, reason) VALUES (?, ?, ?, ?)').run(sourceId, entry.failures, entry.nextAttempt, entry.reason);
    else this.db.prepare('DELETE FROM escrow WHERE source_id = ?').run(sourceId);
  }

  group(sourceId: string, entry: GroupState): void {
    this.putGroup.run(sourceId, entry.targetId, JSON.stringify(entry.members), entry.displayName ?? null);
  }

  /**
   * The Graph delta state after a cycle that ran: the deltaLink, and the snapshot's rows that
   * differ from `previous` (objects are replaced, never changed in place, by the connector).
   */
  saveGraph(next: GraphDeltaState, previous: GraphDeltaState | undefined): void {
    const put = this.db.prepare('INSERT OR REPLACE INTO graph_users (id, record) VALUES (?, ?)');
    const del = this.db.prepare('DELETE FROM graph_users WHERE id = ?');
    this.db.transaction(() => {
      const before = previous?.usersDeltaLink ? previous.users : undefined;
      if (!before) this.db.exec('DELETE FROM graph_users');
      for (const [id, record] of Object.entries(next.users)) if (before?.[id] !== record) put.run(id, JSON.stringify(record));
      if (before) for (const id of Object.keys(before)) if (!(id in next.users)) del.run(id);
      this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('graph_users_delta_link', ?)").run(next.usersDeltaLink ?? '');
    })();
  }

  private importState(s: SyncState): void {
    this.db.transaction(() => {
      for (const [id, e] of Object.entries(s.users)) this.user(id, e);
      for (const [id, e] of Object.entries(s.groups)) this.group(id, e);
      if (s.graph) this.saveGraph(s.graph, undefined);
    })();
  }

  close(): void {
    this.db.close();
  }
}

/** The state without creating a file (a dry run leaves no state behind). */
export function peekState(path: string): SyncState {
  if (!existsSync(path)) return emptyState();
  const legacy = legacyJson(path);
  if (legacy) return legacy;
  const store = StateStore.open(path);
  try {
    return store.load();
  } finally {
    store.close();
  }
}

/** A JSON state file of an earlier version, or undefined when the file is not JSON. */
function legacyJson(path: string): SyncState | undefined {
  const head = readFileSync(path).subarray(0, 16).toString('utf8').trimStart();
  if (!head.startsWith('{')) return undefined;
  let s: SyncState;
  try {
    s = JSON.parse(readFileSync(path, 'utf8')) as SyncState;
  } catch {
    throw new StateFileError(`${path}: not a Scimitar provisioning state`);
  }
  if (s.version !== 1 || typeof s.users !== 'object' || typeof s.groups !== 'object') throw new StateFileError(`${path}: not a Scimitar provisioning state`);
  return s;
}
