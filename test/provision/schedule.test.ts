import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assessCycle, MAX_QUARANTINE_MS, parseInterval } from '../../src/provision/schedule.ts';

test('intervals: 40m, 1h30m, 90s; nonsense refused', () => {
  assert.equal(parseInterval('40m'), 2_400_000);
  assert.equal(parseInterval('1h30m'), 5_400_000);
  assert.equal(parseInterval('90s'), 90_000);
  for (const bad of ['', '40', '10x', '0s', 'm40', '5m and more']) assert.throws(() => parseInterval(bad), /not an interval/, bad);
});

const report = (actions: string[]) => ({ summary: {} as never, objects: actions.map((action) => ({ action })) as never });

test('quarantine: on 401/403 or when most objects fail; intervals double up to a day; a healthy cycle ends it', () => {
  const healthy = assessCycle(report(['create', 'skip', 'fail']), 0, undefined, 60_000);
  assert.deepEqual(healthy, { quarantined: false, level: 0, nextInMs: 60_000 });
  const auth = assessCycle(report([]), 3, healthy, 60_000);
  assert.equal(auth.quarantined, true);
  assert.match(auth.reason!, /refused the credentials/);
  assert.equal(auth.nextInMs, 120_000);
  const worse = assessCycle(report(['fail', 'fail', 'fail', 'fail', 'create', 'skip']), 0, auth, 60_000);
  assert.equal(worse.level, 2);
  assert.equal(worse.nextInMs, 240_000);
  assert.match(worse.reason!, /4 of 5 objects failed/);
  let h = worse;
  for (let i = 0; i < 20; i++) h = assessCycle(report([]), 1, h, 2_400_000);
  assert.equal(h.nextInMs, MAX_QUARANTINE_MS);
  assert.equal(assessCycle(report(['fail', 'fail']), 0, h, 60_000).quarantined, false, 'a few failures among few objects are not an outage');
  assert.equal(assessCycle(report(['update']), 0, h, 60_000).nextInMs, 60_000);
});
