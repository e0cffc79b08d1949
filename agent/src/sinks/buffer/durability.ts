import type { RootDatabase } from 'lmdb';

/**
 * When appended messages reach the disk. What each policy survives, for messages whose
 * `flushed()` promise resolved (a message whose commit had not happened yet is lost in every
 * case; the caller was never told it was safe):
 *
 * - `batch` (default): the appends of one event-loop turn are one LMDB transaction; it is written
 *   and fsynced by the store's writer thread (LMDB's overlapping sync), and `flushed()` resolves
 *   after that fsync. Survives kill -9, an OS crash and power loss.
 * - `interval`: transactions are committed to the OS page cache without fsync and the whole file
 *   is fsynced every `syncIntervalMs`; `flushed()` resolves after the next such fsync. Survives
 *   kill -9 at once after commit, and an OS crash or power loss once `flushed()` resolved. A power
 *   loss can undo commits made since the last fsync and, on a filesystem that does not keep write
 *   order, can damage the file (LMDB's documented caveat for MDB_NOSYNC).
 * - `none`: commits reach the OS page cache and the OS writes them back when it chooses;
 *   `flushed()` resolves at commit. Survives kill -9 only; an OS crash or power loss can lose any
 *   recent messages and carries the same caveat as `interval`.
 *
 * Every policy fsyncs once more on a clean `close()`.
 */
export type Durability = 'batch' | 'interval' | 'none';

/** LMDB open options for a policy: only `batch` lets LMDB fsync each commit. */
export function storeOptionsFor(durability: Durability): { noSync: boolean } {
  return { noSync: durability !== 'batch' };
}

/** `sync` exists on lmdb-js root databases (it runs mdb_env_sync on a worker thread) but is not in its typings. */
interface SyncableStore {
  sync(callback: (error: unknown) => void): void;
}

function hasSync(store: unknown): store is SyncableStore {
  return typeof (store as { sync?: unknown }).sync === 'function';
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Resolves `flushed()` according to the policy and runs the periodic fsync of `interval`. */
export class FlushPolicy {
  private readonly timer: NodeJS.Timeout | undefined;
  private waiters: Waiter[] = [];
  private dirty = false;
  private syncing: Promise<void> | undefined;

  constructor(
    private readonly durability: Durability,
    private readonly store: RootDatabase<Buffer, number>,
    syncIntervalMs: number,
  ) {
    if (durability === 'interval') {
      this.timer = setInterval(() => void this.syncIfNeeded().catch(() => undefined), syncIntervalMs);
      // Idle, the timer must not keep the process alive; while someone awaits `flushed()` it must.
      this.timer.unref();
    }
  }

  /** Called for every committed transaction, so `interval` only fsyncs when something changed. */
  noteCommit(): void {
    this.dirty = true;
  }

  async flushed(): Promise<void> {
    if (this.durability === 'batch') {
      await this.store.flushed;
      return;
    }
    await this.store.committed;
    if (this.durability === 'none') return;
    // Registered after the commit, so the fsync that settles it starts after the commit too.
    this.timer?.ref();
    await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Last fsync before the store closes, whatever the policy; call it once writes have settled.
   * (`batch` fsynced every commit already.)
   */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.durability === 'batch') return;
    this.dirty = true;
    await this.syncIfNeeded();
  }

  private async syncIfNeeded(): Promise<void> {
    if (this.syncing) await this.syncing;
    if (!this.dirty && this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    this.dirty = false;
    this.syncing = this.sync();
    try {
      await this.syncing;
      for (const w of waiters) w.resolve();
    } catch (error) {
      for (const w of waiters) w.reject(error);
      throw error;
    } finally {
      this.syncing = undefined;
      if (this.waiters.length === 0) this.timer?.unref();
    }
  }

  private sync(): Promise<void> {
    const store = this.store;
    if (!hasSync(store)) return Promise.reject(new Error('this lmdb build cannot fsync on demand'));
    return new Promise((resolve, reject) => store.sync((error) => (error ? reject(error) : resolve())));
  }
}
