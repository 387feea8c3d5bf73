// The SQLite spelling of the shared schema.
import { migrations, SQLITE_DDL } from '../sql/migrations.ts';

export type { Migration } from '../sql/migrations.ts';
export const SQLITE_MIGRATIONS = migrations(SQLITE_DDL);
