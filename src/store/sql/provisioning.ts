// Provisioning jobs in SQL: the job rows with their run state, leased to one runner at a time
// (as webhooks are, with `leases` in shared.ts), each job's state between cycles, and its log.
import type { JobLogRecord, ProvisioningJobRecord, ProvisioningRepository } from '../contract.ts';
import type { DialectFeatures, Row, SqlExecutor } from './executor.ts';
import { chunks, leases, limit, one, placeholders, purgeBefore } from './shared.ts';

function toJob(r: Row): ProvisioningJobRecord {
  return {
    id: r.id as string, orgId: r.org_id as string, name: r.name as string, created: r.created as string,
    config: JSON.parse(r.config as string), targetSecret: r.target_secret as string,
    status: r.status as ProvisioningJobRecord['status'], pilot: Number(r.pilot) === 1,
    position: { commit: r.position_commit as string, seq: Number(r.position_seq) },
    nextFull: Number(r.next_full), nextRun: Number(r.next_run), health: JSON.parse(r.health as string),
    ...(r.last_cycle ? { lastCycle: JSON.parse(r.last_cycle as string) } : {}),
    ...(r.current_cycle ? { currentCycle: JSON.parse(r.current_cycle as string) } : {}),
  };
}

function toLog(r: Row): JobLogRecord {
  return {
    seq: Number(r.seq), jobId: r.job_id as string, orgId: r.org_id as string, time: r.time as string, cycle: r.cycle as JobLogRecord['cycle'],
    objectKind: r.object_kind as JobLogRecord['objectKind'], sourceId: r.source_id as string, name: r.name as string, action: r.action as string,
    ...(r.reason ? { reason: r.reason as string } : {}), ...(r.target_id ? { targetId: r.target_id as string } : {}),
    ...(r.changes ? { changes: JSON.parse(r.changes as string) } : {}), ...(r.errors ? { errors: JSON.parse(r.errors as string) } : {}),
    ...(r.steps ? { steps: JSON.parse(r.steps as string) } : {}),
  };
}

export function provisioningRepository(db: SqlExecutor, features: DialectFeatures): ProvisioningRepository {
  const lease = leases(db, features, 'provisioning_jobs', "status = 'running' AND next_run <= ?", 'next_run');
  return {
    async createJob(j) {
      await db.run(
        `INSERT INTO provisioning_jobs (id, org_id, name, created, config, target_secret, status, pilot, position_commit, position_seq, next_full, next_run, health, last_cycle, lease_until, lease_owner)
          VALUES (${placeholders(16)})`,
        [j.id, j.orgId, j.name, j.created, JSON.stringify(j.config), j.targetSecret, j.status, j.pilot ? 1 : 0, j.position.commit, j.position.seq, j.nextFull, j.nextRun,
          JSON.stringify(j.health), j.lastCycle ? JSON.stringify(j.lastCycle) : null, 0, null],
      );
    },
    getJob: (orgId, id) => one(db, 'SELECT * FROM provisioning_jobs WHERE org_id = ? AND id = ?', [orgId, id], toJob),
    async listJobs(orgId) {
      return (await db.all('SELECT * FROM provisioning_jobs WHERE org_id = ? ORDER BY created, id', [orgId])).map(toJob);
    },
    async updateJob(j) {
      return (await db.run(
        'UPDATE provisioning_jobs SET name = ?, config = ?, target_secret = ?, status = ?, pilot = ? WHERE org_id = ? AND id = ?',
        [j.name, JSON.stringify(j.config), j.targetSecret, j.status, j.pilot ? 1 : 0, j.orgId, j.id],
      )) === 1;
    },
    async resetJob(orgId, id, position) {
      const health = JSON.stringify({ quarantined: false, level: 0 });
      return (await db.run(
        `UPDATE provisioning_jobs SET next_full = 0, next_run = 0, health = ?${position ? ', position_commit = ?, position_seq = ?' : ''} WHERE org_id = ? AND id = ?`,
        [health, ...(position ? [position.commit, position.seq] : []), orgId, id],
      )) === 1;
    },
    async deleteJob(orgId, id) {
      const gone = (await db.run('DELETE FROM provisioning_jobs WHERE org_id = ? AND id = ?', [orgId, id])) === 1;
      if (gone) {
        await db.run('DELETE FROM provisioning_state WHERE job_id = ?', [id]);
        await db.run('DELETE FROM provisioning_log WHERE org_id = ? AND job_id = ?', [orgId, id]);
      }
      return gone;
    },
    claimJobs: async (now, leaseUntil, owner, n) => (await lease.claim(now, leaseUntil, owner, n)).map(toJob),
    async saveJobProgress(id, owner, p) {
      return (await db.run(
        'UPDATE provisioning_jobs SET position_commit = ?, position_seq = ?, next_full = ?, next_run = ?, health = ?, last_cycle = COALESCE(?, last_cycle), current_cycle = NULL WHERE id = ? AND lease_owner = ?',
        [p.position.commit, p.position.seq, p.nextFull, p.nextRun, JSON.stringify(p.health), p.lastCycle ? JSON.stringify(p.lastCycle) : null, id, owner],
      )) === 1;
    },
    setJobCurrentCycle: async (id, owner, current) =>
      (await db.run('UPDATE provisioning_jobs SET current_cycle = ? WHERE id = ? AND lease_owner = ?', [current ? JSON.stringify(current) : null, id, owner])) === 1,
    claimJob: async (id, now, leaseUntil, owner) => (await db.run('UPDATE provisioning_jobs SET lease_until = ?, lease_owner = ? WHERE id = ? AND lease_until < ?', [leaseUntil, owner, id, now])) === 1,
    releaseJob: (id, owner) => lease.release(id, owner),
    extendJobLease: async (id, owner, leaseUntil) => (await db.run('UPDATE provisioning_jobs SET lease_until = ? WHERE id = ? AND lease_owner = ?', [leaseUntil, id, owner])) === 1,
    async loadJobState(jobId, sourceIds) {
      const read = (ids?: readonly string[]) => db.all(`SELECT kind, source_id, data FROM provisioning_state WHERE job_id = ?${ids ? ` AND source_id IN (${placeholders(ids.length)})` : ''}`, [jobId, ...(ids ?? [])]);
      const rows = sourceIds ? (await Promise.all(chunks(sourceIds).map(read))).flat() : await read();
      return rows.map((r) => ({ kind: r.kind as 'user' | 'group' | 'escrow', sourceId: r.source_id as string, data: r.data as string }));
    },
    async putJobState(jobId, kind, sourceId, data) {
      if (data === undefined) {
        await db.run('DELETE FROM provisioning_state WHERE job_id = ? AND kind = ? AND source_id = ?', [jobId, kind, sourceId]);
        return;
      }
      // Only while the job exists: a cycle still running when its job is deleted leaves no state behind.
      await db.run(
        `INSERT INTO provisioning_state (job_id, kind, source_id, data) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM provisioning_jobs WHERE id = ?)
          ON CONFLICT (job_id, kind, source_id) DO UPDATE SET data = excluded.data`,
        [jobId, kind, sourceId, data, jobId],
      );
    },
    clearJobState: async (jobId) => void (await db.run('DELETE FROM provisioning_state WHERE job_id = ?', [jobId])),
    async insertJobLogs(rows) {
      for (const l of rows) {
        await db.run(
          `INSERT INTO provisioning_log (job_id, org_id, time, cycle, object_kind, source_id, name, action, reason, target_id, changes, errors, steps) VALUES (${placeholders(13)})`,
          [l.jobId, l.orgId, l.time, l.cycle, l.objectKind, l.sourceId, l.name, l.action, l.reason ?? null, l.targetId ?? null,
            l.changes && l.changes.length > 0 ? JSON.stringify(l.changes) : null, l.errors && l.errors.length > 0 ? JSON.stringify(l.errors) : null,
            l.steps && l.steps.length > 0 ? JSON.stringify(l.steps) : null],
        );
      }
    },
    async listJobLogs(orgId, jobId, q) {
      const where = ['org_id = ?', 'job_id = ?'];
      const args: unknown[] = [orgId, jobId];
      if (q.before !== undefined) (where.push('seq < ?'), args.push(q.before));
      if (q.sourceId !== undefined) (where.push('(source_id = ? OR name = ?)'), args.push(q.sourceId, q.sourceId));
      if (q.action !== undefined) (where.push('action = ?'), args.push(q.action));
      return (await db.all(`SELECT * FROM provisioning_log WHERE ${where.join(' AND ')} ORDER BY seq DESC ${limit(q.limit)}`, args)).map(toLog);
    },
    deleteJobLogsBefore: (time) => purgeBefore(db, 'provisioning_log', time),
  };
}
