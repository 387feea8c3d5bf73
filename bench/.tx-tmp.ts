import Database from 'better-sqlite3';
for (const mode of ['default', 'autockpt10000', 'exclusive']) {
  const db = new Database(`/tmp/prof/tx-${mode}.db`);
  db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL');
  if (mode === 'autockpt10000') db.pragma('wal_autocheckpoint = 10000');
  if (mode === 'exclusive') db.pragma('locking_mode = EXCLUSIVE');
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)');
  const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
  const t = process.hrtime.bigint();
  for (let i = 0; i < 3000; i++) { db.exec('BEGIN IMMEDIATE'); ins.run('x'.repeat(300)); db.exec('COMMIT'); }
  console.log(mode, (Number(process.hrtime.bigint() - t) / 3000 / 1000).toFixed(1), 'us/tx');
  db.close();
}
