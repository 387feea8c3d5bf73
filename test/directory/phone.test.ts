import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePhoneNumber } from '../../src/directory/phone.ts';
import { ScimError } from '../../src/scim/index.ts';

test('accepts E.164, tel: with extension and extension only; strips separators', () => {
  const ok: [string | undefined, string, string][] = [
    ['work', '+13175550123', '+13175550123'],
    ['work', '+1 317-555.0123', '+13175550123'],
    ['work', '+1 (317) 555 0123', '+13175550123'],
    ['work2', 'tel:+13175550123;ext=1234', 'tel:+13175550123;ext=1234'],
    ['work', 'TEL:+13175550123;EXT=1234', 'tel:+13175550123;ext=1234'],
    ['work3', 'tel:;ext=1234', 'tel:;ext=1234'],
    ['work4', 'tel:+4930123456', 'tel:+4930123456'],
    ['microsoftteams', '13175550123', '13175550123'],
    ['other', '1234', '1234'],
  ];
  for (const [type, input, expected] of ok) assert.equal(normalizePhoneNumber(type, input), expected, input);
});

test('rejects what is not a number with a 400 invalidValue that explains the forms', () => {
  for (const [type, input] of [['work', '3175550123'], ['work', '+0123'], ['work', 'tel:'], ['work', 'tel:;ext='], ['mobile', 'call me'], ['work', '+1234567890123456'], ['microsoftteams', 'abc']]) {
    assert.throws(() => normalizePhoneNumber(type, input), (e: unknown) => e instanceof ScimError && e.scimType === 'invalidValue' && /E\.164/.test(e.message), input);
  }
});
