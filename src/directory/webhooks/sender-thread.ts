// The webhook sender's thread (worker_threads): its own event loop and its own store
// connection, so a node busy answering requests does not hold deliveries back. Each delivery
// waits for its receiver's answer before the next one of that subscription is sent (order),
// and in the request thread every such answer queued behind the requests' work: at 1,000
// writes a second a backlog formed (docs/benchmarks.md). The request thread wakes this one on
// every accepted change ('poke') and stops it with 'stop'; failures come back as messages.
import { parentPort, workerData } from 'node:worker_threads';
import { openStore, type StoreConfig } from '../../store/open.ts';
import { EventFeed } from '../events.ts';
import { webhookSecrets } from './admin.ts';
import { WebhookSender } from './sender.ts';
import { SetSigner } from './set-signer.ts';
import type { TargetPolicy } from './target.ts';

export interface SenderThreadData {
  readonly store: StoreConfig;
  readonly policy: TargetPolicy;
  readonly publicUrl: string;
  readonly eventRetentionDays?: number;
}

export type SenderThreadMessage = { readonly kind: 'ready' } | { readonly kind: 'error'; readonly message: string; readonly stack?: string } | { readonly kind: 'stopped' };

const port = parentPort!;
const data = workerData as SenderThreadData;
const store = await openStore({ ...data.store, dbPoolSize: 2 });
const feed = new EventFeed(store, { retentionDays: data.eventRetentionDays });
const pokes = new Set<(orgId: string) => void>();
const sender = new WebhookSender(store, feed, webhookSecrets(store), new SetSigner(store, data.publicUrl), {
  policy: data.policy,
  changes: { watch: (w) => (pokes.add(w), () => pokes.delete(w)) },
});
const report = (err: unknown) => port.postMessage({ kind: 'error', message: err instanceof Error ? err.message : String(err), ...(err instanceof Error && err.stack ? { stack: err.stack } : {}) } satisfies SenderThreadMessage);
port.on('message', (m: string) => {
  if (m === 'poke') for (const w of pokes) w('');
  if (m === 'stop') {
    // 'stopped', then the thread ends (its port closed, nothing left to run).
    void sender.stop().then(() => store.close()).catch(report).finally(() => {
      port.postMessage({ kind: 'stopped' } satisfies SenderThreadMessage);
      port.close();
    });
  }
});
sender.start(report);
port.postMessage({ kind: 'ready' } satisfies SenderThreadMessage);
