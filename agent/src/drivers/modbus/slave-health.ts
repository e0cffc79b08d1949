/**
 * Per-slave backoff ("degradation" in Neuron's words). A slave that answered nothing in
 * `failuresBeforeBackoff` cycles in a row is skipped for `backoffMs`: its tags report
 * DEVICE_NO_RESPONSE without a request, so a dead slave costs its neighbours on the same line
 * nothing. After the pause it is asked again; one more silent cycle sends it straight back into
 * backoff, one answer (even an exception) makes it healthy.
 */
interface SlaveState {
  /** Silent cycles in a row. */
  failures: number;
  /** Skipped until this time (ms since the epoch); 0 when not backed off. */
  until: number;
  /** Why the last cycle failed, e.g. "timed out after 3000 ms". */
  reason: string;
}

export class SlaveHealth {
  private readonly slaves = new Map<number, SlaveState>();

  constructor(
    private readonly failuresBeforeBackoff: number,
    private readonly backoffMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether requests to this slave are skipped now. */
  skipped(slave: number): boolean {
    const s = this.slaves.get(slave);
    return s !== undefined && s.until > this.now();
  }

  /** The slave answered (data or an exception) at least once in a cycle. */
  answered(slave: number): void {
    this.slaves.delete(slave);
  }

  /** The slave was asked in a cycle and answered nothing. */
  silent(slave: number, reason: string): void {
    const s = this.slaves.get(slave) ?? { failures: 0, until: 0, reason };
    s.failures++;
    s.reason = reason;
    if (s.failures >= this.failuresBeforeBackoff) s.until = this.now() + this.backoffMs;
    this.slaves.set(slave, s);
  }

  /** Slaves skipped right now, in id order. */
  backedOff(): number[] {
    const now = this.now();
    return [...this.slaves.entries()]
      .filter(([, s]) => s.until > now)
      .map(([id]) => id)
      .sort((a, b) => a - b);
  }

  /** Slaves whose last cycle was silent (backed off or not yet). */
  failing(): number[] {
    return [...this.slaves.keys()].sort((a, b) => a - b);
  }

  /** What is wrong with the slaves, in words; null when all answer. */
  problem(): string | null {
    const now = this.now();
    const lines = this.failing().map((id) => {
      const s = this.slaves.get(id)!;
      const base = `slave ${id} not answering: ${s.reason}`;
      if (s.until > now) return `${base}; skipped for ${seconds(this.backoffMs)}`;
      return `${base} (${s.failures} of ${this.failuresBeforeBackoff} cycles before it is skipped)`;
    });
    return lines.length ? lines.join('; ') : null;
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${Math.round(ms / 100) / 10} s`;
}
