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
  | { readonly kind: 'secretToken'; readonly clientId: string; readonly clientName: string; readonly token: string; readonly expires: string };

interface Sealed {
  readonly r: Revealed;
  /** The session it was made for (digest). */
  readonly s: string;
  /** Expiry, epoch seconds. */
  readonly e: number;
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
    const body: Sealed = { r: revealed, s: sessionHash, e: Math.floor(this.now() / 1000) + REVEAL_SECONDS };
    return this.sealer.seal(orgId, body);
  }

  /** What the cookie reveals to this session, or undefined (none, another session's, expired). */
  async open(orgId: string, sessionHash: string, cookie: string | undefined): Promise<Revealed | undefined> {
    if (!cookie) return undefined;
    const body = (await this.sealer.open(orgId, cookie)) as Partial<Sealed> | undefined;
    if (!body || typeof body !== 'object' || body.s !== sessionHash || typeof body.e !== 'number' || body.e * 1000 < this.now()) return undefined;
    return body.r;
  }
}
