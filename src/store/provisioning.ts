// The provisioning aggregate: jobs that push an organization's directory to a downstream SCIM
// service (their configuration, sealed target credentials, run state and lease), the state
// each job keeps between cycles (what it last sent, per source object), and its log.
import type { EventPosition } from './trail.ts';
import type { JsonObject } from '../scim/index.ts';

export type JobStatus = 'stopped' | 'running';

export interface JobHealth {
  readonly quarantined: boolean;
  readonly reason?: string;
  /** When the quarantine began (ISO). */
  readonly since?: string;
  /** Consecutive quarantined cycles. */
  readonly level: number;
}

export interface JobCycleSummary {
  readonly kind: 'full' | 'changes' | 'on-demand';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly pilot: boolean;
  readonly counts: Readonly<Record<string, number>>;
  readonly stopped?: string;
}

export interface ProvisioningJobRecord {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly created: string;
  /** What an administrator configures (source, target URL, mappings, scope, policies, divisions, schedule). */
  readonly config: JsonObject;
  /** The target's credentials (a bearer token or OAuth client credentials), sealed with SCIMITAR_SECRET_KEY. */
  readonly targetSecret: string;
  readonly status: JobStatus;
  /** Validate-only pilot: every write is sent with `Prefer: validate-only` (or not at all). */
  readonly pilot: boolean;
  /** The last change event the job has pushed. */
  readonly position: EventPosition;
  /** Epoch ms of the next full reconciliation (0: at once). */
  readonly nextFull: number;
  /** Epoch ms before which the job does not run (quarantine backoff; 0: any time). */
  readonly nextRun: number;
  readonly health: JobHealth;
  readonly lastCycle?: JobCycleSummary;
  /** The cycle running now, as far as it has got (absent between cycles). */
  readonly currentCycle?: CurrentCycle;
}

/** Entra's "current cycle status": what a running cycle is doing, and how many of how many. */
export interface CurrentCycle {
  readonly kind: JobCycleSummary['kind'];
  readonly startedAt: string;
  /** 'reading the source', 'users', 'groups', ... */
  readonly step: string;
  readonly done?: number;
  readonly total?: number;
}

/** What a job's runner changes as it goes. */
export interface JobProgress {
  readonly position: EventPosition;
  readonly nextFull: number;
  readonly nextRun: number;
  readonly health: JobHealth;
  readonly lastCycle?: JobCycleSummary;
}

/** One entry of a job's provisioning log: what one cycle did to one object, and why. */
export interface JobLogRecord {
  readonly seq?: number;
  readonly jobId: string;
  readonly orgId: string;
  readonly time: string;
  readonly cycle: JobCycleSummary['kind'];
  readonly objectKind: 'user' | 'group';
  readonly sourceId: string;
  readonly name: string;
  readonly action: string;
  readonly reason?: string;
  readonly targetId?: string;
  readonly changes?: readonly { readonly path: string; readonly before?: unknown; readonly after?: unknown }[];
  readonly errors?: readonly string[];
  /** Provisioning on demand: each request sent and the target's answer. */
  readonly steps?: readonly OnDemandStep[];
}

export interface OnDemandStep {
  readonly request: { readonly method: string; readonly path: string; readonly body?: unknown; readonly validateOnly: boolean };
  readonly response: { readonly status: number; readonly body?: unknown };
}

export type JobStateKind = 'user' | 'group' | 'escrow';

export interface ProvisioningRepository {
  createJob(j: ProvisioningJobRecord): Promise<void>;
  getJob(orgId: string, id: string): Promise<ProvisioningJobRecord | undefined>;
  listJobs(orgId: string): Promise<ProvisioningJobRecord[]>;
  /** Writes what an administrator may change (name, config, secret, status, pilot); never the runner's state. */
  updateJob(j: ProvisioningJobRecord): Promise<boolean>;
  /** Makes the job due now with a clean health (start, restart), at `position` when given. */
  resetJob(orgId: string, id: string, position?: EventPosition): Promise<boolean>;
  /** Deletes the job with its state and log. */
  deleteJob(orgId: string, id: string): Promise<boolean>;
  /** Leases up to `limit` running jobs whose lease ran out and whose backoff is over: of several nodes, one gets each. */
  claimJobs(now: number, leaseUntil: number, owner: string, limit: number): Promise<ProvisioningJobRecord[]>;
  /** Leases this one job, running or not, when no one holds it (provisioning on demand); false when someone does. */
  claimJob(id: string, now: number, leaseUntil: number, owner: string): Promise<boolean>;
  /** What the cycle `owner` runs is doing now (undefined: none); false when it lost the lease. */
  setJobCurrentCycle(id: string, owner: string, current: CurrentCycle | undefined): Promise<boolean>;
  /** Records progress while `owner` holds the lease (and ends its current cycle); false when it lost it. */
  saveJobProgress(id: string, owner: string, p: JobProgress): Promise<boolean>;
  releaseJob(id: string, owner: string): Promise<void>;
  /** Keeps a long cycle's lease; false when `owner` lost it. */
  extendJobLease(id: string, owner: string, leaseUntil: number): Promise<boolean>;
  /** The job's state between cycles: JSON per object, by kind and source id (of these source ids only, when given). */
  loadJobState(jobId: string, sourceIds?: readonly string[]): Promise<{ kind: JobStateKind; sourceId: string; data: string }[]>;
  putJobState(jobId: string, kind: JobStateKind, sourceId: string, data: string | undefined): Promise<void>;
  clearJobState(jobId: string): Promise<void>;
  insertJobLogs(rows: readonly JobLogRecord[]): Promise<void>;
  /** Newest first, before `before` (a log entry's seq); optionally of one object or action. */
  listJobLogs(orgId: string, jobId: string, q: { readonly limit: number; readonly before?: number; readonly sourceId?: string; readonly action?: string }): Promise<JobLogRecord[]>;
  deleteJobLogsBefore(time: string): Promise<number>;
}
