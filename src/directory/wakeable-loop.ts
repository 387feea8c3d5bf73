// The loop the webhook sender and the provisioning runner share: a round, then a wait. A busy
// round (it did something) goes on at once, so a backlog drains; a change accepted during a
// round runs the next at once; an idle loop sleeps for its interval but wakes when poked (a
// change accepted here, or heard from another node). After a poke it looks again every
// `eagerMs`, `eagerRounds` times, before its interval resumes: on PostgreSQL a change's event
// is readable only once every older transaction has ended.
export interface LoopOptions {
  readonly intervalMs: number;
  readonly eagerMs?: number;
  readonly eagerRounds?: number;
}

export class WakeableLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = true;
  /** Set while the loop sleeps: runs the next round now. */
  private wake: (() => void) | undefined;
  /** Poked since the current round began. */
  private poked = false;
  private eager = 0;

  constructor(
    /** One round; true when it did something. */
    private readonly round: () => Promise<boolean>,
    private readonly options: LoopOptions,
  ) {}

  start(onError: (err: unknown) => void): void {
    this.stopped = false;
    const loop = () => {
      this.wake = undefined;
      if (this.stopped) return;
      this.poked = false;
      let busy = false;
      this.running = this.round().then((b) => void (busy = b), onError).finally(() => {
        if (this.stopped) return;
        const idle = this.eager > 0 ? (this.eager--, this.options.eagerMs ?? 100) : this.options.intervalMs;
        this.timer = setTimeout(loop, busy || this.poked ? 0 : idle);
        this.wake = () => {
          clearTimeout(this.timer);
          this.timer = setTimeout(loop, 0);
        };
      });
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Something changed: run a round now (or right after the current one). */
  poke(): void {
    this.poked = true;
    this.eager = this.options.eagerRounds ?? 0;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
