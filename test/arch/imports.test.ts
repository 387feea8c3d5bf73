// The architecture as a test: imports point inward only (docs/architecture.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve('src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const full = join(dir, n);
    return statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : [];
  });
}

interface Import {
  from: string; // layer-relative file, e.g. scim/filter/parser.ts
  spec: string;
  target?: string; // resolved src-relative path for relative imports
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = m[1] ?? m[2];
    const from = relative(SRC, file);
    out.push(spec.startsWith('.') ? { from, spec, target: relative(SRC, resolve(dirname(file), spec)) } : { from, spec });
  }
  return out;
}

const all = files(SRC).flatMap(importsOf);
const layer = (p: string) => p.split('/')[0];

test('the SCIM core imports nothing outside src/scim, not even node built-ins', () => {
  const bad = all.filter((i) => layer(i.from) === 'scim' && (!i.target || layer(i.target) !== 'scim'));
  assert.deepEqual(bad, []);
});

test('only src/http imports fastify', () => {
  const bad = all.filter((i) => /^(fastify|@fastify\/)/.test(i.spec) && layer(i.from) !== 'http' && i.from !== 'main.ts');
  assert.deepEqual(bad, []);
});

test('stores import only the store contract and the SCIM core', () => {
  const bad = all.filter((i) => layer(i.from) === 'store' && i.target && !['store', 'scim'].includes(layer(i.target)));
  assert.deepEqual(bad, []);
});

test('the directory and auth layers never import HTTP', () => {
  const bad = all.filter((i) => ['directory', 'auth', 'store'].includes(layer(i.from)) && i.target && layer(i.target) === 'http');
  assert.deepEqual(bad, []);
});

test('the provisioning engine never imports the server', () => {
  const bad = all.filter((i) => layer(i.from) === 'provision' && i.target && ['http', 'store', 'directory', 'auth'].includes(layer(i.target)));
  assert.deepEqual(bad, []);
});

test('the scan sees the core (guards against a vacuous pass)', () => {
  assert.ok(all.filter((i) => layer(i.from) === 'scim').length > 20);
});

test('imports point down the layers: scim < store < trail < auth < directory < http; the trail sees only the store and the core', () => {
  const order = ['scim', 'store', 'trail', 'auth', 'directory', 'http'];
  const bad = all.filter((i) => {
    if (!i.target) return false;
    const [from, to] = [order.indexOf(layer(i.from)), order.indexOf(layer(i.target))];
    return from >= 0 && to >= 0 && to > from;
  });
  assert.deepEqual(bad.map((i) => `${i.from} -> ${i.target}`), []);
});


test('no module imports itself back through others (no import cycles in src)', () => {
  const edges = new Map<string, string[]>();
  for (const i of all) if (i.target) edges.set(i.from, [...(edges.get(i.from) ?? []), i.target]);
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of edges.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});

test('the store\'s aggregate modules stand alone: none imports another (shared pieces live in shared.ts and paging.ts)', () => {
  const aggregates = ['tenancy', 'users', 'groups', 'trail', 'console', 'webhooks'].map((a) => `store/sql/${a}.ts`);
  const bad = all.filter((i) => aggregates.includes(i.from) && i.target && aggregates.includes(i.target));
  assert.deepEqual(bad.map((i) => `${i.from} -> ${i.target}`), []);
  assert.equal(all.filter((i) => aggregates.includes(i.from)).length > 10, true, 'the scan sees them');
});

test('no source file is over 350 lines unless its opening comment says why', () => {
  const long = files(SRC).filter((f) => readFileSync(f, 'utf8').split('\n').length > 350);
  const unexplained = long.filter((f) => !/over 350 lines/.test(readFileSync(f, 'utf8').split('\n').slice(0, 15).join('\n')));
  assert.deepEqual(unexplained.map((f) => relative(SRC, f)), []);
});

test('HTTP handlers read params, query and body as their schemas type them: no casts (schemas/common.ts SchemaTypes)', () => {
  const cast = /\b(?:r|req|request)\.(?:params|query|body)\b(?:\s*\?\?\s*\{\})?\)?\s+as\s/;
  const offenders = files(join(SRC, 'http')).flatMap((f) =>
    readFileSync(f, 'utf8').split('\n').flatMap((line, i) => (cast.test(line) ? [`${relative(SRC, f)}:${i + 1}: ${line.trim()}`] : [])));
  assert.deepEqual(offenders, []);
  // Each surface registers its routes on an instance with the schema type provider.
  for (const surface of ['routes/admin.ts', 'routes/scim.ts', 'routes/oauth.ts', 'console/routes.ts']) {
    assert.match(readFileSync(join(SRC, 'http', surface), 'utf8'), /withTypeProvider<SchemaTypes>\(\)/, surface);
  }
});
