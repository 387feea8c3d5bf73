import Database from 'better-sqlite3';
const db = new Database(process.argv[2], { readonly: true });
const org = (db.prepare('SELECT org_id FROM users LIMIT 1').get() as { org_id: string }).org_id;
const cols = `u.seq, u.id, u.org_id, u.user_name, u.external_id, u.display_name, u.active, u.division_id,
  u.manager_id, u.version, u.created, u.last_modified, u.data, u.password_hash,
  d.name AS division_name, m.display_name AS manager_display_name, m.division_id AS manager_division_id`;
const groups = `(SELECT json_group_array(json_array(g.id, g.display_name) ORDER BY g.display_name_lower, g.id) FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE gm.user_id = u.id AND g.org_id = u.org_id AND g.visibility = 'public') AS groups_json`;
const variants: Record<string, string> = {
  current: `SELECT ${cols}, ${groups} FROM (SELECT * FROM users u WHERE u.org_id = ? AND u.active = 1 ORDER BY u.seq LIMIT 100 OFFSET ?) u JOIN divisions d ON d.id = u.division_id LEFT JOIN users m ON m.id = u.manager_id ORDER BY u.seq`,
  deferred: `SELECT ${cols}, ${groups} FROM (SELECT seq FROM users WHERE org_id = ? AND active = 1 ORDER BY seq LIMIT 100 OFFSET ?) p JOIN users u ON u.seq = p.seq JOIN divisions d ON d.id = u.division_id LEFT JOIN users m ON m.id = u.manager_id ORDER BY u.seq`,
  flat: `SELECT ${cols}, ${groups} FROM users u JOIN divisions d ON d.id = u.division_id LEFT JOIN users m ON m.id = u.manager_id WHERE u.org_id = ? AND u.active = 1 ORDER BY u.seq LIMIT 100 OFFSET ?`,
};
for (const off of [0, 17999]) for (const [name, sql] of Object.entries(variants)) {
  const st = db.prepare(sql);
  for (let i = 0; i < 100; i++) st.all(org, off);
  const t = process.hrtime.bigint();
  for (let i = 0; i < 300; i++) st.all(org, off);
  const rows = st.all(org, off) as { seq: number }[];
  console.log(off, name, (Number(process.hrtime.bigint() - t) / 1e6 / 300).toFixed(3), 'ms', rows.length, rows[0].seq, rows[99].seq);
}
for (const name of ['deferred', 'flat']) console.log(name, (db.prepare(`EXPLAIN QUERY PLAN ${variants[name]}`).all(org, 0) as any[]).map((r) => r.detail).join(' | '));
