import Database from 'better-sqlite3';
import { readdirSync } from 'node:fs';
const dir = process.argv[2];
const db = new Database(dir.endsWith('.db') ? dir : `${dir}/b.db`, { readonly: true });
const org = (db.prepare('SELECT org_id FROM users LIMIT 1').get() as { org_id: string }).org_id;
const cols = `u.seq, u.id, u.org_id, u.user_name, u.external_id, u.display_name, u.active, u.division_id,
  u.manager_id, u.version, u.created, u.last_modified, u.data, u.password_hash,
  d.name AS division_name, m.display_name AS manager_display_name, m.division_id AS manager_division_id`;
const JOIN = process.env.JOIN ?? 'JOIN';
const groups = `(SELECT json_group_array(json_array(g.id, g.display_name) ORDER BY g.display_name_lower, g.id) FROM group_members gm ${JOIN} groups g ON g.id = gm.group_id WHERE gm.user_id = u.id AND g.org_id = u.org_id AND g.visibility = 'public') AS groups_json`;
const variants: Record<string, string> = {
  full: `SELECT ${cols}, ${groups} FROM (SELECT * FROM users u WHERE u.org_id = ? AND u.active = 1 ORDER BY u.seq LIMIT 100 OFFSET 0) u JOIN divisions d ON d.id = u.division_id LEFT JOIN users m ON m.id = u.manager_id ORDER BY u.seq`,
  noGroups: `SELECT ${cols} FROM (SELECT * FROM users u WHERE u.org_id = ? AND u.active = 1 ORDER BY u.seq LIMIT 100 OFFSET 0) u JOIN divisions d ON d.id = u.division_id LEFT JOIN users m ON m.id = u.manager_id ORDER BY u.seq`,
  noData: `SELECT u.seq, u.id, u.version, ${groups} FROM (SELECT * FROM users u WHERE u.org_id = ? AND u.active = 1 ORDER BY u.seq LIMIT 100 OFFSET 0) u JOIN divisions d ON d.id = u.division_id LEFT JOIN users m ON m.id = u.manager_id ORDER BY u.seq`,
  bare: `SELECT u.id, u.data FROM users u WHERE u.org_id = ? AND u.active = 1 ORDER BY u.seq LIMIT 100`,
};
for (const [name, sql] of Object.entries(variants)) {
  const st = db.prepare(sql);
  for (let i = 0; i < 200; i++) st.all(org);
  const t = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) st.all(org);
  console.log(name, (Number(process.hrtime.bigint() - t) / 1e6 / 1000).toFixed(3), 'ms', 'rows', st.all(org).length);
}
console.log(db.prepare(`EXPLAIN QUERY PLAN ${variants.full}`).all(org).map((r: any) => r.detail).join('\n'));
const sample = (db.prepare(variants.full).all(org) as any[])[0];
console.log(JSON.stringify(sample).length, sample.groups_json);
