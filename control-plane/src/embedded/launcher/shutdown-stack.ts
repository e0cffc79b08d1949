/**
 * What has been started, stopped in reverse order. A component added after shutdown began (its
 * start was already under way when the signal came) is stopped at once.
 */
export class ShutdownStack {
  private readonly entries: { name: string; stop: () => Promise<void> }[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly onError: (name: string, err: unknown) => void) {}

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
    try {
      await entry.stop();
    } catch (err) {
      this.onError(entry.name, err);
    }
  }
}

/** Thrown into the start-up sequence when a signal arrived while it was running. */
export class StartAborted extends Error {
  constructor() {
    super('start-up interrupted');
  }
}
