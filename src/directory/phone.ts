// Phone numbers as Genesys takes them: E.164 (`+13175550123`), a `tel:` URI with an
// extension (`tel:+13175550123;ext=1234`) or an extension only (`tel:;ext=1234`).
// Spaces, dashes, dots and parentheses are removed first. The UC types (other,
// microsoftteams, zoomphone, ringcentral, eightbyeight) land in Genesys' "Other phone",
// which need not be E.164, so they also take plain digit strings.
import { scimErrors } from '../scim/index.ts';

const LOOSE_TYPES = new Set(['other', 'microsoftteams', 'zoomphone', 'ringcentral', 'eightbyeight']);
const E164 = /^\+[1-9][0-9]{1,14}$/;
const TEL = /^tel:(\+[1-9][0-9]{1,14})?(?:;ext=([0-9]{1,10}))?$/i;

export function normalizePhoneNumber(type: string | undefined, value: string): string {
  const compact = value.trim().replace(/[\s\-.()]/g, '');
  if (E164.test(compact)) return compact;
  const tel = TEL.exec(compact);
  if (tel && (tel[1] || tel[2])) return `tel:${tel[1] ?? ''}${tel[2] ? `;ext=${tel[2]}` : ''}`;
  if (type !== undefined && LOOSE_TYPES.has(type.toLowerCase()) && /^\+?[0-9]{1,20}$/.test(compact)) return compact;
  throw scimErrors.invalidValue(
    `Phone number ${JSON.stringify(value)}${type ? ` (type ${type})` : ''} is not valid: use E.164 (+13175550123), ` +
      'a tel: URI with an extension (tel:+13175550123;ext=1234) or an extension only (tel:;ext=1234)',
  );
}
