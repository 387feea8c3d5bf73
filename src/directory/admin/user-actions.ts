// What the administration API (and so the CLI and the console) may do to a user besides
// reading it: disable or enable it and delete it. Each runs through the SCIM user service,
// so that the permission checks per division, the rules and the audit record are the ones a
// SCIM client gets; only the error shape differs (the route's).
import { PATCH_OP_SCHEMA, scimErrors, type Registry } from '../../scim/index.ts';
import type { UserService } from '../users.ts';
import { body, oneOf, scimContextOf, type AdminContext } from './context.ts';
import type { UserReader, UserEntity } from './users-audits.ts';


export class UserActions {
  constructor(
    private readonly users: UserService,
    private readonly reader: UserReader,
    private readonly registries: Readonly<Record<string, Registry>>,
  ) {}

  /** `{"state": "inactive"}` disables, `"active"` enables (SCIM `active`). */
  async setState(ctx: AdminContext, id: string, input: unknown): Promise<UserEntity> {
    const b = body(input);
    if (b.state === undefined) throw scimErrors.badRequest('"state" is required: "active" or "inactive"');
    const state = oneOf(b, 'state', ['active', 'inactive'] as const, 'active');
    await this.reader.get(ctx, id); // 404 for a user the caller may not see, before any rule speaks
    await this.users.patch(scimContextOf(ctx, this.registries), id, { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: state === 'active' }] }, undefined);
    return this.reader.get(ctx, id);
  }

  async delete(ctx: AdminContext, id: string): Promise<void> {
    await this.reader.get(ctx, id);
    await this.users.delete(scimContextOf(ctx, this.registries), id, undefined);
  }
}
