// docs/errors.md and the error catalogue in code must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PLAIN_STATUSES, STATUS_OF_TYPE } from '../src/scim/errors.ts';

const doc = readFileSync('docs/errors.md', 'utf8');

test('every scimType in code is in docs/errors.md with its status, and no other', () => {
  const section = doc.split('## scimType values')[1].split('## ')[0];
  const rows = [...section.matchAll(/^\| (\w+) \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  assert.deepEqual(Object.fromEntries(rows), { ...STATUS_OF_TYPE });
});

test('every plain status in code is in docs/errors.md, and no other', () => {
  const section = doc.split('## Statuses without a scimType')[1].split('## ')[0];
  const statuses = [...section.matchAll(/^\| (\d{3}) \|/gm)].map((m) => Number(m[1])).sort();
  assert.deepEqual(statuses, [...PLAIN_STATUSES].sort());
});
