import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { IsoTimeSchema, parseJsonWith, describeIssues, RevisionSchema, Sha256Schema } from '@edgefleet/protocol';
import { writeFileAtomic } from '../util/atomic-file.js';

/** The on-disk record of the last config this agent applied successfully (agent-local file format). */
const LastGoodSchema = z.object({
  revision: RevisionSchema,
  sha256: Sha256Schema,
  document: z.unknown(),
  appliedAt: IsoTimeSchema,
});
export type LastGood = z.infer<typeof LastGoodSchema>;

export type LoadResult = { kind: 'none' } | { kind: 'loaded'; value: LastGood } | { kind: 'corrupt'; message: string };

/**
 * Persists the last good config so the agent reboots into it with no network. Written
 * atomically, so power loss leaves the old or the new record, never half of one.
 */
export class LastGoodStore {
  readonly path: string;

  constructor(stateDir: string) {
    this.path = join(stateDir, 'config', 'last-good.json');
  }

  async load(): Promise<LoadResult> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
      throw err;
    }
    const parsed = parseJsonWith(LastGoodSchema, text);
    return parsed.ok ? { kind: 'loaded', value: parsed.value } : { kind: 'corrupt', message: describeIssues(parsed.issues) };
  }

  async save(record: LastGood): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(record, null, 2)}\n`, 0o600);
  }
}
