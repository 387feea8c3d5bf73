// The record of refused requests: what a client asked for and why it was refused, so that an
// administrator can answer "why did Entra's create fail?" (the audit trail keeps only
// accepted changes). Written off the hot path: `record` only queues; a timer writes the
// queue in one statement batch. The queue is bounded; records beyond it are counted and
// dropped rather than slowing or failing requests.
import { randomUUID } from 'node:crypto';
import type { RefusalRecord, Store } from '../store/contract.ts';

const SECRET_KEY = /pass(word|wd)?$|secret|token|credential|authorization/i;
export const BODY_EXCERPT_CHARS = 2000;

/** The body as JSON text with every password or secret replaced, cut to `max` characters. */
export function redactedExcerpt(body: unknown, max = BODY_EXCERPT_CHARS): string | undefined {
  if (body === undefined || body === null || body === '') return undefined;
  const redact = (v: unknown, depth: number): unknown => {
    if (depth > 20) return '[deep]';
    if (Array.isArray(v)) return v.map((x) => redact(x, depth + 1));
    if (typeof v !== 'object' || v === null) return v;
    const o = v as Record<string, unknown>;
    // A PatchOp operation on a password carries the password as its value.
    const passwordOp = typeof o.path === 'string' && /password/i.test(o.path);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, SECRET_KEY.test(k) || (passwordOp && k === 'value') ? '[redacted]' : redact(x, depth + 1)]));
  };
  let text: string;
  try {
    text = typeof body === 'string' ? '[form or text body]' : JSON.stringify(redact(body, 0));
  } catch {
    return undefined;
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export interface RefusalRecorderOptions {
  readonly flushMs?: number;
  readonly maxQueued?: number;
  /** Told how many records were dropped because the queue was full (metrics). */
  readonly onDropped?: (n: number) => void;
  readonly onError?: (err: unknown) => void;
}

export class RefusalRecorder {
  private queue: RefusalRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly options: RefusalRecorderOptions = {},
  ) {}

  record(r: Omit<RefusalRecord, 'id' | 'time'>): void {
    if (this.queue.length >= (this.options.maxQueued ?? 10_000)) {
      this.options.onDropped?.(1);
      return;
    }
    this.queue.push({ ...r, id: randomUUID(), time: new Date().toISOString() });
    this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs ?? 200);
  }

  /** Writes what is queued (tests and shutdown call it; the timer does otherwise). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    this.writing = this.writing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.store.transaction((tx) => tx.insertRefusals(batch));
      } catch (err) {
        this.options.onDropped?.(batch.length);
        this.options.onError?.(err);
      }
    });
    return this.writing;
  }
}
