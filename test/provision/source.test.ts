import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsv, readDirectory } from '../../src/provision/source.ts';

test('CSV: header row, quoted fields with commas, doubled quotes and newlines, CRLF', () => {
  const rows = parseCsv('id,displayName,jobTitle\r\n1,"Doe, Jane","The ""Boss"""\r\n2,"Multi\nLine",\r\n\r\n');
  assert.deepEqual(rows, [
    { id: '1', displayName: 'Doe, Jane', jobTitle: 'The "Boss"' },
    { id: '2', displayName: 'Multi\nLine', jobTitle: '' },
  ]);
});

test('CSV as spreadsheets export it: a byte-order mark, semicolons or tabs, quoted newlines; a broken file names its line', () => {
  const semi = parseCsv('\uFEFFid;userPrincipalName;displayName\r\n1;a@x.com;"Adams; Alice"\r\n2;b@x.com;"Two\r\nlines"\r\n', 'users.csv');
  assert.deepEqual(semi, [{ id: '1', userPrincipalName: 'a@x.com', displayName: 'Adams; Alice' }, { id: '2', userPrincipalName: 'b@x.com', displayName: 'Two\r\nlines' }]);
  assert.deepEqual(parseCsv('id\tuserPrincipalName\n1\ta@x.com\n'), [{ id: '1', userPrincipalName: 'a@x.com' }]);
  assert.deepEqual(parseCsv('id,"display, name"\n1,"x, y"\n'), [{ id: '1', 'display, name': 'x, y' }], 'a delimiter inside a quoted header does not count');
  assert.throws(() => parseCsv('id,name\n1,"unterminated\n', 'users.csv'), /^Error: users\.csv:\d+: not valid CSV: /);
});

test('users from CSV and Graph JSON; soft deletion, manager references, bad records reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scimitar-source-'));
  try {
    const csv = join(dir, 'users.csv');
    writeFileSync(csv, 'id,userPrincipalName,IsSoftDeleted,manager\na,a@x.com,False,\nb,b@x.com,True,a\n,noid@x.com,,\n');
    const d = readDirectory({ users: csv });
    assert.deepEqual(d.users.map((u) => [u.id, u.softDeleted, u.managerId]), [['a', false, undefined], ['b', true, 'a']]);
    assert.equal(d.problems.length, 1);
    const json = join(dir, 'users.json');
    writeFileSync(json, JSON.stringify([{ id: 'c', userPrincipalName: 'c@x.com', deletedDateTime: '2026-01-01T00:00:00Z', manager: { id: 'a' } }, { id: 'd', userPrincipalName: 42 }, 'junk']));
    const j = readDirectory({ users: json });
    assert.deepEqual(j.users.map((u) => [u.id, u.softDeleted, u.managerId, u.attributes.objectId]), [['c', true, 'a', 'c']]);
    assert.deepEqual(j.problems.map((p) => p.index), [1, 2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
