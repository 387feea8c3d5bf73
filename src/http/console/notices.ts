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
  'webhook-test-sent': 'Test event sent: the receiver took it (see the delivery log).',
  'webhook-retrying': 'The failing event is being sent again now.',
  'webhook-updated': 'Webhook saved.',
  'webhook-deleted': 'Webhook deleted.',
  'job-created': 'Job created: stopped, in pilot. Test the connection, provision one user on demand, then start it.',
  'job-start': 'Provisioning started: a full cycle runs now, then changes are pushed as they happen.',
  'job-stop': 'Provisioning stopped.',
  'job-restart': 'Restarted: the job compares every user with the target again now.',
  'job-updated': 'Job saved.',
  'job-mappings-saved': 'Mappings saved: the next cycle uses them (a full reconciliation applies them to every user).',
  'job-connected': 'Test connection succeeded: the target answered a user search.',
  'job-on-demand': 'Provisioned on demand: each request and the target\'s answer are below, and in the provisioning log.',
  'set-subscribed': 'Subscribed: Security Event Tokens are signed with this organization\'s key; the receiver verifies them with the keys at the subscription\'s JWKS URL.',
} as const;

export type NoticeCode = keyof typeof NOTICES;
/** What a form sent, to put back into it when its change is refused (never a password or secret). */
export type FormInput = Readonly<Record<string, string | readonly string[]>>;
export type Outcome = { readonly ok: NoticeCode } | { readonly error: string; readonly form?: FormInput };
/** A notice as a page shows it, with the input of the refused form. */
export type Notice = NonNullable<PageOptions['notice']> & { readonly form?: FormInput };

// A credential's field is named for it (password, clientSecret, token); accessTokenValiditySeconds is not one.
const KEPT_INPUT = /^(?!_csrf$|.*(?:password|secret|token)$).+$/i;
/** The fields of a refused form worth putting back: bounded, and never a credential. */
export function keptInput(form: Readonly<Record<string, string | readonly string[] | undefined>>): FormInput {
  const out: Record<string, string | readonly string[]> = {};
  for (const [k, v] of Object.entries(form)) if (v !== undefined && KEPT_INPUT.test(k)) out[k] = Array.isArray(v) ? v.slice(0, 100).map((x) => x.slice(0, 1000)) : String(v).slice(0, 1000);
  return out;
}

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
    const sealed = await this.sealer.sealFor(orgId, { m: outcome.error.slice(0, MAX_ERROR_CHARS), ...(outcome.form ? { f: outcome.form } : {}) }, ERROR_NOTICE_SECONDS, this.now());
    return new URLSearchParams({ error: sealed }).toString();
  }

  /** The notice a page's query carries; nothing for codes it does not know or errors it did not seal. */
  async read(orgId: string | undefined, query: Record<string, unknown>): Promise<Notice | undefined> {
    if (isCode(query.ok)) return { kind: 'ok', text: NOTICES[query.ok] };
    if (orgId === undefined || typeof query.error !== 'string') return undefined;
    const opened = await this.sealer.openFresh(orgId, query.error, this.now());
    const body = typeof opened === 'object' ? (opened.value as { m?: unknown; f?: unknown } | null) : undefined;
    if (!body || typeof body.m !== 'string') return undefined;
    return { kind: 'error', text: body.m, ...(typeof body.f === 'object' && body.f !== null ? { form: body.f as FormInput } : {}) };
  }
}
