// The node's background thread (worker_threads): its own event loop and its own store
// connection, for the work that must not queue behind requests or slow them down.
// - The webhook sender. Each delivery waits for its receiver's answer before the next one of
//   that subscription is sent (order), and in the request thread every such answer queued
//   behind the requests' work: at 1,000 writes a second a backlog formed (docs/benchmarks.md).
//   The request thread wakes it when changes are accepted ('poke': a lone change at once, a
//   burst as one poke per POKE_GAP_MS, host.ts).
// - The request log's writes. The request thread queues what each request was and posts the
//   batch here once a second; formatting and inserting it (a B-tree row and two index entries
//   per request) happen on this thread's core (docs/benchmarks.md, "The request log's cost on
//   reads").
// 'stop' ends both; failures go back to the request thread as messages.
import { parentPort, workerData } from 'node:worker_threads';
import { openStore, type StoreConfig } from '../../store/open.ts';
import { EventFeed } from '../events.ts';
import { requestRecords, type RequestSeen } from '../request-log.ts';
import { webhookSecrets } from '../webhooks/admin.ts';
import { WebhookSender } from '../webhooks/sender.ts';
import { SetSigner } from '../webhooks/set-signer.ts';
import type { TargetPolicy } from '../webhooks/target.ts';

export interface BackgroundThreadData {
  readonly store: StoreConfig;
  readonly policy: TargetPolicy;
  readonly publicUrl: string;
  readonly eventRetentionDays?: number;
}

/** From the request thread. */
export type BackgroundThreadCommand = 'poke' | 'stop' | { readonly kind: 'requests'; readonly id: number; readonly batch: readonly RequestSeen[] };

/** To the request thread. */
export type BackgroundThreadMessage = { readonly kind: 'ready' } | { readonly kind: 'error'; readonly message: string; readonly stack?: string } | { readonly kind: 'stopped' }
  /** A batch of the request log is done with (written, or its failure reported): the host lets go of it. */
  | { readonly kind: 'requests-done'; readonly id: number };

const port = parentPort!;
const data = workerData as BackgroundThreadData;
const store = await openStore({ ...data.store, dbPoolSize: 2 });
const feed = new EventFeed(store, { retentionDays: data.eventRetentionDays });
const pokes = new Set<(orgId: string) => void>();
const sender = new WebhookSender(store, feed, webhookSecrets(store), new SetSigner(store, data.publicUrl), {
  policy: data.policy,
  changes: { watch: (w) => (pokes.add(w), () => pokes.delete(w)) },
});
const report = (err: unknown) => port.postMessage({ kind: 'error', message: err instanceof Error ? err.message : String(err), ...(err instanceof Error && err.stack ? { stack: err.stack } : {}) } satisfies BackgroundThreadMessage);
// Batches are written one after another, in the order they came; 'stop' waits for the last.
let requestWrites: Promise<void> = Promise.resolve();
port.on('message', (m: BackgroundThreadCommand) => {
  if (m === 'poke') for (const w of pokes) w('');
  else if (m === 'stop') {
    // 'stopped', then the thread ends (its port closed, nothing left to run).
    void Promise.all([sender.stop(), requestWrites]).then(() => store.close()).catch(report).finally(() => {
      port.postMessage({ kind: 'stopped' } satisfies BackgroundThreadMessage);
      port.close();
    });
  } else if (m.kind === 'requests') {
    const { batch, id } = m;
    requestWrites = requestWrites.then(() => store.transaction((tx) => tx.insertRequests(requestRecords(batch)))).catch(report)
      .then(() => port.postMessage({ kind: 'requests-done', id } satisfies BackgroundThreadMessage));
  }
});
sender.start(report);
port.postMessage({ kind: 'ready' } satisfies BackgroundThreadMessage);
