// Records written off the request path: `record` only queues; a timer writes the queue in one
// batch. The queue is bounded; records beyond it are counted and dropped rather than slowing
// or failing requests. The refused-request record and the request log both write this way.

export interface QueuedWriterOptions {
  readonly flushMs?: number;
  readonly maxQueued?: number;
  /** Told how many records were dropped (queue full, or a batch that could not be written). */
  readonly onDropped?: (n: number) => void;
  readonly onError?: (err: unknown) => void;
}

export class QueuedWriter<T> {
  private queue: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (batch: readonly T[]) => Promise<void>,
    private readonly options: QueuedWriterOptions = {},
  ) {}

  protected enqueue(r: T): void {
    if (this.queue.length >= (this.options.maxQueued ?? 10_000)) {
      this.options.onDropped?.(1);
      return;
    }
    this.queue.push(r);
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
        await this.write(batch);
      } catch (err) {
        this.options.onDropped?.(batch.length);
        this.options.onError?.(err);
      }
    });
    return this.writing;
  }
}
