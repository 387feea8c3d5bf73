// The schema both dialects share, as versioned migrations. The DDL is written once; a dialect
// supplies its few type spellings. Append only: never edit a step that has shipped. One module
// on purpose (over 350 lines): the steps are one ordered list, read top to bottom.

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export interface DdlDialect {
  /** An auto-incrementing integer primary key. */
  readonly serial: string;
  /** A 64-bit integer. */
  readonly bigint: string;
  /** Table option for tables whose primary key is their only access path (SQLite). */
  readonly withoutRowid: string;
  /**
   * Per-organization user counts kept by triggers in one row per organization. Right for
   * SQLite (one writer, so the counter row costs nothing); wrong for PostgreSQL, where every
   * create in an organization would queue on that one row across all nodes: there the counts
   * are kept in 16 slots per organization (migration 8) and summed when read.
   */
  readonly countRowPerOrganization: boolean;
  /**
   * The DDL that records, on each audit row, its transaction in commit-comparable form, where
   * several writers commit out of sequence order (PostgreSQL: the row's `xid8`). Empty where
   * one writer commits in sequence order (SQLite).
   */
  readonly auditCommitOrder: string;
  /** Epoch milliseconds of a column holding an ISO 8601 time, as an integer expression. */
  readonly epochMs: (column: string) => string;
}

export const SQLITE_DDL: DdlDialect = { serial: 'INTEGER PRIMARY KEY', bigint: 'INTEGER', withoutRowid: ' WITHOUT ROWID', countRowPerOrganization: true, auditCommitOrder: '',
  epochMs: (c) => `CAST(ROUND((julianday(${c}) - 2440587.5) * 86400000) AS INTEGER)`,
};
export const POSTGRES_DDL: DdlDialect = {
  serial: 'BIGSERIAL PRIMARY KEY', bigint: 'BIGINT', withoutRowid: '', countRowPerOrganization: false,
  // Rows written before this step have none: they come first.
  auditCommitOrder: `ALTER TABLE audits ADD COLUMN xid xid8;
ALTER TABLE audits ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
CREATE INDEX audits_org_xid ON audits(org_id, xid, seq);`,
  epochMs: (c) => `(EXTRACT(EPOCH FROM ${c}::timestamptz) * 1000)::bigint`,
};

const USER_COUNTS = `
CREATE TABLE org_user_counts (org_id TEXT PRIMARY KEY, total INTEGER NOT NULL, active INTEGER NOT NULL);
INSERT INTO org_user_counts (org_id, total, active) SELECT org_id, COUNT(*), SUM(active) FROM users GROUP BY org_id;
CREATE TRIGGER users_count_insert AFTER INSERT ON users BEGIN
  INSERT INTO org_user_counts (org_id, total, active) VALUES (NEW.org_id, 1, NEW.active)
    ON CONFLICT(org_id) DO UPDATE SET total = total + 1, active = active + NEW.active;
END;
CREATE TRIGGER users_count_delete AFTER DELETE ON users BEGIN
  UPDATE org_user_counts SET total = total - 1, active = active - OLD.active WHERE org_id = OLD.org_id;
END;
CREATE TRIGGER users_count_active AFTER UPDATE OF active ON users WHEN NEW.active <> OLD.active BEGIN
  UPDATE org_user_counts SET active = active + NEW.active - OLD.active WHERE org_id = NEW.org_id;
END;
`;

// PostgreSQL: each change adds its delta to one of 16 rows of its organization, picked at
// random, so that concurrent writers rarely wait on one another; a count is the sum.
const SLOTTED_USER_COUNTS = `
CREATE TABLE org_user_counts (org_id TEXT NOT NULL, slot INTEGER NOT NULL, total BIGINT NOT NULL, active BIGINT NOT NULL, PRIMARY KEY (org_id, slot));
INSERT INTO org_user_counts (org_id, slot, total, active) SELECT org_id, 0, COUNT(*), SUM(active) FROM users GROUP BY org_id;
-- SET search_path FROM CURRENT: the function finds its table whatever the writing session's path.
CREATE FUNCTION scimitar_count_users() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  s INTEGER := floor(random() * 16);
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO org_user_counts AS c (org_id, slot, total, active) VALUES (NEW.org_id, s, 1, NEW.active)
      ON CONFLICT (org_id, slot) DO UPDATE SET total = c.total + 1, active = c.active + NEW.active;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO org_user_counts AS c (org_id, slot, total, active) VALUES (OLD.org_id, s, -1, -OLD.active)
      ON CONFLICT (org_id, slot) DO UPDATE SET total = c.total - 1, active = c.active - OLD.active;
  ELSIF NEW.active <> OLD.active THEN
    INSERT INTO org_user_counts AS c (org_id, slot, total, active) VALUES (NEW.org_id, s, 0, NEW.active - OLD.active)
      ON CONFLICT (org_id, slot) DO UPDATE SET active = c.active + NEW.active - OLD.active;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER users_count AFTER INSERT OR DELETE OR UPDATE OF active ON users FOR EACH ROW EXECUTE FUNCTION scimitar_count_users();
`;

export function migrations(d: DdlDialect): readonly Migration[] {
  return [
    {
      version: 1,
      name: 'directory, users, groups, tokens',
      sql: `
CREATE TABLE organizations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  name_lower TEXT NOT NULL UNIQUE,
  scim_profile TEXT NOT NULL CHECK (scim_profile IN ('genesys', 'standard')),
  created TEXT NOT NULL
);
CREATE TABLE divisions (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  name TEXT NOT NULL,
  name_lower TEXT NOT NULL,
  description TEXT,
  is_home INTEGER NOT NULL DEFAULT 0,
  created TEXT NOT NULL,
  UNIQUE (org_id, name_lower)
);
CREATE TABLE roles (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  name TEXT NOT NULL,
  name_lower TEXT NOT NULL,
  description TEXT,
  permissions TEXT NOT NULL,
  UNIQUE (org_id, name_lower)
);
CREATE TABLE oauth_clients (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'inactive')),
  role_divisions TEXT NOT NULL,
  created TEXT NOT NULL
);
CREATE INDEX oauth_clients_org ON oauth_clients(org_id);
CREATE TABLE tokens (
  token_hash TEXT PRIMARY KEY,
  client_id TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
  org_id TEXT NOT NULL,
  expires_at ${d.bigint} NOT NULL
);
CREATE INDEX tokens_client ON tokens(client_id);
CREATE INDEX tokens_expiry ON tokens(expires_at);
CREATE TABLE routing_names (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  kind TEXT NOT NULL CHECK (kind IN ('skill', 'language')),
  name TEXT NOT NULL,
  UNIQUE (org_id, kind, name)
);
CREATE TABLE users (
  seq ${d.serial},
  id TEXT NOT NULL UNIQUE,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  user_name TEXT NOT NULL,
  user_name_lower TEXT NOT NULL,
  external_id TEXT,
  display_name TEXT,
  display_name_lower TEXT,
  active INTEGER NOT NULL,
  division_id TEXT NOT NULL REFERENCES divisions(id),
  manager_id TEXT REFERENCES users(id) ON DELETE SET NULL,
  version ${d.bigint} NOT NULL,
  created TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  data TEXT NOT NULL,
  password_hash TEXT
);
CREATE UNIQUE INDEX users_org_user_name ON users(org_id, user_name_lower);
CREATE INDEX users_org_external_id ON users(org_id, external_id);
CREATE INDEX users_org_display_name ON users(org_id, display_name_lower);
CREATE INDEX users_org_division ON users(org_id, division_id);
CREATE INDEX users_manager ON users(manager_id);
CREATE INDEX users_org_seq ON users(org_id, seq);
CREATE TABLE groups (
  seq ${d.serial},
  id TEXT NOT NULL UNIQUE,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  display_name TEXT NOT NULL,
  display_name_lower TEXT NOT NULL,
  external_id TEXT,
  description TEXT,
  type TEXT NOT NULL CHECK (type IN ('official', 'social')),
  visibility TEXT NOT NULL CHECK (visibility IN ('public', 'members', 'owners')),
  version ${d.bigint} NOT NULL,
  created TEXT NOT NULL,
  last_modified TEXT NOT NULL
);
CREATE UNIQUE INDEX groups_org_display_name ON groups(org_id, display_name_lower);
CREATE INDEX groups_org_external_id ON groups(org_id, external_id);
CREATE TABLE group_members (
  group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
)${d.withoutRowid};
CREATE INDEX group_members_user ON group_members(user_id);
`,
    },
    {
      version: 2,
      name: 'audit trail',
      sql: `
CREATE TABLE audits (
  seq ${d.serial},
  id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  time TEXT NOT NULL,
  client_id TEXT,
  request_id TEXT,
  action TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  changes TEXT NOT NULL
);
CREATE INDEX audits_org_seq ON audits(org_id, seq);
CREATE INDEX audits_org_resource ON audits(org_id, resource_id, seq);
CREATE INDEX audits_org_client ON audits(org_id, client_id, seq);
CREATE INDEX audits_time ON audits(time);
`,
    },
    {
      version: 3,
      name: 'covering index for active-user counts',
      // Genesys lists only active users by default; counting them reads this index alone.
      sql: 'CREATE INDEX users_org_active ON users(org_id, active);',
    },
    {
      version: 4,
      name: 'per-organization user counts',
      // Unfiltered lists report totalResults from here instead of counting every row.
      sql: d.countRowPerOrganization ? USER_COUNTS : 'SELECT 1;',
    },
    {
      version: 5,
      name: 'audit records carry the division of the user they describe',
      // Division-scoped audit viewers read only their divisions' records.
      sql: 'ALTER TABLE audits ADD COLUMN division_id TEXT;',
    },
    {
      version: 6,
      name: 'server keys',
      // Keys every node shares (the one that signs list cursors), made once by whichever node needs one first.
      sql: 'CREATE TABLE server_keys (name TEXT PRIMARY KEY, value TEXT NOT NULL);',
    },
    {
      version: 7,
      name: 'refused requests, console users and sessions',
      // refusals: why a request was refused (the activity feed); user_grants: roles a
      // directory user holds for the console, per division; console_sessions and
      // setup_tokens hold only digests of what the browser or the first-run link carries.
      sql: `
CREATE TABLE refusals (
  seq ${d.serial},
  id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  time TEXT NOT NULL,
  client_id TEXT,
  request_id TEXT,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  status INTEGER NOT NULL,
  scim_type TEXT,
  detail TEXT NOT NULL,
  body TEXT
);
CREATE INDEX refusals_org_seq ON refusals(org_id, seq);
CREATE INDEX refusals_time ON refusals(time);
CREATE TABLE user_grants (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role_id TEXT NOT NULL REFERENCES roles(id),
  division_id TEXT NOT NULL,
  PRIMARY KEY (user_id, role_id, division_id)
);
CREATE INDEX user_grants_role ON user_grants(role_id);
CREATE TABLE console_sessions (
  id_hash TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf TEXT NOT NULL,
  created ${d.bigint} NOT NULL,
  last_seen ${d.bigint} NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions(user_id);
CREATE TABLE setup_tokens (
  token_hash TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  expires_at ${d.bigint} NOT NULL,
  used_at ${d.bigint}
);
`,
    },
    {
      version: 8,
      name: 'per-organization user counts on PostgreSQL, in slots',
      // A page's totalResults without counting every row (a COUNT of an organization's users
      // is a sequential scan on PostgreSQL). SQLite has kept its counts since version 4.
      sql: d.countRowPerOrganization ? 'SELECT 1;' : SLOTTED_USER_COUNTS,
    },
    {
      version: 9,
      name: 'active users of an organization in list order',
      // The genesys profile's unfiltered page (active users by seq) is a range of this index,
      // with no sort: PostgreSQL sorted every active user for a page when it had no statistics
      // yet (after a bulk load). SQLite's indexes end in the rowid (seq) anyway.
      sql: 'CREATE INDEX users_org_active_seq ON users(org_id, active, seq);\nDROP INDEX users_org_active;',
    },
    {
      version: 10,
      name: 'the default SCIM Provisioning role without password and grant rights',
      // Organizations created with the earlier default role, left as it was made: the role
      // loses directory:user:setPassword and authorization:grant:* (a provisioning token that
      // could set a console administrator's password was an administrator's key). A role an
      // administrator has edited since is left alone.
      sql: `UPDATE roles SET permissions = '${JSON.stringify(['directory:user:view', 'directory:user:add', 'directory:user:edit', 'directory:user:delete', 'directory:group:*', 'routing:skill:assign', 'routing:language:assign', 'telephony:extension:assign'])}',
  description = 'What an identity provider needs: users, groups, skills, languages and extensions'
  WHERE name = 'SCIM Provisioning' AND permissions = '${JSON.stringify(['directory:user:*', 'directory:group:*', 'authorization:grant:add', 'authorization:grant:delete', 'routing:skill:assign', 'routing:language:assign', 'telephony:extension:assign'])}';`,
    },
    {
      version: 11,
      name: 'refused validate-only requests are marked',
      // A validate-only write that was refused changed nothing even had it passed: the
      // activity feed says so, apart from refusals of real writes.
      sql: 'ALTER TABLE refusals ADD COLUMN validate_only INTEGER;',
    },
    {
      version: 12,
      name: 'a token lifetime per OAuth client',
      // Genesys sets the lifetime per client (accessTokenValiditySeconds); NULL keeps the
      // server's default, so clients made before this version issue tokens as they did.
      sql: 'ALTER TABLE oauth_clients ADD COLUMN token_ttl_seconds INTEGER;',
    },
    {
      version: 13,
      name: 'secret tokens',
      // Long-lived tokens issued for Entra's "Secret Token" field live beside access tokens
      // (the same lookup authenticates both), with an id to list and revoke them by.
      sql: `ALTER TABLE tokens ADD COLUMN secret_id TEXT;
ALTER TABLE tokens ADD COLUMN created ${d.bigint};
CREATE UNIQUE INDEX tokens_secret ON tokens(secret_id);
CREATE INDEX tokens_org_secret ON tokens(org_id, secret_id);`,
    },
    {
      version: 14,
      name: 'workload identity federation',
      // A client may authenticate with a JWT (RFC 7523) from a configured issuer about a
      // configured subject; one client per issuer and subject, so the JWT names its client.
      sql: `ALTER TABLE oauth_clients ADD COLUMN fed_issuer TEXT;
ALTER TABLE oauth_clients ADD COLUMN fed_subject TEXT;
ALTER TABLE oauth_clients ADD COLUMN fed_audience TEXT;
ALTER TABLE oauth_clients ADD COLUMN fed_jwks_uri TEXT;
CREATE UNIQUE INDEX oauth_clients_federation ON oauth_clients(fed_issuer, fed_subject);`,
    },
    {
      version: 15,
      name: 'request log',
      // Every SCIM, token and administration request, reads and 401s included, with how it
      // authenticated: "is Entra reaching us, and why is it refused?". Pruned by age and size.
      sql: `CREATE TABLE requests (
  seq ${d.serial},
  id TEXT NOT NULL,
  org_id TEXT,
  time TEXT NOT NULL,
  client_id TEXT,
  request_id TEXT,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  status INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  auth TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX requests_org_seq ON requests(org_id, seq);
CREATE INDEX requests_time ON requests(time);`,
    },
    {
      version: 16,
      name: 'change events',
      // Every accepted change of a user or group is already an audit row written in the
      // change's own transaction: the audit trail is the outbox. An event also says the
      // resource's version after the change (its ETag), and on PostgreSQL the row's
      // transaction, so that readers take events in commit order without gaps.
      sql: `ALTER TABLE audits ADD COLUMN version ${d.bigint};
${d.auditCommitOrder || 'SELECT 1;'}`,
    },
    {
      version: 17,
      name: 'webhooks',
      // A subscription carries its own delivery state: the position of the last event it
      // acknowledged (events go out in order, one subscription at a time), its retry clock and
      // the lease of the node sending for it. The secret is sealed: it signs, so it cannot be
      // a digest. The delivery log keeps every attempt.
      sql: `CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  url TEXT NOT NULL,
  description TEXT,
  event_types TEXT NOT NULL,
  division_ids TEXT,
  enabled INTEGER NOT NULL,
  secret TEXT NOT NULL,
  created TEXT NOT NULL,
  position_commit TEXT NOT NULL,
  position_seq ${d.bigint} NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt ${d.bigint} NOT NULL,
  lease_until ${d.bigint} NOT NULL,
  lease_owner TEXT,
  disabled_reason TEXT
);
CREATE INDEX webhooks_org ON webhooks(org_id, created);
CREATE INDEX webhooks_due ON webhooks(enabled, next_attempt);
CREATE TABLE webhook_deliveries (
  seq ${d.serial},
  webhook_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  time TEXT NOT NULL,
  status INTEGER,
  latency_ms INTEGER NOT NULL,
  error TEXT,
  response TEXT
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, seq);
CREATE INDEX webhook_deliveries_time ON webhook_deliveries(time);`,
    },
    {
      version: 18,
      name: 'security event tokens',
      // A subscription's events go out as Standard Webhooks (signed with its secret) or as
      // RFC 9967 Security Event Tokens (signed with the organization's key), pushed to its
      // URL (RFC 8935) or held until the receiver polls for them (RFC 8936; no URL).
      sql: `ALTER TABLE webhooks ADD COLUMN format TEXT NOT NULL DEFAULT 'webhook';
ALTER TABLE webhooks ADD COLUMN delivery_method TEXT NOT NULL DEFAULT 'push';`,
    },
    {
      version: 19,
      name: 'provisioning jobs',
      // A job carries its own run state, as a webhook subscription does: the last change event
      // pushed, the next full reconciliation, the quarantine backoff, and the lease of the node
      // running it. What it last sent per source object is its state (no file of its own); its
      // log keeps what each cycle did to each object.
      sql: `CREATE TABLE provisioning_jobs (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  name TEXT NOT NULL,
  created TEXT NOT NULL,
  config TEXT NOT NULL,
  target_secret TEXT NOT NULL,
  status TEXT NOT NULL,
  pilot INTEGER NOT NULL,
  position_commit TEXT NOT NULL,
  position_seq ${d.bigint} NOT NULL,
  next_full ${d.bigint} NOT NULL,
  next_run ${d.bigint} NOT NULL,
  health TEXT NOT NULL,
  last_cycle TEXT,
  lease_until ${d.bigint} NOT NULL,
  lease_owner TEXT
);
CREATE INDEX provisioning_jobs_org ON provisioning_jobs(org_id, created);
CREATE INDEX provisioning_jobs_due ON provisioning_jobs(status, next_run);
CREATE TABLE provisioning_state (
  job_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  source_id TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (job_id, kind, source_id)
);
CREATE TABLE provisioning_log (
  seq ${d.serial},
  job_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  time TEXT NOT NULL,
  cycle TEXT NOT NULL,
  object_kind TEXT NOT NULL,
  source_id TEXT NOT NULL,
  name TEXT NOT NULL,
  action TEXT NOT NULL,
  reason TEXT,
  target_id TEXT,
  changes TEXT,
  errors TEXT
);
CREATE INDEX provisioning_log_job ON provisioning_log(job_id, seq);
CREATE INDEX provisioning_log_time ON provisioning_log(time);`,
    },
    {
      version: 20,
      name: 'provisioning on demand steps',
      // Provisioning on demand keeps each request it sent and the target's answer with its log
      // entry: the console shows them after a redirect (a reload does not run it again), and
      // they stay in the log like Entra's on-demand history.
      sql: 'ALTER TABLE provisioning_log ADD COLUMN steps TEXT;',
    },
    {
      version: 21,
      name: 'provisioning current cycle',
      // The cycle a job is running now and how far it has got, written by the node that runs
      // it every few seconds: any node's status answer and console page can show it.
      sql: 'ALTER TABLE provisioning_jobs ADD COLUMN current_cycle TEXT;',
    },
    {
      version: 22,
      name: 'request log time as a number',
      // The request log's time range (pruning, the 24-hour chart, from/to) reads an index on
      // epoch milliseconds instead of one on the ISO text: every request inserts into it, and
      // on SQLite the text index was 40% of a row's insert (2.8 of 7 us; the integer one 0.4).
      sql: `ALTER TABLE requests ADD COLUMN at ${d.bigint} NOT NULL DEFAULT 0;
UPDATE requests SET at = ${d.epochMs('time')};
DROP INDEX requests_time;
CREATE INDEX requests_at ON requests(at);`,
    },
    {
      version: 23,
      name: 'group version slots',
      // A membership write without If-Match counts its change in one of a group's slots
      // instead of updating the group row, so concurrent member adds to one group do not
      // queue on that row through their commits (PostgreSQL; SQLite's one writer moves the
      // group row and leaves this table empty). A group's version is its row's version plus
      // the sum of its slots; its lastModified the latest of the row's and the slots'.
      sql: `CREATE TABLE group_versions (
  group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  slot INTEGER NOT NULL,
  n ${d.bigint} NOT NULL,
  last_modified TEXT NOT NULL,
  PRIMARY KEY (group_id, slot)
)${d.withoutRowid};`,
    },
  ];
}
