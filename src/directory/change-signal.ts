// "Something changed in this organization": what live views wait on instead of polling the
// store. A node signals after it answered an accepted write; the signal reaches its own
// waiters at once and, on PostgreSQL, every other node's through NOTIFY (at most one per
// organization per SIGNAL_GAP_MS, so that a burst of writes is one notification). A waiter
// also wakes after its own timeout, which catches writes no node signalled (the CLI on the
// store) and signals lost while a node reconnected.
import { EventEmitter } from 'node:events';
import type { Store } from '../store/contract.ts';

const PREFIX = 'changes:';
export const SIGNAL_GAP_MS = 100;
/**
 * After a change, the waits before a reader of the event feed reads again when the change does
 * not show yet (about 6 s in all): on PostgreSQL the feed shows a committed change only once
 * every transaction older than it has ended (its commit order, postgres-store.ts), and the end of
 * such a transaction (another organization's, a long report's) signals nothing.
 */
export const HELD_BACK_RETRY_MS = [25, 50, 100, 200, 400, 800, 1600, 3200] as const;

export class ChangeSignal {
  private readonly local = new EventEmitter();
  private readonly lastSent = new Map<string, number>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly watchers = new Set<(orgId: string) => void>();

  constructor(private readonly store: Store) {
    this.local.setMaxListeners(0);
  }

  /** A change of `orgId` was accepted here. */
  notify(orgId: string): void {
    this.local.emit(orgId);
    for (const w of this.watchers) w(orgId);
    if (this.pending.has(orgId)) return;
    const wait = Math.max(0, (this.lastSent.get(orgId) ?? 0) + SIGNAL_GAP_MS - Date.now());
    const send = () => {
      this.pending.delete(orgId);
      this.lastSent.set(orgId, Date.now());
      // A lost notification costs a waiter its timeout, never a change.
      void this.store.broadcast(`${PREFIX}${orgId}`).catch(() => undefined);
    };
    if (wait === 0) send();
    else this.pending.set(orgId, setTimeout(send, wait).unref());
  }

  /** Hears the other nodes' signals; returns the stop function. */
  listen(): Promise<() => Promise<void>> {
    return this.store.subscribe((message) => {
      if (message === '*') this.local.emit('*');
      else if (message.startsWith(PREFIX)) {
        this.local.emit(message.slice(PREFIX.length));
        for (const w of this.watchers) w(message.slice(PREFIX.length));
      }
    });
  }

  /** Hears every organization's changes (here and, on PostgreSQL, from other nodes) until the returned function is called. */
  watch(watcher: (orgId: string) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /**
   * Waits until a change of `orgId` shows in `read`: reads after each change, and again after
   * HELD_BACK_RETRY_MS while a read right after a change finds nothing. Resolves with the first
   * read that `found` accepts, or undefined after `ms` or when `abort` fires.
   */
  async nextSeen<T>(orgId: string, ms: number, read: () => Promise<T>, found: (seen: T) => boolean, abort?: AbortSignal): Promise<T | undefined> {
    const deadline = Date.now() + ms;
    const left = () => deadline - Date.now();
    while (left() > 0 && !abort?.aborted) {
      if (!(await this.next(orgId, left(), abort))) return undefined;
      for (let retry = 0; ; retry++) {
        const seen = await read();
        if (found(seen)) return seen;
        const wait = HELD_BACK_RETRY_MS[retry];
        if (wait === undefined || left() <= 0 || abort?.aborted) break;
        // A further change ends the wait early: either way the feed is read again.
        await this.next(orgId, Math.min(wait, left()), abort);
      }
    }
    return undefined;
  }

  /** Resolves true when `orgId` changes (or anything may have), false after `ms`, or at once when `abort` fires. */
  next(orgId: string, ms: number, abort?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (changed: boolean) => {
        clearTimeout(timer);
        this.local.off(orgId, onChange);
        this.local.off('*', onChange);
        abort?.removeEventListener('abort', onAbort);
        resolve(changed);
      };
      const onChange = () => done(true);
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      this.local.on(orgId, onChange);
      this.local.on('*', onChange);
      abort?.addEventListener('abort', onAbort, { once: true });
      if (abort?.aborted) done(false);
    });
  }
}
