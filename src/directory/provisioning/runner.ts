// The job runner, run by every server node: it leases running jobs (one node per job at a
// time; a lease runs out if its node dies, and another node takes the job over), and runs a
// cycle when the job's full reconciliation is due or change events arrived after the last
// position it pushed. The position is read before the cycle reads the directory, so a change
// committed during a cycle is pushed by the next. A cycle whose target refuses the
// credentials, or in which most objects fail, quarantines the job as Entra does: the next
// attempt comes after a doubling wait, up to a day; a healthy cycle ends it. A node also hears
// the change signal (its own writes at once, other nodes' by NOTIFY) and runs a round at once;
// when the feed does not show the change's events yet (on PostgreSQL an event is read only
// once every older transaction has ended) it waits up to SIGNAL_GRACE_MS for them, then reads
// the whole directory.
import type { HttpFetch } from '../../provision/scim-client.ts';
import { guardedFetch } from '../guarded-fetch.ts';
import type { TargetPolicy } from '../webhooks/target.ts';
import { randomUUID } from 'node:crypto';
import { assessCycle } from '../../provision/schedule.ts';
import { eventsOf } from '../../trail/events.ts';
import type { EventRow, JobCycleSummary, JobHealth, ProvisioningJobRecord, Store } from '../../store/contract.ts';
import type { ChangeSignal } from '../change-signal.ts';
import type { EventFeed } from '../events.ts';
import type { JobConfig } from './job-config.ts';
import { runJobCycle, type CycleKind, type CycleScope } from './job-cycle.ts';
import type { SecretBox } from './secret-box.ts';
import { WakeableLoop } from '../wakeable-loop.ts';

export const JOB_LEASE_MS = 30_000;
/** How often a running cycle's progress is written (the status's "current cycle"). */
const PROGRESS_MS = 2_000;
/** The first quarantine wait; it doubles with each quarantined cycle, up to a day. */
export const QUARANTINE_BASE_MS = 60_000;
const HOUR = 3_600_000;
/** A cycle for at most this many changed rows reads only the users they name. */
export const INCREMENTAL_ROWS = 1000;
/** How long a signalled change may stay unreadable in the feed before a cycle reads the whole directory for it. */
export const SIGNAL_GRACE_MS = 3000;

/**
 * The users a run of change events names, when a cycle for them alone is enough: only user
 * creates and updates. A deletion, a move between divisions or any group change needs the
 * whole directory (deprovisioning, scope, memberships): undefined.
 */
export function changedUsersOf(rows: readonly EventRow[]): string[] | undefined {
  const ids = new Set<string>();
  for (const e of rows.flatMap(eventsOf)) {
    if (e.resource.type !== 'User' || e.type === 'user.deleted' || e.type === 'user.moved') return undefined;
    ids.add(e.resource.id);
  }
  return ids.size > 0 ? [...ids] : undefined;
}

export interface RunnerOptions {
  readonly intervalMs?: number;
  readonly leaseMs?: number;
  readonly now?: () => number;
  readonly onError?: (err: unknown) => void;
  /** Where targets may be: each connection's address is checked after DNS (guarded-fetch.ts). */
  readonly policy: TargetPolicy;
  /** SCIMITAR_PROVISIONING_FILES_DIR, for file sources. */
  readonly filesDir?: string;
}

export class JobRunner {
  private readonly owner = randomUUID();
  private readonly loop: WakeableLoop;
  private readonly fetch: HttpFetch;
  /** A counter of signals, the last one of each organization, and where each job's last cycle here began. */
  private signals = 0;
  private readonly signalledAt = new Map<string, number>();
  /** When each organization's oldest signal not yet run for arrived (epoch ms). */
  private readonly signalTime = new Map<string, number>();
  private readonly ranAt = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly feed: EventFeed,
    private readonly box: SecretBox | undefined,
    changes: ChangeSignal | undefined,
    private readonly options: RunnerOptions,
  ) {
    this.fetch = guardedFetch(options.policy);
    this.loop = new WakeableLoop(async () => (await this.tick()) > 0, { intervalMs: options.intervalMs ?? 1000 });
    changes?.watch((orgId) => {
      this.signalledAt.set(orgId, ++this.signals);
      if (!this.signalTime.has(orgId)) this.signalTime.set(orgId, Date.now());
      this.loop.poke();
    });
  }

  start(onError?: (err: unknown) => void): void {
    this.loop.start(onError ?? this.options.onError ?? (() => undefined));
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** One round: each job this node could lease, run when something is due. Returns the cycles run. */
  async tick(): Promise<number> {
    if (!this.box) return 0;
    const lease = this.options.leaseMs ?? JOB_LEASE_MS;
    const jobs = await this.store.claimJobs(this.now(), this.now() + lease, this.owner, 5);
    let cycles = 0;
    for (const job of jobs) {
      // A long cycle keeps its lease; a node that dies stops renewing it.
      const keep = setInterval(() => void this.store.extendJobLease(job.id, this.owner, this.now() + lease).catch(() => undefined), lease / 3);
      try {
        if (await this.runIfDue(job)) cycles++;
        // A cycle a dead node left marked as running is over.
        else if (job.currentCycle) await this.store.setJobCurrentCycle(job.id, this.owner, undefined);
      } finally {
        clearInterval(keep);
        await this.store.releaseJob(job.id, this.owner);
      }
    }
    return cycles;
  }

  private async runIfDue(job: ProvisioningJobRecord): Promise<boolean> {
    const c = job.config as unknown as JobConfig;
    const now = this.now();
    const full = job.nextFull <= now;
    // A job whose source is not this directory (Microsoft Graph, files) is not told of changes: it
    // reads the whole source every intervalMinutes (claimJobs takes it when nextRun is due).
    if (c.source.type !== 'directory') return this.runScheduled(job, c, c.source.intervalMinutes, now, full);
    // The newest readable event: read only where a round needs it (most rounds find nothing to do).
    const newest = async () => (await this.feed.latest(job.orgId)) ?? job.position;
    const signalled = (this.signalledAt.get(job.orgId) ?? 0) > (this.ranAt.get(job.id) ?? 0);
    const rows = full ? [] : await this.feed.rows(job.orgId, job.position, INCREMENTAL_ROWS + 1, c.divisionIds);
    if (!full && rows.length === 0) {
      // A signal whose events the feed does not show yet (PostgreSQL shows an event once every
      // older transaction has ended): wait for them a little, then read the whole directory.
      if (!signalled || Date.now() - (this.signalTime.get(job.orgId) ?? Date.now()) < SIGNAL_GRACE_MS) {
        // Events outside the job's divisions move its position on without a cycle (a job of every
        // division that read no rows has no events after its position).
        if (!signalled && c.divisionIds) {
          const latest = await newest();
          if (latest.commit !== job.position.commit || latest.seq !== job.position.seq) await this.save(job, { position: latest, nextFull: job.nextFull, nextRun: 0, health: job.health });
        }
        return false;
      }
    }
    // Events that aged out of the retention while the job was stopped: the changes they stood
    // for are unknown, so the cycle reads the whole directory.
    const few = !full && rows.length > 0 && rows.length <= INCREMENTAL_ROWS && !(await this.feed.expiredAfter(job.orgId, job.position, c.divisionIds));
    const changedUsers = few ? changedUsersOf(rows) : undefined;
    // A cycle for a few users moves the position past their rows only; one over the whole directory past everything read before it began.
    // (Read before the cycle reads the directory: a change committed during the cycle is the next one's.)
    const reached = changedUsers ? rows.at(-1)!.position : await newest();
    const kind: CycleKind = full ? 'full' : 'changes';
    // Noted before the cycle reads the directory: a change signalled meanwhile runs the next round.
    this.ranAt.set(job.id, this.signals);
    this.signalTime.delete(job.orgId);
    const { health, nextRun, lastCycle } = await this.cycle(job, kind, changedUsers);
    // A quarantined cycle does not move the position: its changes are sent again when it ends.
    await this.save(job, {
      position: health.quarantined ? job.position : reached, nextFull: full && !health.quarantined ? now + c.fullEveryHours * HOUR : job.nextFull, nextRun, health,
      ...(lastCycle ? { lastCycle } : {}),
    });
    return true;
  }

  /** One cycle of a scheduled job; the next one `intervalMinutes` later, or after the quarantine's backoff. */
  private async runScheduled(job: ProvisioningJobRecord, c: JobConfig, intervalMinutes: number, now: number, full: boolean): Promise<boolean> {
    const { health, nextRun: backoff, lastCycle } = await this.cycle(job, full ? 'full' : 'changes');
    await this.save(job, {
      position: job.position, nextFull: full && !health.quarantined ? now + c.fullEveryHours * HOUR : job.nextFull, health,
      nextRun: health.quarantined ? backoff : now + intervalMinutes * 60_000, ...(lastCycle ? { lastCycle } : {}),
    });
    return true;
  }

  /** Runs one cycle and judges it (Entra's quarantine): the health to keep, and when a quarantined job tries again. */
  private async cycle(job: ProvisioningJobRecord, kind: CycleKind, changedUsers?: readonly string[]): Promise<{ health: JobHealth; nextRun: number; lastCycle?: JobCycleSummary }> {
    const now = this.now();
    // What the cycle is doing, for the status (any node's): written at its start, then at most every PROGRESS_MS.
    const startedAt = new Date(now).toISOString();
    let written = 0;
    // One write at a time, in order, all ended before the cycle's result is saved (which clears it).
    let writes = Promise.resolve();
    const progress = (step: string, done?: number, total?: number) => {
      if (step !== 'reading the source' && Date.now() - written < PROGRESS_MS && done !== total) return;
      written = Date.now();
      const current = { kind, startedAt, step, ...(done !== undefined ? { done } : {}), ...(total !== undefined ? { total } : {}) };
      writes = writes.then(() => this.store.setJobCurrentCycle(job.id, this.owner, current)).then(() => undefined, () => undefined);
    };
    try {
      return await this.judged(job, kind, now, changedUsers, progress);
    } finally {
      await writes;
    }
  }

  private async judged(job: ProvisioningJobRecord, kind: CycleKind, now: number, changedUsers: readonly string[] | undefined, progress: NonNullable<CycleScope['progress']>): Promise<{ health: JobHealth; nextRun: number; lastCycle?: JobCycleSummary }> {
    try {
      const r = await runJobCycle(this.store, { box: this.box!, fetch: this.fetch, ...(this.options.filesDir ? { filesDir: this.options.filesDir } : {}) }, job, kind, { changedUsers, progress });
      const assessed = assessCycle(r.report, r.authRefusals, job.health.quarantined ? { quarantined: true, level: job.health.level, nextInMs: 0 } : undefined, QUARANTINE_BASE_MS);
      const health = this.health(job, assessed.quarantined, assessed.reason, assessed.level);
      return { health, nextRun: assessed.quarantined ? now + assessed.nextInMs : 0, lastCycle: r.summary };
    } catch (e) {
      // The target (or the source) could not be reached at all, or the credentials do not open.
      const level = (job.health.quarantined ? job.health.level : 0) + 1;
      return { health: this.health(job, true, (e as Error).message, level), nextRun: now + Math.min(24 * HOUR, QUARANTINE_BASE_MS * 2 ** level) };
    }
  }

  private health(job: ProvisioningJobRecord, quarantined: boolean, reason: string | undefined, level: number): JobHealth {
    if (!quarantined) return { quarantined: false, level: 0 };
    return { quarantined: true, level, ...(reason ? { reason } : {}), since: job.health.quarantined && job.health.since ? job.health.since : new Date(this.now()).toISOString() };
  }

  private save(job: ProvisioningJobRecord, p: Parameters<Store['saveJobProgress']>[2]): Promise<boolean> {
    return this.store.saveJobProgress(job.id, this.owner, p);
  }
}
