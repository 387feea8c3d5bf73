// The provisioning state store: write-through records, reload, the import of a JSON state of
// an earlier version, refusals of files that are not a state, and the Graph snapshot saved
// by difference.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peekState, StateFileError, StateStore } from '../../src/provision/state.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'scimitar-state-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('each recorded write is in the file at once (another connection sees it before close); load returns it', () => {
  const path = join(dir, 'a.db');
  const store = StateStore.open(path);
  store.user('u1', { targetId: 't1', hash: 'h1', managerTargetId: 't0' });
  store.user('u2', { targetId: 't2', hash: 'h2', disabled: true });
  store.group('g1', { targetId: 'tg', members: ['t1', 't2'] });
  // As a crash would leave it: read by another connection while the store is still open.
  const other = new Database(path, { readonly: true });
  assert.equal(other.prepare('SELECT count(*) FROM users').pluck().get(), 2);
  other.close();
  store.user('u2', undefined);
  store.close();
  const again = StateStore.open(path);
  const s = again.load();
  assert.deepEqual(s.users, { u1: { targetId: 't1', hash: 'h1', managerTargetId: 't0' } });
  assert.deepEqual(s.groups, { g1: { targetId: 'tg', members: ['t1', 't2'] } });
  assert.equal(s.graph, undefined);
  again.close();
});

test('a JSON state of an earlier version is imported once and kept beside; a dry run reads it without converting', () => {
  const path = join(dir, 'old.json');
  const old = { version: 1, users: { u1: { targetId: 't1', hash: 'h' } }, groups: { g: { targetId: 'tg', members: ['t1'] } }, graph: { usersDeltaLink: 'https://graph/delta?t=1', users: { u1: { id: 'u1', displayName: 'One' } } } };
  writeFileSync(path, JSON.stringify(old));
  assert.deepEqual(peekState(path), old);
  assert.ok(!existsSync(`${path}.json-v1`), 'peeking changes nothing');
  const store = StateStore.open(path);
  assert.deepEqual(store.load(), old);
  store.close();
  assert.deepEqual(JSON.parse(readFileSync(`${path}.json-v1`, 'utf8')), old);
  assert.equal(readFileSync(path).subarray(0, 15).toString(), 'SQLite format 3');
});

test('files that are not a state are refused with the path, and left as they were', () => {
  const foreign = join(dir, 'foreign.db');
  const db = new Database(foreign);
  db.exec('CREATE TABLE accounts (id TEXT)');
  db.close();
  assert.throws(() => StateStore.open(foreign), (e: Error) => e instanceof StateFileError && e.message === `${foreign}: a SQLite file, but not a Scimitar provisioning state`);
  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'hello, this is not a database at all, just some text in a file');
  assert.throws(() => StateStore.open(text), (e: Error) => e instanceof StateFileError && e.message.startsWith(`${text}: not a Scimitar provisioning state`));
  assert.equal(readFileSync(text, 'utf8').slice(0, 5), 'hello');
  const badJson = join(dir, 'bad.json');
  writeFileSync(badJson, '{"version": 2}');
  assert.throws(() => peekState(badJson), StateFileError);
});

test('the Graph snapshot is saved by difference: unchanged records are not rewritten, removed ones go', () => {
  const path = join(dir, 'graph.db');
  const store = StateStore.open(path);
  const a = { id: 'a', displayName: 'A' };
  const b = { id: 'b', displayName: 'B' };
  const c = { id: 'c', displayName: 'C' };
  store.saveGraph({ usersDeltaLink: 'L1', users: { a, b, c } }, undefined);
  const first = store.load().graph!;
  assert.deepEqual(first, { usersDeltaLink: 'L1', users: { a, b, c } });
  // The connector's next snapshot keeps unchanged records as the same objects.
  const next = { ...first.users, b: { ...first.users.b, displayName: 'B2' } } as Record<string, Record<string, unknown>>;
  delete next.c;
  // Mark the row of `a` so that a rewrite would show.
  const raw = new Database(path);
  raw.prepare("UPDATE graph_users SET record = json_set(record, '$.marker', 1) WHERE id = 'a'").run();
  raw.close();
  store.saveGraph({ usersDeltaLink: 'L2', users: next }, first);
  const second = store.load().graph!;
  assert.equal(second.usersDeltaLink, 'L2');
  assert.deepEqual(second.users.a, { id: 'a', displayName: 'A', marker: 1 }, 'an unchanged record is not rewritten');
  assert.equal(second.users.b.displayName, 'B2');
  assert.ok(!('c' in second.users));
  // A full read (no previous deltaLink) replaces the snapshot.
  store.saveGraph({ usersDeltaLink: 'L3', users: { c } }, undefined);
  assert.deepEqual(Object.keys(store.load().graph!.users), ['c']);
  store.close();
});
