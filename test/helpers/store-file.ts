// A SQLite store file in a fresh folder, for tests that close a store, change its file (an
// earlier version's layout) and open it again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs `body` with the path of a store file in a fresh folder, removed after it. */
export async function inStoreFile(body: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'scimitar-upgrade-'));
  try {
    await body(join(dir, 'store.db'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
