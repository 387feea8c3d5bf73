import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
const db = new Database('/tmp/b500.db');
const org = (db.prepare('SELECT org_id FROM users LIMIT 1').get() as { org_id: string }).org_id;
const now = new Date().toISOString();
const ins = db.prepare(`INSERT INTO groups (id, org_id, display_name, display_name_lower, type, visibility, version, created, last_modified) VALUES (?, ?, ?, ?, 'official', 'public', 1, ?, ?)`);
db.transaction(() => { for (let i = 0; i < 2000; i++) { const n = `Team ${i}`; ins.run(randomUUID(), org, n, n.toLowerCase(), now, now); } })();
