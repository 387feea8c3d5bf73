// A secret the console shows once (a new client's secret, a rotated secret, a secret token)
// travels from the form's POST to the page that shows it in a short-lived cookie, sealed to
// the organization and bound to the session (sealed.ts), so that every form is
// POST-redirect-GET: reloading the page that shows the secret neither repeats the action nor
// shows the secret again, and the secret is never in a URL (history, logs, Referer). The
// cookie works on every node (the key is in the store).
import type { Store } from '../../store/contract.ts';
import { Sealer } from '../../directory/sealed.ts';

export const REVEAL_COOKIE = 'scimitar_reveal';
export const REVEAL_PATH = '/console/reveal';
/** Long enough to follow the redirect. */
export const REVEAL_SECONDS = 120;

export type Revealed =
  | { readonly kind: 'client'; readonly title: string; readonly id: string; readonly name: string; readonly secret: string }
  | { readonly kind: 'secretToken'; readonly clientId: string; readonly clientName: string; readonly token: string; readonly expires: string }
  | { readonly kind: 'webhook'; readonly id: string; readonly url: string; readonly secret: string };

interface Sealed {
  readonly r: Revealed;
  /** The session it was made for (digest). */
  readonly s: string;
}

export class Reveals {
  private readonly sealer: Sealer;

  constructor(
    store: Store,
    private readonly now: () => number = Date.now,
  ) {
    this.sealer = new Sealer(store, 'console-reveal');
  }

  seal(orgId: string, sessionHash: string, revealed: Revealed): Promise<string> {
    const body: Sealed = { r: revealed, s: sessionHash };
    return this.sealer.sealFor(orgId, body, REVEAL_SECONDS, this.now());
  }

  /** What the cookie reveals to this session, or undefined (none, another session's, expired). */
  async open(orgId: string, sessionHash: string, cookie: string | undefined): Promise<Revealed | undefined> {
    if (!cookie) return undefined;
    const opened = await this.sealer.openFresh(orgId, cookie, this.now());
    const body = typeof opened === 'object' ? (opened.value as Partial<Sealed> | null) : undefined;
    if (!body || typeof body !== 'object' || body.s !== sessionHash) return undefined;
    return body.r;
  }
}
