// The notice a console page shows after a redirect (POST-redirect-GET). The redirect's query
// carries no text of its own, so a link cannot make the console's own alert say anything
// (content spoofing): a success is a code from NOTICES, and a refusal's message (which names
// what was refused) travels sealed to the organization (sealed.ts) and expires.
import type { Store } from '../../store/contract.ts';
import { Sealer } from '../../directory/sealed.ts';
import type { PageOptions } from './layout.ts';

export const NOTICES = {
  'welcome': 'Welcome: you are this organization\'s administrator.',
  'signed-out': 'Signed out.',
  'user-enabled': 'Enabled.',
  'user-disabled': 'Disabled.',
  'user-deleted': 'User deleted.',
  'password-set': 'Password set; the user\'s sessions were ended.',
  'grants-saved': 'Console roles saved.',
  'group-created': 'Group created.',
  'member-added': 'Member added.',
  'member-removed': 'Member removed.',
  'group-deleted': 'Group deleted.',
  'division-created': 'Division created.',
  'division-renamed': 'Division renamed.',
  'division-deleted': 'Division deleted.',
  'role-created': 'Role created.',
  'role-deleted': 'Role deleted.',
  'client-updated': 'Client updated.',
  'client-deleted': 'Client deleted.',
  'federation-saved': 'Federation saved: the client accepts JWTs from that issuer and subject.',
  'federation-removed': 'Federation removed: the client no longer accepts JWTs.',
  'secret-token-revoked': 'Secret token revoked: whoever uses it is refused from now on.',
} as const;

export type NoticeCode = keyof typeof NOTICES;
export type Outcome = { readonly ok: NoticeCode } | { readonly error: string };

/** Long enough to follow a redirect, short enough that an old link shows nothing. */
export const ERROR_NOTICE_SECONDS = 300;
const MAX_ERROR_CHARS = 500;

const isCode = (v: unknown): v is NoticeCode => typeof v === 'string' && Object.hasOwn(NOTICES, v);

export class ConsoleNotices {
  private readonly sealer: Sealer;

  constructor(
    store: Store,
    private readonly now: () => number = Date.now,
  ) {
    this.sealer = new Sealer(store, 'console-notice');
  }

  /** The query string that carries `outcome` to the page the redirect leads to. */
  async query(orgId: string, outcome: Outcome): Promise<string> {
    if ('ok' in outcome) return new URLSearchParams({ ok: outcome.ok }).toString();
    const sealed = await this.sealer.sealFor(orgId, outcome.error.slice(0, MAX_ERROR_CHARS), ERROR_NOTICE_SECONDS, this.now());
    return new URLSearchParams({ error: sealed }).toString();
  }

  /** The notice a page's query carries; nothing for codes it does not know or errors it did not seal. */
  async read(orgId: string | undefined, query: Record<string, unknown>): Promise<PageOptions['notice']> {
    if (isCode(query.ok)) return { kind: 'ok', text: NOTICES[query.ok] };
    if (orgId === undefined || typeof query.error !== 'string') return undefined;
    const opened = await this.sealer.openFresh(orgId, query.error, this.now());
    if (typeof opened !== 'object' || typeof opened.value !== 'string') return undefined;
    return { kind: 'error', text: opened.value };
  }
}
