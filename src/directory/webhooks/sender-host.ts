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

function startWorker(data: SenderThreadData): Worker {
  if (!FROM_SOURCE) return new Worker(ENTRY, { workerData: data });
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(ENTRY.href)}); })`, { eval: true, workerData: data });
}

export async function startSenderThread(data: SenderThreadData, changes: Pick<ChangeSignal, 'watch'>, onError: (err: Error) => void): Promise<SenderThread> {
  const worker = startWorker(data);
  let stopped: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m: SenderThreadMessage) => {
      if (m.kind === 'ready') resolve();
      else if (m.kind === 'stopped') stopped();
      else if (m.kind === 'error') onError(Object.assign(new Error(m.message), m.stack ? { stack: m.stack } : {}));
    });
    worker.once('error', (err) => {
      reject(err);
      onError(err);
    });
    worker.once('exit', () => stopped());
  });
  const unwatch = changes.watch(() => worker.postMessage('poke'));
  return {
    async stop() {
      unwatch();
      worker.postMessage('stop');
      // A sender that does not finish within 10 s is ended: its leases run out and another node (or the next start) goes on.
      await Promise.race([done, new Promise((r) => setTimeout(r, 10_000).unref())]);
      await worker.terminate();
    },
  };
}
