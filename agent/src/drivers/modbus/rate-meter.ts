/**
 * Events per second over a sliding window, in one-second buckets: cheap to feed on every request
 * and exact enough for a heartbeat figure.
 */
export class RateMeter {
  private readonly buckets: number[];
  private readonly seconds: number;
  /** The second (since the epoch) the newest bucket counts. */
  private head = -1;
  private readonly startedAt: number;

  constructor(
    windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.seconds = Math.max(1, Math.round(windowMs / 1000));
    this.buckets = new Array<number>(this.seconds).fill(0);
    this.startedAt = now();
  }

  add(n = 1): void {
    this.advance();
    this.buckets[this.head % this.seconds]! += n;
  }

  /** Events per second over the window (or since start, if that is shorter), the current second included. */
  rate(): number {
    this.advance();
    const total = this.buckets.reduce((a, b) => a + b, 0);
    const windowStart = Math.max(this.startedAt, (this.head - this.seconds + 1) * 1000);
    const spanMs = Math.max(1000, this.now() - windowStart);
    return Math.round((total / spanMs) * 1000 * 10) / 10;
  }

  private advance(): void {
    const second = Math.floor(this.now() / 1000);
    if (this.head === -1) {
      this.head = second;
      return;
    }
    const steps = Math.min(this.seconds, second - this.head);
    for (let i = 1; i <= steps; i++) this.buckets[(this.head + i) % this.seconds] = 0;
    if (second > this.head) this.head = second;
  }
}
