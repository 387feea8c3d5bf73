// Continuous provisioning: the interval between cycles, and quarantine as Entra does it. A
// cycle whose target refuses the credentials (401/403), or in which most attempted objects
// fail, puts the job in quarantine: the next cycles come at doubling intervals (up to a day)
// instead of hammering a target that is down or misconfigured; a healthy cycle ends it.
import type { SyncReport } from './sync.ts';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "40m", "1h30m", "90s" -> milliseconds. */
export function parseInterval(text: string): number {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)\s*([smhd])/gi)];
  const total = parts.reduce((sum, m) => sum + Number(m[1]) * UNITS[m[2].toLowerCase()], 0);
  if (parts.length === 0 || parts.map((m) => m[0]).join('').replace(/\s/g, '') !== text.replace(/\s/g, '') || total < 1000) {
    throw new Error(`"${text}" is not an interval: use e.g. 40m, 1h, 90s (at least 1 s)`);
  }
  return total;
}

export const MAX_QUARANTINE_MS = UNITS.d;

export interface CycleHealth {
  readonly quarantined: boolean;
  readonly reason?: string;
  /** Consecutive quarantined cycles. */
  readonly level: number;
  readonly nextInMs: number;
}

export function assessCycle(report: Pick<SyncReport, 'summary' | 'objects'>, authRefusals: number, previous: CycleHealth | undefined, intervalMs: number): CycleHealth {
  const attempted = report.objects.filter((o) => o.action !== 'skip').length;
  const failed = report.objects.filter((o) => o.action === 'fail').length;
  const reason = authRefusals > 0
    ? `the target refused the credentials (${authRefusals} answer${authRefusals === 1 ? '' : 's'} 401/403)`
    : attempted >= 5 && failed / attempted > 0.5
      ? `${failed} of ${attempted} objects failed`
      : undefined;
  return reason ? quarantine(reason, previous, intervalMs) : { quarantined: false, level: 0, nextInMs: intervalMs };
}

/** One more quarantined cycle: the interval doubles with each, up to a day. */
export function quarantine(reason: string, previous: CycleHealth | undefined, intervalMs: number): CycleHealth {
  const level = (previous?.quarantined ? previous.level : 0) + 1;
  return { quarantined: true, reason, level, nextInMs: Math.min(MAX_QUARANTINE_MS, intervalMs * 2 ** level) };
}
