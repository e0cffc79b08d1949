import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BufferSettings } from '@edgefleet/protocol';
import type { DurableBuffer } from './durable-buffer.js';

interface Entry {
  opening: Promise<DurableBuffer>;
  users: number;
}

/**
 * The sinks' buffers, one directory per sink name under `<state dir>/buffers/`. A config change
 * starts a sink's new instance before it stops the old one, and both use the buffer of that
 * name: the pool opens it once and closes it when its last user lets go. (Settings changed by a
 * config change, such as `maxBytes`, apply the next time the buffer is opened.) A buffer left
 * with messages by a sink that was removed stays on disk, and drains when a sink of that name
 * returns. LMDB is loaded with the first buffer opened: an agent whose sinks never had to wait
 * never loads it.
 */
export class BufferPool {
  private readonly open = new Map<string, Entry>();

  constructor(private readonly root: string) {}

  dirFor(sink: string): string {
    return path.join(this.root, encodeURIComponent(sink));
  }

  /** Whether a buffer of this sink is on disk (left by an earlier run, maybe with messages). */
  exists(sink: string): boolean {
    return existsSync(this.dirFor(sink));
  }

  acquire(sink: string, settings: BufferSettings): Promise<DurableBuffer> {
    let entry = this.open.get(sink);
    if (!entry) {
      const opening = import('./durable-buffer.js').then(({ DurableBuffer }) =>
        DurableBuffer.open({ dir: this.dirFor(sink), maxBytes: settings.maxBytes, overflow: settings.overflow, durability: settings.durability, syncIntervalMs: settings.syncIntervalMs }),
      );
      entry = { opening, users: 0 };
      this.open.set(sink, entry);
      // A buffer that cannot be opened is not kept: the next acquire tries again.
      opening.catch(() => {
        if (this.open.get(sink) === entry) this.open.delete(sink);
      });
    }
    entry.users++;
    return entry.opening;
  }

  async release(sink: string): Promise<void> {
    const entry = this.open.get(sink);
    if (!entry) return;
    entry.users--;
    if (entry.users > 0) return;
    this.open.delete(sink);
    const buffer = await entry.opening.catch(() => undefined);
    await buffer?.close();
  }
}
