// The store's broadcast on PostgreSQL: LISTEN/NOTIFY between two stores on one schema, not
// heard from another schema, and a listener whose connection is killed reconnects and says
// '*' (messages may have been lost), then hears again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { adminQuery, openTestPostgres, postgresSkipReason } from '../../helpers/postgres.ts';

const skip = await postgresSkipReason();

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const started = Date.now();
  while (!check() && Date.now() - started < ms) await new Promise((r) => setTimeout(r, 20));
  return check();
}

test('broadcast reaches the other store of the schema, not another schema; a dropped listener reconnects', { skip }, async () => {
  const app = `bcast-${randomUUID().slice(0, 8)}`;
  const a = await openTestPostgres();
  const b = await openTestPostgres({ schema: a.schema, applicationName: app });
  const other = await openTestPostgres();
  const heard: string[] = [];
  const heardElsewhere: string[] = [];
  const stop = await b.store.subscribe((m) => heard.push(m));
  const stopOther = await other.store.subscribe((m) => heardElsewhere.push(m));
  try {
    await a.store.broadcast('client:1');
    assert.ok(await until(() => heard.includes('client:1')), `heard ${JSON.stringify(heard)}`);

    const killed = await adminQuery<{ n: number }>("SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1", [`${app}-listen`]);
    assert.equal(killed[0].n, 1, 'one listening connection');
    assert.ok(await until(() => heard.includes('*')), 'the reconnected listener reports that messages may be lost');
    await a.store.broadcast('client:2');
    assert.ok(await until(() => heard.includes('client:2')), 'heard after reconnecting');
    assert.deepEqual(heardElsewhere, []);
  } finally {
    await stop();
    await stopOther();
    await b.store.close();
    await other.cleanup();
    await a.cleanup();
  }
});
