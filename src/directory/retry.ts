// Optimistic versioning, the client's side of it: a read-modify-write that lost the race
// starts again from a fresh read, so two nodes writing one resource never lose a write
// silently and the client sees no spurious error. With If-Match the client chose the
// version, so a conflict is reported instead.
import { scimErrors } from '../scim/index.ts';

/** Another request updated the resource between our read and our write. */
export class VersionConflict extends Error {}

const MAX_ATTEMPTS = 10;

// Jittered, growing pauses so that racing writers stop colliding in lock step.
const pause = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));

export async function withRetry<T>(ifMatch: string | undefined, what: string, attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof VersionConflict)) throw e;
      if (ifMatch !== undefined || i >= MAX_ATTEMPTS) throw scimErrors.invalidVers(`The ${what} was changed by another request meanwhile; read it again`);
      await pause(i);
    }
  }
}
