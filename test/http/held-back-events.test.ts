// On PostgreSQL the event feed shows a committed change only once every older transaction has
// ended (commit order), and the end of such a transaction signals nothing. A live reader woken
// by the change must still get it shortly after: the event stream (SSE) and a long poll of
// polled SETs (RFC 8936 §2.4: the poll waits for events) read again after the change
// (HELD_BACK_RETRY_MS) instead of answering empty or waiting for the next change.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { adminApi, call, clientWith, createOrg, entraUser, listening, startHarness, type Harness, type Org } from '../helpers/harness.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { POSTGRES_URL } from '../helpers/postgres.ts';

const { skip } = DIALECTS.find((d) => d.name === 'postgres')!;

/** A transaction with an id, held open until release(): events committed meanwhile are held back. */
async function olderTransaction(): Promise<{ release(): Promise<void> }> {
  const c = new pg.Client({ connectionString: POSTGRES_URL });
  await c.connect();
  await c.query('BEGIN');
  await c.query('SELECT pg_current_xact_id()');
  return {
    async release() {
      await c.query('COMMIT');
      await c.end();
    },
  };
}

describe('events held back by an older transaction (postgres)', { skip }, () => {
  let h: Harness;
  let org: Org;
  before(async () => {
    if (skip) return;
    h = await startHarness({ dialect: 'postgres' });
    org = await createOrg(h);
  });
  after(async () => {
    if (skip) return;
    await h.close();
  });
  const api = adminApi(() => h, () => org.token);
  const newUser = async () => (await call(h, { method: 'POST', path: '/Users', token: org.token, body: entraUser(`held.${randomUUID().slice(0, 8)}@contoso.com`) })).body.id as string;

  test('a long poll answers the change once the older transaction ends, not an empty answer at the signal', async () => {
    const made = await api('POST', '/webhooks', { format: 'set', deliveryMethod: 'poll', eventTypes: ['user.created'] });
    assert.equal(made.status, 201, made.raw);
    const poll = () => api('POST', `/webhooks/${made.body.id}/poll`, { maxEvents: 5 });
    const older = await olderTransaction();
    let released = false;
    try {
      const waiting = poll();
      await new Promise((r) => setTimeout(r, 100));
      const id = await newUser();
      // The change is committed and signalled, but the feed does not show it yet.
      await new Promise((r) => setTimeout(r, 300));
      const endedAt = Date.now();
      await older.release();
      released = true;
      const answer = await waiting;
      assert.equal(answer.status, 200, answer.raw);
      const sets = Object.values(answer.body.sets as Record<string, string>);
      assert.equal(sets.length, 1, `the poll answered ${answer.raw}`);
      const claims = JSON.parse(Buffer.from(sets[0].split('.')[1], 'base64url').toString()) as { sub_id: { id: string } };
      assert.equal(claims.sub_id.id, id);
      assert.ok(Date.now() - endedAt < 3000, 'shortly after the older transaction ended');
    } finally {
      if (!released) await older.release();
    }
  });

  test('the event stream delivers the change shortly after the older transaction ends, not at its fallback read', async () => {
    const { app, url } = await listening(h);
    const older = await olderTransaction();
    let released = false;
    try {
      const reader = await clientWith(h, org, ['events:feed:view']);
      const res = await fetch(`${url}/api/v2/events`, { headers: { authorization: `Bearer ${reader}`, accept: 'text/event-stream' } });
      assert.equal(res.status, 200);
      const stream = res.body!.getReader();
      let text = '';
      // One read in flight at a time, kept across waits (a read left behind would take a chunk).
      let pending: ReturnType<typeof stream.read> | undefined;
      const readFor = async (ms: number, until: () => boolean) => {
        const deadline = Date.now() + ms;
        while (!until() && Date.now() < deadline) {
          pending ??= stream.read();
          const chunk = await Promise.race([pending, new Promise<undefined>((r) => setTimeout(r, Math.max(1, deadline - Date.now())))]);
          if (!chunk) continue;
          pending = undefined;
          if (chunk.done) break;
          text += new TextDecoder().decode(chunk.value);
        }
      };
      await readFor(300, () => false);
      const id = await newUser();
      await readFor(400, () => text.includes(id));
      assert.ok(!text.includes(id), 'held back while the older transaction runs');
      const endedAt = Date.now();
      await older.release();
      released = true;
      await readFor(5000, () => text.includes(id));
      assert.ok(text.includes(id), 'the change arrives');
      assert.ok(Date.now() - endedAt < 3000, 'shortly after the older transaction ended (the fallback read is 15 s away)');
      await stream.cancel();
    } finally {
      if (!released) await older.release();
      await app.close();
    }
  });
});
