// Replays Entra's documented request sequence over a real TCP port, as Entra would send it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { describe } from 'node:test';
import { addGroup, createOrg, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';

interface Step {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  token?: string;
  expect: { status: number; body?: unknown };
  capture?: Record<string, string>;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/entra-sequence.json', import.meta.url), 'utf8')) as { steps: Step[] };


function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_m, k: string) => {
    if (!(k in vars)) throw new Error(`unbound {{${k}}}`);
    return vars[k];
  });
}

/** Every key of `expected` must be in `actual` with the same value (arrays and objects recursively). */
function assertSubset(actual: unknown, expected: unknown, where: string): void {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    assert.ok(actual !== null && typeof actual === 'object', `${where}: expected an object`);
    for (const [k, v] of Object.entries(expected)) assertSubset((actual as Record<string, unknown>)[k], v, `${where}.${k}`);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual) && actual.length === expected.length, `${where}: expected ${expected.length} items`);
    expected.forEach((v, i) => assertSubset((actual as unknown[])[i], v, `${where}[${i}]`));
  } else assert.equal(actual, expected, where);
}

for (const { name: dialect, skip } of DIALECTS) {
  describe(`Entra replay on ${dialect}`, { skip }, () => {
    let h: Harness;
    let org: Org;
    let base: string;
    before(async () => {
      h = await startHarness({ dialect });
      org = await createOrg(h);
      await addGroup(h, org, 'Sales');
      const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
      base = `${address}/api/v2/scim/v2`;
    });
    after(() => h.close());

    test("Entra's provisioning sequence works end to end", async () => {
      const vars: Record<string, string> = { guid: randomUUID() };
      for (const step of fixture.steps) {
        const body = step.body === undefined ? undefined : substitute(JSON.stringify(step.body), vars);
        const res = await fetch(`${base}${substitute(step.path, vars)}`, {
          method: step.method,
          headers: { authorization: `Bearer ${step.token ?? org.token}`, ...(body ? { 'content-type': 'application/scim+json' } : {}) },
          body,
        });
        const text = await res.text();
        assert.equal(res.status, step.expect.status, `${step.name}: ${text}`);
        const json = text ? JSON.parse(text) : undefined;
        if (step.expect.body) assertSubset(json, JSON.parse(substitute(JSON.stringify(step.expect.body), vars)), step.name);
        for (const [name, path] of Object.entries(step.capture ?? {})) {
          vars[name] = path.split('.').reduce<any>((o, k) => o?.[k], json); // eslint-disable-line @typescript-eslint/no-explicit-any -- walking parsed JSON
          assert.ok(vars[name], `${step.name}: nothing at ${path}`);
        }
      }
    });
  });
}
