import Database from 'better-sqlite3';
import { USER_SELECT } from '../src/store/sql/rows.ts';
const db = new Database('/tmp/prof/p.db');
db.pragma('cache_size = -65536'); db.pragma('mmap_size = 1073741824');
const org = (db.prepare('select id from organizations').get() as any).id;
const ids = db.prepare('select id from users limit 3').all().map((r: any) => r.id);
const qs: [string, string, unknown[]][] = [
 ['page', `${USER_SELECT} WHERE u.org_id = ? AND u.user_name_lower = ? ORDER BY u.seq LIMIT ? OFFSET ?`, [org, 'user5@bench.test', 25, 0]],
 ['page-nojoin', `SELECT u.* FROM users u WHERE u.org_id = ? AND u.user_name_lower = ? ORDER BY u.seq LIMIT ? OFFSET ?`, [org, 'user5@bench.test', 25, 0]],
 ['page-noorder', `${USER_SELECT} WHERE u.org_id = ? AND u.user_name_lower = ? LIMIT ? OFFSET ?`, [org, 'user5@bench.test', 25, 0]],
 ['byid', `${USER_SELECT} WHERE u.org_id = ? AND u.id = ?`, [org, ids[0]]],
 ['groups', `SELECT gm.user_id, g.id, g.display_name FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE g.org_id = ? AND g.visibility = ? AND gm.user_id IN (?) ORDER BY g.display_name_lower`, [org, 'public', ids[0]]],
 ['token', `SELECT 1`, []],
];
for (const [name, sql, params] of qs) {
  const st = db.prepare(sql); for (let i = 0; i < 2000; i++) st.all(...params);
  const t = process.hrtime.bigint(); for (let i = 0; i < 20000; i++) st.all(...params); console.log(name.padEnd(14), (Number(process.hrtime.bigint() - t) / 20000 / 1000).toFixed(1), 'us', db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params).map((r: any) => r.detail).join(' | '));
}
