// A query at the root of the SCIM API (RFC 7644 3.4.2.1, `GET /?filter=` and `POST /.search`):
// every resource type the caller may read, Users first and then Groups, each in its own order,
// paged as one list. A filter that names an attribute one type does not have selects nothing
// of that type; one that no type can answer is refused as it would be for a single type.
// Root queries page by index only: a cursor names a position in one type's order, and a list
// that runs through two orders has no single position to name.
import { can, divisionsWith, SCIM_PERMISSIONS } from '../auth/permissions.ts';
import { listResponse, parseListQuery, ScimError, scimErrors, type JsonObject, type ListResponse, type RawListParams } from '../scim/index.ts';
import type { CallContext } from './context.ts';
import type { GroupService } from './groups.ts';
import type { UserService } from './users.ts';

interface Lister {
  readonly type: 'User' | 'Group';
  list(ctx: CallContext, params: RawListParams): Promise<ListResponse<JsonObject>>;
}

export async function searchAll(ctx: CallContext, users: UserService, groups: GroupService, params: RawListParams): Promise<ListResponse<JsonObject>> {
  const readable: Lister[] = [];
  const userDivisions = divisionsWith(ctx.principal, SCIM_PERMISSIONS.userView);
  if (userDivisions === '*' || userDivisions.length > 0) readable.push({ type: 'User', list: (c, p) => users.list(c, p) });
  if (can(ctx.principal, SCIM_PERMISSIONS.groupEdit)) readable.push({ type: 'Group', list: (c, p) => groups.list(c, p) });
  if (readable.length === 0) throw scimErrors.forbidden('This client may read neither users nor groups');
  if (params.cursor !== undefined) throw scimErrors.invalidValue('Queries at the root page by startIndex, not by cursor: page by cursor on /Users or /Groups (RFC 9865)');

  // Which types can answer this query at all (the filter, sort and attributes bind to them).
  const answerable: Lister[] = [];
  let refusal: ScimError | undefined;
  for (const t of readable) {
    try {
      parseListQuery(ctx.registry, ctx.registry.resourceType(t.type)!, params);
      answerable.push(t);
    } catch (e) {
      if (!(e instanceof ScimError)) throw e;
      refusal ??= e;
    }
  }
  if (answerable.length === 0) throw refusal!;

  const paging = parseListQuery(ctx.registry, ctx.registry.resourceType('User')!, { startIndex: params.startIndex, count: params.count });
  let skip = paging.startIndex - 1;
  let room = paging.count;
  let total = 0;
  const resources: JsonObject[] = [];
  for (const t of answerable) {
    const page = await t.list(ctx, { ...params, startIndex: String(skip + 1), count: String(room) });
    total += page.totalResults;
    resources.push(...page.Resources);
    room -= page.Resources.length;
    skip = Math.max(0, skip - page.totalResults);
  }
  return listResponse(resources, total, paging.startIndex);
}
