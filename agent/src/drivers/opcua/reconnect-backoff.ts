/**
 * Delays between connection attempts: `minMs`, doubling per failed attempt, capped at `maxMs`,
 * each shortened by up to a quarter at random so agents that lost the same server do not all
 * come back in the same instant. Never below `minMs`, never above `maxMs`.
 */
export class ReconnectBackoff {
  private attempt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 40);
    return Math.max(this.minMs, Math.round(base * (1 - 0.25 * this.random())));
  }

  reset(): void {
    this.attempt = 0;
  }
}
