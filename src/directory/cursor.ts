// List cursors (RFC 9865): opaque to clients (sealed, see sealed.ts), bound to the
// organization and to the query they page through, and valid for CURSOR_TIMEOUT_SECONDS. A
// cursor names a position in the store's order and a direction, so a walk sees every resource that existed throughout it exactly once, whatever is created
// or deleted meanwhile, and every page costs the same (keyset, not OFFSET).
import { createHash } from 'node:crypto';
import { cursorListResponse, scimErrors, type JsonObject, type ListResponse, type RawListParams } from '../scim/index.ts';
import type { Keyset, Page, Store } from '../store/contract.ts';
import { Sealer } from './sealed.ts';

export const CURSOR_TIMEOUT_SECONDS = 3600;

interface CursorBody {
  /** Position in the store's order. */
  readonly p: number;
  /** 'n': the page after p; 'b': the page before p. */
  readonly d: 'n' | 'b';
  /** Digest of the resource type and query. */
  readonly q: string;
}

function isCursorBody(b: unknown): b is CursorBody {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return false;
  const o = b as Record<string, unknown>;
  return Number.isSafeInteger(o.p) && (o.p as number) >= 0 && (o.d === 'n' || o.d === 'b') && typeof o.q === 'string';
}

/** What makes two list requests "the same query" for a cursor: everything but paging and projection. */
function queryDigest(resourceType: string, params: RawListParams): string {
  const key = JSON.stringify([resourceType, params.filter ?? null, params.sortBy ?? null, params.sortOrder ?? null]);
  return createHash('sha256').update(key).digest('base64url').slice(0, 22);
}

export class CursorCodec {
  private readonly sealer: Sealer;

  constructor(
    store: Store,
    private readonly now: () => number = Date.now,
  ) {
    this.sealer = new Sealer(store, 'scim-cursor');
  }

  async encode(orgId: string, resourceType: string, params: RawListParams, position: number, direction: 'n' | 'b'): Promise<string> {
    const body: CursorBody = { p: position, d: direction, q: queryDigest(resourceType, params) };
    return this.sealer.sealFor(orgId, body, CURSOR_TIMEOUT_SECONDS, this.now());
  }

  /** The keyset a cursor stands for; '' is the first page (RFC 9865: an empty cursor starts a walk). */
  async decode(orgId: string, resourceType: string, params: RawListParams, cursor: string): Promise<Keyset> {
    if (cursor === '') return {};
    const opened = await this.sealer.openFresh(orgId, cursor, this.now());
    if (opened === 'expired') throw scimErrors.expiredCursor(`The cursor has expired (cursors live ${CURSOR_TIMEOUT_SECONDS} s); start again with cursor=`);
    const body = opened?.value;
    // Sealed is not well-formed: a key that ever sealed another shape must not reach the store.
    if (!isCursorBody(body)) throw scimErrors.invalidCursor('The cursor is not one this server issued for this organization');
    if (body.q !== queryDigest(resourceType, params)) throw scimErrors.invalidCursor('The cursor belongs to another query: keep filter and sorting the same while paging');
    return body.d === 'b' ? { before: body.p } : { after: body.p };
  }
}

/**
 * A list request in cursor mode (RFC 9865): `cursor` instead of `startIndex`, in the store's
 * order (no `sortBy`), answered with nextCursor/previousCursor where more lies beyond.
 */
export async function listWithCursor<T>(
  codec: CursorCodec,
  orgId: string,
  resourceType: string,
  params: RawListParams,
  /** The page size as parseListQuery normalised it (RFC 7644 3.4.2.4). */
  count: number,
  run: (keyset: Keyset, count: number) => Promise<Page<T>>,
  render: (items: readonly T[]) => Promise<JsonObject[]>,
): Promise<ListResponse<JsonObject>> {
  if (params.startIndex !== undefined) throw scimErrors.invalidValue('Use either "cursor" or "startIndex", not both (RFC 9865)');
  if (params.sortBy !== undefined) throw scimErrors.invalidValue('Cursor pages follow the server\'s order; "sortBy" works with startIndex paging');
  const keyset = await codec.decode(orgId, resourceType, params, params.cursor!);
  const page = await run(keyset, count);
  const k = page.keyset!;
  const next = k.moreAfter && k.last !== undefined ? await codec.encode(orgId, resourceType, params, k.last, 'n')
    : k.moreAfter && keyset.before !== undefined ? await codec.encode(orgId, resourceType, params, keyset.before - 1, 'n') : undefined;
  const previous = k.moreBefore && k.first !== undefined ? await codec.encode(orgId, resourceType, params, k.first, 'b')
    : k.moreBefore && keyset.after !== undefined ? await codec.encode(orgId, resourceType, params, keyset.after + 1, 'b') : undefined;
  return cursorListResponse(await render(page.items), page.total, next, previous);
}
