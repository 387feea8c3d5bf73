// Validate-only writes: the request runs in full (every rule, permission, uniqueness and
// reference check, inside its transaction) and the transaction is then rolled back, so
// nothing is stored and no audit record is written. A client asks with the RFC 7240
// preference `Prefer: validate-only`; the answer carries `Preference-Applied: validate-only`.
// This is how a provisioning pilot test learns what the target would answer.
import { writesInTransaction, type Repository, type Store } from '../store/contract.ts';

class Rollback extends Error {
  constructor(readonly result: unknown) {
    super('validate-only: rolled back');
  }
}

/** `store` with every transaction rolled back after it ran to the end; its result is kept. */
export function rollbackStore(store: Store): Store {
  const rolledBack: Store = {
    ...store,
    async transaction<T>(fn: (tx: Repository) => Promise<T>): Promise<T> {
      try {
        await store.transaction(async (tx) => {
          throw new Rollback(await fn(tx));
        });
      } catch (e) {
        if (e instanceof Rollback) return e.result as T;
        throw e;
      }
      throw new Error('unreachable: a validate-only transaction always rolls back');
    },
  };
  // Writes atomic on their own: here inside a transaction, so that they are rolled back too.
  return Object.assign(rolledBack, writesInTransaction(rolledBack));
}

/** Whether a Prefer header (RFC 7240: a list of preferences) asks for validate-only. */
export function prefersValidateOnly(prefer: string | string[] | undefined): boolean {
  if (prefer === undefined) return false;
  return [prefer].flat().join(',').split(',').some((p) => p.trim().split(';')[0].trim().toLowerCase() === 'validate-only');
}

/** A write that asks for validate-only: a read has nothing to validate, so its preference means nothing. */
export function isValidateOnlyWrite(method: string, prefer: string | string[] | undefined): boolean {
  return method !== 'GET' && method !== 'HEAD' && prefersValidateOnly(prefer);
}
