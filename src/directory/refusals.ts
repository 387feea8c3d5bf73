// The record of refused requests: what a client asked for and why it was refused, so that an
// administrator can answer "why did Entra's create fail?" (the audit trail keeps only
// accepted changes). Written off the hot path (queued-writer.ts).
import { randomUUID } from 'node:crypto';
import type { RefusalRecord, Store } from '../store/contract.ts';
import { QueuedWriter, type QueuedWriterOptions } from './queued-writer.ts';

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

export class RefusalRecorder extends QueuedWriter<RefusalRecord> {
  constructor(store: Store, options: QueuedWriterOptions = {}) {
    super((batch) => store.transaction((tx) => tx.insertRefusals(batch)), options);
  }

  record(r: Omit<RefusalRecord, 'id' | 'time'>): void {
    this.enqueue({ ...r, id: randomUUID(), time: new Date().toISOString() });
  }
}
