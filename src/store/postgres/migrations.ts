// The PostgreSQL spelling of the shared schema.
import { migrations, POSTGRES_DDL } from '../sql/migrations.ts';

export const POSTGRES_MIGRATIONS = migrations(POSTGRES_DDL);
