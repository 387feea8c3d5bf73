// Runs the webhook sender in a thread of its own (sender-thread.ts) and relays the node's
// change signal to it. The server starts it on every node; tests that tick a sender by hand
// use WebhookSender in their own thread.
import { Worker } from 'node:worker_threads';
import type { ChangeSignal } from '../change-signal.ts';
import type { SenderThreadData, SenderThreadMessage } from './sender-thread.ts';

export interface SenderThread {
  stop(): Promise<void>;
}

// Compiled, the thread is sender-thread.js beside this file. From source (tests run through
// tsx) it is the .ts file, and the worker first registers tsx's loader for itself: loader
// hooks of the process (--import tsx) do not reach a worker on Node 20.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY = new URL(`./sender-thread${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);

function startWorker(data: SenderThreadData, entry?: URL): Worker {
  if (entry || !FROM_SOURCE) return new Worker(entry ?? ENTRY, { workerData: data });
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(ENTRY.href)}); })`, { eval: true, workerData: data });
}

/** How long a thread that ended unexpectedly waits before it is started again. */
const RESTART_MS = 1_000;

/** One thread: resolves once it is ready; `ended` hears it end (for any reason). */
function launch(data: SenderThreadData, entry: URL | undefined, onError: (err: Error) => void, ended: (stoppedCleanly: boolean) => void): Promise<Worker> {
  const worker = startWorker(data, entry);
  let clean = false;
  return new Promise<Worker>((resolve, reject) => {
    worker.on('message', (m: SenderThreadMessage) => {
      if (m.kind === 'ready') resolve(worker);
      else if (m.kind === 'stopped') clean = true;
      else if (m.kind === 'error') onError(Object.assign(new Error(m.message), m.stack ? { stack: m.stack } : {}));
    });
    worker.once('error', (err) => {
      reject(err);
      onError(err);
    });
    worker.once('exit', () => ended(clean));
  });
}

/**
 * Starts the thread and keeps it running: a thread that ends without being asked to (a crash)
 * is logged and started again after a second, so a node never stops sending for good.
 */
export async function startSenderThread(data: SenderThreadData, changes: Pick<ChangeSignal, 'watch'>, onError: (err: Error) => void, options: { readonly entry?: URL } = {}): Promise<SenderThread> {
  let stopping = false;
  let current: Worker | undefined;
  let exited: () => void = () => undefined;
  const onEnd = (clean: boolean) => {
    current = undefined;
    exited();
    if (stopping) return;
    onError(new Error(`the webhook sender's thread ended${clean ? '' : ' unexpectedly'}: starting it again in ${RESTART_MS} ms`));
    setTimeout(() => {
      if (!stopping) void launch(data, options.entry, onError, onEnd).then((w) => (current = w), () => undefined);
    }, RESTART_MS).unref();
  };
  current = await launch(data, options.entry, onError, onEnd);
  const unwatch = changes.watch(() => current?.postMessage('poke'));
  return {
    async stop() {
      stopping = true;
      unwatch();
      const worker = current;
      if (!worker) return;
      const gone = new Promise<void>((resolve) => (exited = resolve));
      worker.postMessage('stop');
      // A sender that does not finish within 10 s is ended: its leases run out and another node (or the next start) goes on.
      await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000).unref())]);
      await worker.terminate();
    },
  };
}
