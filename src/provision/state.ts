// The incremental-cycle state file: what was last pushed, per source object.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { emptyState, type SyncState } from './sync.ts';

export function loadState(path: string | undefined): SyncState {
  if (!path || !existsSync(path)) return emptyState();
  const s = JSON.parse(readFileSync(path, 'utf8')) as SyncState;
  if (s.version !== 1 || typeof s.users !== 'object' || typeof s.groups !== 'object') throw new Error(`${path}: not a Scimitar sync state file`);
  return s;
}

/** Written atomically (temp file + rename), so a crash never leaves half a state. */
export function saveState(path: string, state: SyncState): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(state));
  renameSync(`${path}.tmp`, path);
}
