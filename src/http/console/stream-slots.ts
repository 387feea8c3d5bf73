// Open live streams (server-sent events) hold a connection and read the store whenever their
// organization changes, so each is a standing cost: a session may keep a few open (a page in a few tabs), a console
// user a few more across sessions, and a node a bounded number in all. Past a cap the stream
// is refused with 429 and Retry-After; a slot is given back when its stream closes. Counted
// per node (streams are connections to this node).

export interface StreamLimits {
  readonly perSession: number;
  readonly perUser: number;
  readonly perNode: number;
}

export const STREAM_LIMITS: StreamLimits = Object.freeze({ perSession: 3, perUser: 6, perNode: 500 });

/** Seconds a refused stream is told to wait: about how long a closed tab takes to be noticed. */
export const STREAM_RETRY_AFTER_SECONDS = 10;

export class StreamSlots {
  private readonly open = new Map<string, number>();

  constructor(private readonly limits: StreamLimits = STREAM_LIMITS) {}

  private keys(sessionKey: string, userKey: string): [string, number][] {
    return [[`session:${sessionKey}`, this.limits.perSession], [`user:${userKey}`, this.limits.perUser], ['node', this.limits.perNode]];
  }

  /** A slot for a new stream, or undefined when a cap is reached; call the returned release once, when it closes. */
  take(sessionKey: string, userKey: string): (() => void) | undefined {
    const keys = this.keys(sessionKey, userKey);
    if (keys.some(([k, cap]) => (this.open.get(k) ?? 0) >= cap)) return undefined;
    for (const [k] of keys) this.open.set(k, (this.open.get(k) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const [k] of keys) {
        const n = (this.open.get(k) ?? 1) - 1;
        if (n > 0) this.open.set(k, n);
        else this.open.delete(k);
      }
    };
  }
}
