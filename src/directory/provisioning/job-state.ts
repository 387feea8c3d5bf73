// A job's state between cycles lives in the main store (one row per source object), read
// whole at the start of a cycle and written as the target acknowledges each write. The
// engine's journal is synchronous (the CLI's state is a local SQLite file); here each entry is
// queued in order and the cycle waits for the queue before it reports, so a cycle that ends
// has recorded everything it sent.
import type { Store } from '../../store/contract.ts';
import type { EscrowEntry, GroupState, StateJournal, SyncState, UserState } from '../../provision/sync.ts';

/** The job's state; with `sourceIds`, only theirs (a cycle for a few changed users). */
export async function loadJobState(store: Store, jobId: string, sourceIds?: readonly string[]): Promise<SyncState> {
  const state: SyncState = { version: 1, users: {}, groups: {}, escrow: {} };
  for (const r of await store.loadJobState(jobId, sourceIds)) {
    const data = JSON.parse(r.data);
    if (r.kind === 'user') state.users[r.sourceId] = data as UserState;
    else if (r.kind === 'group') state.groups[r.sourceId] = data as GroupState;
    else state.escrow![r.sourceId] = data as EscrowEntry;
  }
  return state;
}

export class StoreJournal implements StateJournal {
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly store: Store,
    private readonly jobId: string,
  ) {}

  private put(kind: 'user' | 'group' | 'escrow', sourceId: string, value: unknown): void {
    const data = value === undefined ? undefined : JSON.stringify(value);
    this.chain = this.chain.then(() => this.store.putJobState(this.jobId, kind, sourceId, data)).catch((e) => void (this.failure ??= e));
  }

  user(sourceId: string, entry: UserState | undefined): void {
    this.put('user', sourceId, entry);
  }

  group(sourceId: string, entry: GroupState): void {
    this.put('group', sourceId, entry);
  }

  escrow(sourceId: string, entry: EscrowEntry | undefined): void {
    this.put('escrow', sourceId, entry);
  }

  /** Waits for every entry; throws the first that could not be written. */
  async flush(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
  }
}
