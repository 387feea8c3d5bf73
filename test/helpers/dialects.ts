// The stores every dual-store test runs against, in one table: SQLite always, PostgreSQL when
// a server answers (skipped loudly otherwise, and a failure under TEST_REQUIRE_POSTGRES=1:
// see postgres.ts). A test file loops over DIALECTS and passes `skip` to its describe/test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/contract.ts';
import { openTestPostgres, postgresSkipReason, testLimits, untilRunningTransactionsEnd } from './postgres.ts';

export type DialectName = 'sqlite' | 'postgres';

export interface Dialect {
  readonly name: DialectName;
  /** Why this dialect's tests do not run here; undefined when they do. */
  readonly skip: string | undefined;
  /** A fresh, empty store of this dialect, and its removal. */
  open(options?: { readonly maxCandidates?: number; readonly preparedStatements?: number }): Promise<{ store: Store; cleanup(): Promise<void> }>;
  /**
   * Resolves once the event feed shows every change committed before the call: at once on
   * SQLite; on PostgreSQL when the transactions running now (other test files') have ended.
   */
  feedCaughtUp(): Promise<void>;
}

export const DIALECTS: readonly Dialect[] = [
  {
    name: 'sqlite',
    skip: undefined,
    async open(options = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'scimitar-store-'));
      const store = openSqliteStore({ path: join(dir, 's.db'), ...testLimits(options) });
      return {
        store,
        async cleanup() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
    feedCaughtUp: async () => undefined,
  },
  {
    name: 'postgres',
    skip: await postgresSkipReason(),
    open: (options = {}) => openTestPostgres(options),
    feedCaughtUp: () => untilRunningTransactionsEnd(),
  },
];
