// Runs the node's background thread (thread.ts: the webhook sender and the request log's
// writes), relays the node's change signal to it and hands it the request log's batches. The
// server starts it on every node; tests that tick a sender by hand use WebhookSender in their
// own thread.
import { Worker } from 'node:worker_threads';
import type { ChangeSignal } from '../change-signal.ts';
import type { RequestSeen } from '../request-log.ts';
import type { BackgroundThreadCommand, BackgroundThreadData, BackgroundThreadMessage } from './thread.ts';

export interface BackgroundThread {
  /**
   * Hands a batch of the request log to the thread to format and write; false while no thread
   * runs (starting again after a crash, or stopped), and the caller writes it itself.
   */
  writeRequests(batch: readonly RequestSeen[]): boolean;
  stop(): Promise<void>;
}

// Compiled, the thread is thread.js beside this file. From source (tests run through tsx) it
// is the .ts file, and the worker first registers tsx's loader for itself: loader hooks of the
// process (--import tsx) do not reach a worker on Node 20.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY = new URL(`./thread${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);

function startWorker(data: BackgroundThreadData, entry?: URL): Worker {
  if (entry || !FROM_SOURCE) return new Worker(entry ?? ENTRY, { workerData: data });
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(ENTRY.href)}); })`, { eval: true, workerData: data });
}

/**
 * How long the accepted changes of a burst are gathered into one poke: each poke is a
 * `postMessage`, a system call here (2.5% of the request thread's CPU in a PostgreSQL create
 * when every change sent one; 1.7% with a 5 ms gap), and a sender that is already sending
 * goes on without one. A change after a quiet spell pokes at once.
 */
export const POKE_GAP_MS = 20;

/**
 * `send` at most once per `ms`: at once when the last send is `ms` past (a lone change wakes
 * the thread without delay), otherwise once at the end of the gap for every call made in it.
 */
export function gathered(send: () => void, ms: number, now: () => number = () => performance.now()): () => void {
  let quietUntil = -Infinity;
  let trailing: NodeJS.Timeout | undefined;
  const fire = () => {
    quietUntil = now() + ms;
    send();
  };
  return () => {
    const t = now();
    if (t >= quietUntil && trailing === undefined) return fire();
    // Unref'd: a poke only wakes the thread, so it must not hold a stopping process open.
    trailing ??= setTimeout(() => {
      trailing = undefined;
      fire();
    }, Math.max(0, quietUntil - t)).unref();
  };
}

/** How long a thread that ended unexpectedly waits before it is started again. */
const RESTART_MS = 1_000;

/** One thread: resolves once it is ready; `ended` hears it end (for any reason). */
function launch(data: BackgroundThreadData, entry: URL | undefined, onError: (err: Error) => void, ended: (stoppedCleanly: boolean) => void, done: (id: number) => void): Promise<Worker> {
  const worker = startWorker(data, entry);
  let clean = false;
  return new Promise<Worker>((resolve, reject) => {
    worker.on('message', (m: BackgroundThreadMessage) => {
      if (m.kind === 'ready') resolve(worker);
      else if (m.kind === 'stopped') clean = true;
      else if (m.kind === 'error') onError(Object.assign(new Error(m.message), m.stack ? { stack: m.stack } : {}));
      else if (m.kind === 'requests-done') done(m.id);
    });
    worker.once('error', (err) => {
      reject(err);
      onError(err);
    });
    worker.once('exit', () => ended(clean));
  });
}

export interface BackgroundThreadOptions {
  /** The thread's module (tests). */
  readonly entry?: URL;
  /**
   * Gets back the request log's batches a thread was handed and did not finish (it crashed,
   * or did not stop in time), to write them elsewhere: none is lost with its thread.
   */
  readonly requestsReturned?: (batch: readonly RequestSeen[]) => void;
}

/**
 * Starts the thread and keeps it running: a thread that ends without being asked to (a crash)
 * is logged and started again after a second, so a node never stops sending for good.
 */
export async function startBackgroundThread(data: BackgroundThreadData, changes: Pick<ChangeSignal, 'watch'>, onError: (err: Error) => void, options: BackgroundThreadOptions = {}): Promise<BackgroundThread> {
  let stopping = false;
  let current: Worker | undefined;
  let exited: () => void = () => undefined;
  // Batches handed to the thread until it says it is done with them.
  const handed = new Map<number, readonly RequestSeen[]>();
  let nextBatch = 0;
  const done = (id: number) => handed.delete(id);
  const giveBack = () => {
    for (const batch of handed.values()) options.requestsReturned?.(batch);
    handed.clear();
  };
  const onEnd = (clean: boolean) => {
    current = undefined;
    giveBack();
    exited();
    if (stopping) return;
    onError(new Error(`the background thread ended${clean ? '' : ' unexpectedly'}: starting it again in ${RESTART_MS} ms`));
    setTimeout(() => {
      if (!stopping) void launch(data, options.entry, onError, onEnd, done).then((w) => (current = w), () => undefined);
    }, RESTART_MS).unref();
  };
  current = await launch(data, options.entry, onError, onEnd, done);
  const send = (m: BackgroundThreadCommand) => current?.postMessage(m);
  const unwatch = changes.watch(gathered(() => send('poke'), POKE_GAP_MS));
  return {
    writeRequests(batch) {
      if (!current || stopping) return false;
      const id = nextBatch++;
      handed.set(id, batch);
      send({ kind: 'requests', id, batch });
      return true;
    },
    async stop() {
      stopping = true;
      unwatch();
      const worker = current;
      if (!worker) return;
      const gone = new Promise<void>((resolve) => (exited = resolve));
      worker.postMessage('stop' satisfies BackgroundThreadCommand);
      // A thread that does not finish within 10 s is ended: its leases run out and another node (or the next start) goes on.
      await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000).unref())]);
      await worker.terminate();
    },
  };
}
