// Long request work (a Bulk of 1,000 operations) gives the event loop back between steps once
// it has run for a slice, so that other requests (other organizations, /healthz) are served
// in between instead of waiting for the whole of it.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

export class TimeSlice {
  private start = performance.now();

  constructor(private readonly ms: number) {}

  /** Yields to the event loop when this slice is spent; a new slice starts after it. */
  async yieldIfSpent(): Promise<void> {
    if (performance.now() - this.start < this.ms) return;
    await yieldToLoop();
    this.start = performance.now();
  }
}
