// The Repository contract in portable SQL, composed of one module per aggregate. SQLite and
// PostgreSQL both run it: each gives its executor (placeholders, error codes, transactions)
// and names what its SQL can do beyond the common subset once, in `DialectFeatures`.
import type { Repository } from '../contract.ts';
import type { DialectFeatures, QueryLimits, SqlExecutor } from './executor.ts';
import { consoleRepository } from './console.ts';
import { groupRepository } from './groups.ts';
import { tenancyRepository } from './tenancy.ts';
import { trailRepository } from './trail.ts';
import { userRepository } from './users.ts';
import { webhookRepository } from './webhooks.ts';
import { provisioningRepository } from './provisioning.ts';

export function createSqlRepository(db: SqlExecutor, limits: QueryLimits, features: DialectFeatures): Repository {
  return {
    ...tenancyRepository(db, features),
    ...userRepository(db, limits, features),
    ...groupRepository(db, limits, features),
    ...trailRepository(db, features),
    ...consoleRepository(db),
    ...webhookRepository(db, features),
    ...provisioningRepository(db, features),
  };
}
