/**
 * Runs a task every `intervalMs` on a fixed grid (start + n × interval), so timing does not
 * drift with the task's own duration. A tick that finds the previous cycle still running is
 * skipped and counted, never queued: a slow device must not build a backlog of reads.
 */
export class GroupScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = true;
  private origin = 0;
  private ticks = 0;
  skipped = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly task: () => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.origin = this.now();
    this.ticks = 0;
    this.fire();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves when the cycle in progress (if any) has finished; used to stop cleanly. */
  async idle(): Promise<void> {
    while (this.running) await new Promise((r) => setTimeout(r, 1));
  }

  private fire(): void {
    if (this.stopped) return;
    if (this.running) {
      this.skipped++;
    } else {
      this.running = true;
      this.task()
        .catch(() => undefined)
        .finally(() => {
          this.running = false;
        });
    }
    this.scheduleNext();
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    const now = this.now();
    this.ticks++;
    let due = this.origin + this.ticks * this.intervalMs;
    if (due <= now) {
      // Fell behind (slow host, long GC): jump to the next grid point instead of firing a burst.
      const missed = Math.floor((now - due) / this.intervalMs) + 1;
      this.skipped += missed;
      this.ticks += missed;
      due = this.origin + this.ticks * this.intervalMs;
    }
    this.timer = setTimeout(() => this.fire(), due - now);
  }
}
