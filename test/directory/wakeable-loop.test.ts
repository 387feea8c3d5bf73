// The loop the webhook sender and the job runner share: a poke runs a round at once, and with
// minGapMs a stream of pokes is taken in rounds at least that far apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WakeableLoop } from '../../src/directory/wakeable-loop.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a poke wakes an idle loop; 200 pokes in a stream with minGapMs 50 take rounds at least 50 ms apart', async () => {
  const starts: number[] = [];
  const loop = new WakeableLoop(async () => {
    starts.push(Date.now());
    await sleep(2);
    return false;
  }, { intervalMs: 60_000, minGapMs: 50 });
  loop.start((e) => assert.fail(String(e)));
  for (let i = 0; i < 100 && starts.length < 1; i++) await sleep(10);
  assert.equal(starts.length, 1, 'the first round');
  await sleep(60);
  const poked = Date.now();
  loop.poke();
  await sleep(20);
  for (let i = 0; i < 100 && starts.length < 2; i++) await sleep(10);
  assert.ok(starts[1] - poked < 1000, 'an idle loop runs when poked, not after its 60 s interval');
  const before = starts.length;
  const from = Date.now();
  for (let i = 0; i < 200; i++) {
    loop.poke();
    await sleep(2);
  }
  const elapsed = Date.now() - from;
  await sleep(60);
  await loop.stop();
  const stream = starts.slice(before);
  // However slow the machine, rounds start at least 50 ms apart: no more than the stream's length allows.
  assert.ok(stream.length >= 2 && stream.length <= Math.floor(elapsed / 50) + 2, `rounds for 200 pokes over ${elapsed} ms: ${stream.length}`);
  for (let i = 1; i < stream.length; i++) assert.ok(stream[i] - stream[i - 1] >= 49, `rounds ${stream[i] - stream[i - 1]} ms apart`);
});

test('without minGapMs a busy loop goes on at once', async () => {
  let rounds = 0;
  const loop = new WakeableLoop(async () => ++rounds < 50, { intervalMs: 60_000 });
  loop.start((e) => assert.fail(String(e)));
  await sleep(200);
  await loop.stop();
  assert.ok(rounds >= 50, `${rounds} rounds`);
});
