import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';

/**
 * A sweep the plane runs every `everyMs` while the module lives: never two at once per
 * replica's timer tick chain, a failure logged (and the next tick tries again), and on shutdown
 * the sweep under way finishes before the database pool closes.
 */
export abstract class PeriodicSweep implements OnModuleInit, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<unknown> = Promise.resolve();

  protected constructor(
    private readonly everyMs: number,
    /** e.g. `presence sweep`, for the failure's log line. */
    private readonly what: string,
    protected readonly log: Logger,
  ) {}

  abstract sweep(): Promise<number>;

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.inFlight = this.sweep().catch((err: Error) => this.log.warn({ err: err.message }, `${this.what} failed`));
    }, this.everyMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }
}
