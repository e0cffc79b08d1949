import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Keeps the bdSeq of the last will a Sparkplug sink registered, in a small file under the
 * agent's state dir, so the next run of the agent goes on from the one after it instead of 0.
 * Why it matters: a will the broker still holds from before a crash (published when its keep
 * alive runs out) names its bdSeq, and a host application pairs an NDEATH with the NBIRTH of the
 * same bdSeq. Starting from 0 again, a late will of an earlier run that also carried 0 would be
 * taken for the death of the new session.
 */
export class BdSeqStore {
  private saved: number | undefined;

  constructor(private readonly file: string) {}

  /** The bdSeq the next run's first will should carry: one after the last saved (0 if none or unreadable). */
  next(): number {
    try {
      const value = (JSON.parse(readFileSync(this.file, 'utf8')) as { lastWillBdSeq?: unknown }).lastWillBdSeq;
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 255) {
        this.saved = value;
        return (value + 1) % 256;
      }
    } catch {
      // No file yet, or a damaged one: start from 0.
    }
    return 0;
  }

  /** Records the bdSeq of a will just registered; written atomically, and only when it changed. */
  save(bdSeq: number): void {
    if (bdSeq === this.saved) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ lastWillBdSeq: bdSeq })}\n`);
    renameSync(tmp, this.file);
    this.saved = bdSeq;
  }
}
