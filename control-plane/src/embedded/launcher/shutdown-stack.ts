import { settlesWithin } from '../../common/settles-within.js';

/** How long one component may take to stop before the launcher moves on to the next. */
export const STOP_STEP_LIMIT_MS = 30_000;

/**
 * What has been started, stopped in reverse order. A component added after shutdown began (its
 * start was already under way when the signal came) is stopped at once. A component that does
 * not stop within the step limit is reported and left behind, so Ctrl-C never hangs.
 */
export class ShutdownStack {
  private readonly entries: { name: string; stop: () => Promise<void> }[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    private readonly onError: (name: string, err: unknown) => void,
    private readonly stepLimitMs = STOP_STEP_LIMIT_MS,
  ) {}

  get stopping(): boolean {
    return this.closing !== undefined;
  }

  async add(name: string, stop: () => Promise<void>): Promise<void> {
    if (this.closing) {
      await this.run({ name, stop });
      throw new StartAborted();
    }
    this.entries.push({ name, stop });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (let entry = this.entries.pop(); entry; entry = this.entries.pop()) await this.run(entry);
    })();
    return this.closing;
  }

  private async run(entry: { name: string; stop: () => Promise<void> }): Promise<void> {
    let failure: unknown;
    const stopped = entry.stop().catch((err: unknown) => {
      failure = err;
    });
    if (!(await settlesWithin(stopped, this.stepLimitMs))) {
      this.onError(entry.name, new Error(`it did not stop within ${Math.round(this.stepLimitMs / 1000)} s; moving on`));
    } else if (failure !== undefined) {
      this.onError(entry.name, failure);
    }
  }
}

/** Thrown into the start-up sequence when a signal arrived while it was running. */
export class StartAborted extends Error {
  constructor() {
    super('start-up interrupted');
  }
}
