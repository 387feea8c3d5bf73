// docs/errors.md and the error catalogue in code must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

test('every scimitar command the docs name exists, with its subcommand', async () => {
  const { execFileSync } = await import('node:child_process');
  const { readdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const help = (args: string[]) => execFileSync(process.execPath, ['bin/scimitar.js', ...args, '--help'], { encoding: 'utf8', env: { ...process.env, SCIMITAR_DB: '' } });
  const commandsOf = (args: string[]) => new Set([...help(args).split('Commands:')[1]?.matchAll(/^  ([a-z-]+)/gm) ?? []].map((m) => m[1]));
  const top = commandsOf([]);
  const files = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const named = new Set<string>();
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(/`(?:npx )?scimitar ((?:--[a-z-]+ (?:\S+ )?)*)([a-z-]+)(?: ([a-z-]+))?(?: ([a-z-]+))?/g)) named.add([m[2], m[3], m[4]].filter(Boolean).join(' '));
    // The CLI table in docs/administration.md names commands without the program name.
    if (f.endsWith('administration.md')) {
      for (const row of readFileSync(f, 'utf8').split('## CLI')[1].split('\n').filter((l) => l.startsWith('| `'))) {
        const cell = row.split(' | ')[0];
        for (const m of cell.matchAll(/`([a-z][a-z-]*(?: [a-z][a-z-]*)*)/g)) named.add(m[1]);
      }
    }
  }
  assert.ok(named.size > 10, [...named].join(', '));
  for (const name of named) {
    const [cmd, sub, subsub] = name.split(' ');
    if (!top.has(cmd)) assert.fail(`docs name "scimitar ${name}": no command "${cmd}"`);
    const subs = commandsOf([cmd]);
    if (sub && subs.size > 0 && !subs.has(sub)) assert.fail(`docs name "scimitar ${name}": "${cmd}" has no "${sub}" (has ${[...subs].join(', ')})`);
    if (subsub && sub && subs.has(sub)) {
      const subsubs = commandsOf([cmd, sub]);
      if (subsubs.size > 0 && !subsubs.has(subsub)) assert.fail(`docs name "scimitar ${name}": no "${cmd} ${sub} ${subsub}"`);
    }
  }
});

test('docs/architecture.md names only source files and folders that exist, and every source folder', () => {
  const text = readFileSync('docs/architecture.md', 'utf8');
  // Paths in backticks, relative to src/ (`store/sql/users.ts`, `provision/cycle/`) or the root (`test/...`).
  const named = [...text.matchAll(/`((?:src\/|test\/)?(?:scim|store|trail|auth|directory|http|provision|cli|test)\/[A-Za-z0-9_./-]*|[a-z-]+\.ts)`/g)].map((m) => m[1]);
  const exists = (p: string) => existsSync(p) || existsSync(join('src', p)) || globSource(p);
  const missing = named.filter((p) => !p.includes('*') && !exists(p));
  assert.deepEqual(missing, []);
  assert.ok(named.length > 40, 'the scan sees the paths');
  const folders = readdirSync('src', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `src/${d.name}/`);
  assert.deepEqual(folders.filter((f) => !text.includes(f) && !text.includes(`\`${f.slice(4)}\``)), [], 'every source folder is described');
});

/** A bare file name the document uses (`wire.ts`) exists somewhere under src/. */
function globSource(name: string): boolean {
  if (name.includes('/')) return false;
  const walk = (dir: string): boolean => readdirSync(dir, { withFileTypes: true }).some((d) => (d.isDirectory() ? walk(join(dir, d.name)) : d.name === name));
  return walk('src');
}
