// Provisioning jobs' target credentials are sealed at rest with a key the operator holds
// (SCIMITAR_SECRET_KEY), not one kept in the store: a copy of the database alone opens none of
// them. AES-256-GCM (node:crypto) with a key derived by HKDF-SHA256; the organization and the
// job are the authenticated data, so a sealed value moved to another job does not open.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {}

export class SecretBox {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'scimitar', 'provisioning-target-credentials', 32));
  }

  seal(scope: string, value: unknown): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES }).setAAD(Buffer.from(scope));
    const sealed = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return `v1.${Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** The sealed value; throws when it was sealed with another key or for another scope. */
  open(scope: string, text: string): unknown {
    const raw = Buffer.from(text.replace(/^v1\./, ''), 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES }).setAAD(Buffer.from(scope));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return JSON.parse(Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8')) as unknown;
    } catch {
      throw new SecretBoxError('the target credentials do not open with this SCIMITAR_SECRET_KEY (was it changed?): save the job\'s credentials again');
    }
  }
}
