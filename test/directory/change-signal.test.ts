import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeSignal, HELD_BACK_RETRY_MS } from '../../src/directory/change-signal.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/contract.ts';

let dir: string;
let store: Store;
let signal: ChangeSignal;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'scimitar-signal-'));
  store = openSqliteStore({ path: join(dir, 's.db') });
  signal = new ChangeSignal(store);
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('nextSeen: no change, no read; undefined after its time', async () => {
  let reads = 0;
  const t0 = Date.now();
  const seen = await signal.nextSeen('org', 150, async () => ++reads, () => true);
  assert.equal(seen, undefined);
  assert.equal(reads, 0);
  assert.ok(Date.now() - t0 >= 140);
});

test('nextSeen: a change that shows on a later read is returned without a second change', async () => {
  let reads = 0;
  const t0 = Date.now();
  const seen = signal.nextSeen('org', 10_000, async () => ++reads, (n) => n >= 3);
  setTimeout(() => signal.notify('org'), 20);
  assert.equal(await seen, 3);
  // Read at the change, then after 25 and 50 ms.
  assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
});

test('nextSeen: a change that never shows costs a bounded number of reads, then waits for the next change or its time', async () => {
  let reads = 0;
  const t0 = Date.now();
  const total = HELD_BACK_RETRY_MS.reduce((a, b) => a + b, 0);
  const seen = signal.nextSeen('org', total + 300, async () => ++reads, () => false);
  setTimeout(() => signal.notify('org'), 10);
  assert.equal(await seen, undefined);
  assert.equal(reads, 1 + HELD_BACK_RETRY_MS.length, 'one read at the change and one per retry');
  assert.ok(Date.now() - t0 >= total + 250);
  // Another organization's change wakes nobody here.
  let other = 0;
  const quiet = signal.nextSeen('org', 200, async () => ++other, () => true);
  signal.notify('another org');
  assert.equal(await quiet, undefined);
  assert.equal(other, 0);
});

test('nextSeen: an abort ends the wait at once', async () => {
  const abort = new AbortController();
  const t0 = Date.now();
  const seen = signal.nextSeen('org', 10_000, async () => 1, () => false, abort.signal);
  setTimeout(() => abort.abort(), 30);
  assert.equal(await seen, undefined);
  assert.ok(Date.now() - t0 < 1000);
});
