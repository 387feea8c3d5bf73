// Paging positions handed to clients (SCIM cursors, audit and activity cursors) are sealed
// with AES-256-GCM (node:crypto): a client can neither change nor read them. Positions are
// store-wide sequences, so a readable one would show one organization how much the others
// write. The key is kept in the store, so every node opens what any node sealed; the
// organization and the purpose are the authenticated data, so a value sealed for one never
// opens for another.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Store } from '../store/contract.ts';

/** AES-GCM's recommended nonce and its full tag (NIST SP 800-38D). */
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Far above what any position seals to (about 140 characters); refused before any work. */
const MAX_SEALED_CHARS = 512;

export class Sealer {
  private key?: Promise<Buffer>;

  constructor(
    private readonly store: Store,
    /** What the sealed values are for: part of the authenticated data. */
    private readonly purpose: string,
  ) {}

  private sealingKey(): Promise<Buffer> {
    this.key ??= this.store.serverKey('paging-aead', randomBytes(32).toString('base64')).then((k) => Buffer.from(k, 'base64'));
    return this.key;
  }

  private aad(orgId: string): Buffer {
    return Buffer.from(`${this.purpose}\n${orgId}`);
  }

  async seal(orgId: string, value: unknown): Promise<string> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', await this.sealingKey(), iv, { authTagLength: TAG_BYTES }).setAAD(this.aad(orgId));
    const sealed = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
  }

  /** Seals `value` for `seconds` from `now`: `openFresh` gives it back until then. */
  sealFor(orgId: string, value: unknown, seconds: number, now = Date.now()): Promise<string> {
    return this.seal(orgId, { v: value, e: Math.floor(now / 1000) + seconds });
  }

  /** What `sealFor` sealed: the value, `'expired'` once its time is up, or undefined when it was not sealed here (or is malformed). */
  async openFresh(orgId: string, text: string, now = Date.now()): Promise<{ readonly value: unknown } | 'expired' | undefined> {
    const body = await this.open(orgId, text);
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !('v' in body)) return undefined;
    const { v, e } = body as { v: unknown; e: unknown };
    if (!Number.isSafeInteger(e)) return undefined;
    return (e as number) * 1000 < now ? 'expired' : { value: v };
  }

  /** The sealed value, or undefined when `text` was not sealed by this server for this organization and purpose. */
  async open(orgId: string, text: string): Promise<unknown> {
    if (text.length > MAX_SEALED_CHARS || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
    const raw = Buffer.from(text, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', await this.sealingKey(), raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES }).setAAD(this.aad(orgId));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return JSON.parse(Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8')) as unknown;
    } catch {
      // A wrong tag (tampered, or sealed for another organization or purpose), or text that
      // is not JSON under a key that ever sealed another shape.
      return undefined;
    }
  }
}
