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

test('every environment variable the configuration reads is in docs/configuration.md, and no other', () => {
  const source = readFileSync('src/config.ts', 'utf8');
  const read = new Set([...source.matchAll(/\benv\.([A-Z][A-Z0-9_]+)|'((?:SCIMITAR_[A-Z0-9_]+|DATABASE_URL|PORT|HOST))'/g)].map((m) => m[1] ?? m[2]));
  const config = readFileSync('docs/configuration.md', 'utf8');
  const documented = new Set([...config.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
  assert.deepEqual([...read].sort(), [...documented].sort());
});

test('docs link only to files inside the repository, and those files exist', async () => {
  const { readdirSync, existsSync } = await import('node:fs');
  const { dirname, join, resolve } = await import('node:path');
  const files = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const root = resolve('.');
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    assert.doesNotMatch(text, /\.\.\/shared\//, `${f} points outside the repository`);
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      assert.doesNotMatch(target, /^[a-z]+:/i, `${f} links outside the repository: ${target}`);
      const path = resolve(dirname(f), target.split('#')[0]);
      assert.ok(path.startsWith(root), `${f} links outside the repository: ${target}`);
      assert.ok(existsSync(path), `${f} links to a missing file: ${target}`);
    }
  }
});
