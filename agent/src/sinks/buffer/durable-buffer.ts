/**
 * One sink's store-and-forward buffer: messages wait on disk while the sink's transport is down
 * and are drained in order once it is back, while live data keeps being appended.
 *
 * Built on LMDB (the `lmdb` package): a copy-on-write B+tree with ACID transactions, so a crash
 * at any point leaves the last committed state and never a torn one; it needs no recovery pass
 * or write-ahead log of ours; it is small, long maintained, and the npm package ships prebuilt
 * binaries (no compiler or install script on the device).
 *
 * Layout (see records.ts): `messages` and `index`, both keyed by seq, written in one transaction
 * per event-loop turn; `meta` keeps the highest seq handed out, written in the same transaction
 * as any ack or drop that removes messages, so a seq is never reused even after every message
 * was acked. (The seq of a message dropped on arrival is recorded with the next write: it never
 * reached the store, so no consumer can mistake a reuse of it for a duplicate.) Depth, bytes
 * and the oldest message are recounted from the `index` on open, so there is no counter that
 * could drift from the data. The fsync policy is described in durability.ts.
 *
 * Memory: payloads live in the store and in what `next()` returns. lmdb-js keeps extending its
 * open write transaction for as long as writes keep coming, so a producer faster than the disk
 * would grow one transaction (and its malloc'ed dirty pages) without limit. Hence at most
 * IN_FLIGHT_MAX_BYTES are handed to the store at a time; appends beyond that wait in a staging
 * queue (bounded by STAGED_MAX_BYTES, then dropped and counted) and go in with the next commit.
 */
import { mkdir } from 'node:fs/promises';
import { open, type Database, type RootDatabase } from 'lmdb';
import { AgentError, errorMessage } from '../../util/errors.js';
import { FlushPolicy, storeOptionsFor, type Durability } from './durability.js';
import { RECORD_OVERHEAD, decodeIndex, decodeMessage, encodeIndex, encodeMessage, type IndexEntry } from './records.js';

export type { Durability } from './durability.js';

export interface BufferedMessage {
  seq: number;
  enqueuedAt: number;
  topic: string;
  payload: Buffer;
}

export type OverflowPolicy = 'drop-oldest' | 'drop-newest';

export interface DurableBufferOptions {
  /** One directory per sink, created if missing. */
  dir: string;
  /** Bound on stored topic + payload bytes (the store's own overhead comes on top, see `mapSizeFor`). */
  maxBytes: number;
  /** What a full buffer does with an append; default 'drop-oldest'. Every drop is counted. */
  overflow?: OverflowPolicy;
  /** When appends reach the disk and what each choice survives: see durability.ts. Default 'batch'. */
  durability?: Durability;
  /** For 'interval': the longest time between two fsyncs. Default 1000. */
  syncIntervalMs?: number;
  now?: () => number;
}

export interface BufferStats {
  /** Messages stored and not yet acked or dropped. */
  depth: number;
  /** Their topic + payload bytes. */
  bytes: number;
  /** Age of the oldest of them; 0 when empty. */
  oldestAgeMs: number;
  /** `append()` calls since open, including messages the overflow policy then dropped. */
  appended: number;
  /** Messages dropped since open: by the overflow policy, for being larger than `maxBytes`, or lost to a failed commit. */
  dropped: number;
  /** Messages removed by `ack()` since open. */
  acked: number;
}

const META_LAST_SEQ = 'lastSeq';
const MiB = 1024 * 1024;
/** Records handed to the store and not yet committed: bounds the size of one write transaction. */
const IN_FLIGHT_MAX_BYTES = 4 * MiB;
/** Records waiting for the in-flight transaction to commit: only reached when the disk cannot keep up. */
const STAGED_MAX_BYTES = 16 * MiB;
const CLOSE_TIMEOUT_MS = 5_000;

function commitFailedError(): AgentError {
  return new AgentError('INTERNAL', 'a buffer commit failed (disk full or I/O error); its messages are lost and counted as dropped');
}

/**
 * Address space reserved for the store: B-tree pages, the index and pages freed by recent
 * transactions (reused once no reader holds them) need room beyond `maxBytes`. lmdb-js grows the
 * map itself when it fills (MDB_MAP_FULL), so this is a starting size, not a hard cap; the data
 * file grows with the data, not with the map.
 */
export function mapSizeFor(maxBytes: number): number {
  return Math.ceil((maxBytes * 3 + 64 * MiB) / MiB) * MiB;
}

interface CommitTracker {
  promise: Promise<boolean>;
  /** Every message handed to the store up to this seq is in this transaction or an earlier one. */
  upTo: number;
  failed: boolean;
}

interface Staged {
  entry: IndexEntry;
  record: Buffer;
}

export class DurableBuffer {
  private readonly overflow: OverflowPolicy;
  private readonly now: () => number;
  /** The bound in force: `maxBytes`, lowered after a commit failed for lack of space. */
  private capacity: number;
  private nextSeq: number;
  /** Every seq up to here is acked or dropped (removed, or queued for removal). */
  private floor: number;
  /** The last seq `next()` handed out. */
  private cursor: number;
  private depth: number;
  private bytes: number;
  private appended = 0;
  private dropped = 0;
  private acked = 0;
  /** Handed to the store but not committed yet, hence invisible to reads; index entries only. */
  private pending: IndexEntry[] = [];
  private inFlightBytes = 0;
  /** The highest seq handed to the store. */
  private handedUpTo: number;
  /** Appended while IN_FLIGHT_MAX_BYTES were in flight; newer than everything in `pending`. */
  private staged: Staged[] = [];
  private stagedBytes = 0;
  private tracker: CommitTracker | undefined;
  private recounting = false;
  private failures = 0;
  /** Pending `flushed()` calls, failed at once by a failed commit (lmdb-js never settles its flush promise then). */
  private readonly onFailure = new Set<(error: unknown) => void>();
  private closed = false;
  private closing: Promise<void> | undefined;
  private lastSeqQueued = false;
  /**
   * A seq was handed out for a message that was dropped on arrival. Recorded with the next write
   * rather than at once: a commit per dropped message is what an overloaded disk cannot afford,
   * and a seq that never reached the store is no duplicate risk for a consumer.
   */
  private seqSkipped = false;

  private constructor(
    private readonly store: RootDatabase<Buffer, number>,
    private readonly messages: Database<Buffer, number>,
    private readonly index: Database<Buffer, number>,
    private readonly meta: Database<number, string>,
    private readonly policy: FlushPolicy,
    maxBytes: number,
    opts: DurableBufferOptions,
  ) {
    this.overflow = opts.overflow ?? 'drop-oldest';
    this.now = opts.now ?? Date.now;
    this.capacity = maxBytes;
    const { depth, bytes, first, last } = this.scan();
    const lastSeq = Math.max(last ?? 0, this.meta.get(META_LAST_SEQ) ?? 0);
    this.nextSeq = lastSeq + 1;
    this.floor = first === undefined ? lastSeq : first - 1;
    this.cursor = this.floor;
    this.handedUpTo = lastSeq;
    this.depth = depth;
    this.bytes = bytes;
  }

  static async open(opts: DurableBufferOptions): Promise<DurableBuffer> {
    const { dir, maxBytes } = opts;
    const durability = opts.durability ?? 'batch';
    const syncIntervalMs = opts.syncIntervalMs ?? 1000;
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
      throw new AgentError('VALIDATION_FAILED', `buffer maxBytes must be a positive integer, got ${maxBytes}`);
    }
    if (!(syncIntervalMs > 0)) {
      throw new AgentError('VALIDATION_FAILED', `buffer syncIntervalMs must be positive, got ${syncIntervalMs}`);
    }
    let store: RootDatabase<Buffer, number> | undefined;
    try {
      await mkdir(dir, { recursive: true });
      store = open<Buffer, number>({ path: dir, maxDbs: 4, mapSize: mapSizeFor(maxBytes), ...storeOptionsFor(durability) });
      const messages = store.openDB<Buffer, number>({ name: 'messages', encoding: 'binary' });
      const index = store.openDB<Buffer, number>({ name: 'index', encoding: 'binary' });
      const meta = store.openDB<number, string>({ name: 'meta' });
      const buffer = new DurableBuffer(store, messages, index, meta, new FlushPolicy(durability, store, syncIntervalMs), maxBytes, opts);
      // A smaller maxBytes than last time applies at once.
      buffer.makeRoom(0);
      return buffer;
    } catch (err) {
      await store?.close().catch(() => undefined);
      if (err instanceof AgentError) throw err;
      throw new AgentError('INTERNAL', `cannot open the buffer in ${dir}: ${errorMessage(err)}`, { dir });
    }
  }

  /**
   * Queues the message for the next commit and returns its seq at once: `wanted` when it is
   * above every seq handed out so far, else the next one. A full buffer applies
   * the overflow policy; a message larger than `maxBytes` is dropped. Both are counted, never
   * thrown. (lmdb-js briefly stalls the caller only when hundreds of thousands of writes are
   * waiting for the disk.)
   */
  append(topic: string, payload: Buffer | string, wanted?: number): number {
    this.assertOpen();
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    // A seq the caller already gave the message (it may have been sent once under it) is kept
    // when it is still ahead of every seq handed out; otherwise the message gets the next one.
    const seq = wanted !== undefined && Number.isSafeInteger(wanted) && wanted >= this.nextSeq ? wanted : this.nextSeq;
    this.nextSeq = seq + 1;
    this.appended++;
    const size = Buffer.byteLength(topic, 'utf8') + body.length;
    if (size > this.capacity || (this.overflow === 'drop-newest' && this.bytes + size > this.capacity)) {
      this.dropped++;
      this.seqSkipped = true;
      return seq;
    }
    const direct = this.staged.length === 0 && this.inFlightBytes < IN_FLIGHT_MAX_BYTES;
    if (!direct && this.stagedBytes + size + RECORD_OVERHEAD > STAGED_MAX_BYTES) {
      // The disk is behind by more than the staging queue holds: losing the newest is the only bounded choice.
      this.dropped++;
      this.seqSkipped = true;
      return seq;
    }
    this.makeRoom(size);
    const enqueuedAt = this.now();
    const { record } = encodeMessage(enqueuedAt, topic, body);
    const entry: IndexEntry = { seq, enqueuedAt, size };
    if (direct) {
      this.hand(entry, record);
    } else {
      this.staged.push({ entry, record });
      this.stagedBytes += record.length;
    }
    this.depth++;
    this.bytes += size;
    return seq;
  }

  /**
   * Resolves once everything appended so far is durable per the policy (see durability.ts).
   * Rejects if a commit failed meanwhile (those messages are counted as dropped): the caller
   * cannot be told they are safe.
   */
  async flushed(): Promise<void> {
    // After a failed last transaction lmdb-js never settles its flush promise: nothing to wait for.
    const failuresBefore = this.tracker?.failed ? this.failures - 1 : this.failures;
    await this.handOver(this.nextSeq - 1);
    let syncError: unknown;
    if (this.failures === failuresBefore) {
      let fail: ((error: unknown) => void) | undefined;
      try {
        await new Promise<void>((resolve, reject) => {
          fail = reject;
          this.onFailure.add(reject);
          this.policy.flushed().then(resolve, reject);
        });
      } catch (err) {
        syncError = err;
      } finally {
        if (fail) this.onFailure.delete(fail);
      }
    }
    if (this.failures !== failuresBefore) throw commitFailedError();
    if (syncError !== undefined) throw new AgentError('INTERNAL', `the buffer could not fsync: ${errorMessage(syncError)}`);
  }

  /**
   * Resolves once everything appended so far is committed: visible to `next()` and safe from a
   * crash of the agent process, but on disk only as far as the policy has fsynced (with `batch`
   * the fsync follows shortly; with `interval` up to `syncIntervalMs` later). What the drain
   * waits for: sending a message needs it readable, not on disk. Rejects if a commit failed
   * meanwhile (those messages are counted as dropped).
   */
  async committed(): Promise<void> {
    const failuresBefore = this.tracker?.failed ? this.failures - 1 : this.failures;
    await this.handOver(this.nextSeq - 1);
    // A failure is accounted for in commitFailed and reported below.
    await Promise.resolve(this.store.committed).catch(() => undefined);
    if (this.failures !== failuresBefore) throw commitFailedError();
  }

  /**
   * Up to `max` messages from the head, oldest first, after the last one handed out. With
   * `maxBytes`, stops before the message that would pass it, but always returns at least one so
   * a large message cannot stall the drain. Only committed messages are visible: an append shows
   * up here within its commit (at the latest once `committed()` resolved).
   */
  next(max: number, maxBytes?: number): BufferedMessage[] {
    this.assertOpen();
    const out: BufferedMessage[] = [];
    if (max <= 0) return out;
    let total = 0;
    const start = Math.max(this.cursor, this.floor) + 1;
    for (const { key, value } of this.messages.getRange({ start, limit: max })) {
      const message = decodeMessage(value);
      if (!message) {
        // Not a record of ours; skipping it beats wedging the drain on it forever.
        this.cursor = key;
        continue;
      }
      if (maxBytes !== undefined && out.length > 0 && total + message.size > maxBytes) break;
      out.push({ seq: key, enqueuedAt: message.enqueuedAt, topic: message.topic, payload: message.payload });
      total += message.size;
      this.cursor = key;
    }
    return out;
  }

  /** Removes every message with seq <= upTo; the sink calls it once the broker accepted them. */
  ack(upTo: number): void {
    this.assertOpen();
    const last = Math.min(upTo, this.nextSeq - 1);
    if (last <= this.floor) return;
    this.writeLastSeq();
    for (const entry of this.live()) {
      if (entry.seq > last) break;
      this.remove(entry);
      this.acked++;
    }
    this.floor = last;
  }

  /** Hands out again from the oldest unacked message: after a lost connection, in-flight messages are resent. */
  rewind(): void {
    this.cursor = this.floor;
  }

  /** The highest seq handed out so far (0 for a new buffer); never handed out again. */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Messages stored and not yet acked or dropped (what `stats().depth` says, without reading the store for the oldest). */
  get waiting(): number {
    return this.depth;
  }

  stats(): BufferStats {
    let oldestAgeMs = 0;
    if (!this.closed && this.depth > 0) {
      for (const head of this.live()) {
        oldestAgeMs = Math.max(0, this.now() - head.enqueuedAt);
        break;
      }
    }
    return { depth: this.depth, bytes: this.bytes, oldestAgeMs, appended: this.appended, dropped: this.dropped, acked: this.acked };
  }

  /** Waits for the last commit and its fsync, then closes the store. Calling it again returns the same promise. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    if (this.seqSkipped) this.track(this.meta.put(META_LAST_SEQ, this.nextSeq - 1));
    // Losses are counted already; closing must not fail because of them.
    await this.flushed().catch(() => undefined);
    if (this.tracker?.failed) {
      // lmdb-js closes only after its last flush promise settles, which a failed commit never
      // does; one more commit that succeeds replaces it.
      this.track(this.meta.put(META_LAST_SEQ, this.nextSeq - 1));
      await this.flushed().catch(() => undefined);
    }
    this.closed = true;
    const synced = await this.policy.close().then(
      () => undefined,
      (err: unknown) => err,
    );
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS)));
    const outcome = await Promise.race([this.store.close(), gaveUp]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      throw new AgentError('INTERNAL', `the buffer store did not close within ${CLOSE_TIMEOUT_MS} ms after a failed commit; everything committed is on disk`);
    }
    if (synced !== undefined) throw new AgentError('INTERNAL', `the last fsync before closing the buffer failed: ${errorMessage(synced)}`);
  }

  /** Stored messages after the floor, oldest first: the committed ones, then those still in flight to the store. */
  private *live(): Generator<IndexEntry> {
    let last = this.floor;
    for (const { key, value } of this.index.getRange({ start: this.floor + 1 })) {
      const entry = decodeIndex(key, value);
      if (!entry) continue;
      last = key;
      yield entry;
    }
    for (const entry of this.pending) {
      if (entry.seq > last) {
        last = entry.seq;
        yield entry;
      }
    }
    // By position, not by iterator: the consumer may remove the entry just yielded, which is
    // then the first staged one (removals always take the oldest).
    let i = 0;
    for (;;) {
      while (i < this.staged.length && this.staged[i]!.entry.seq <= last) i++;
      const next = this.staged[i];
      if (!next) return;
      last = next.entry.seq;
      yield next.entry;
    }
  }

  /** Drops whole oldest messages until `size` more bytes fit. */
  private makeRoom(size: number): void {
    if (this.bytes + size <= this.capacity) return;
    this.writeLastSeq();
    for (const entry of this.live()) {
      this.remove(entry);
      this.dropped++;
      this.floor = entry.seq;
      if (this.bytes + size <= this.capacity) break;
    }
  }

  private remove(entry: IndexEntry): void {
    const first = this.staged[0];
    if (first && entry.seq >= first.entry.seq) {
      // Never handed to the store: forget it instead of queueing a removal before its write.
      this.staged.shift();
      this.stagedBytes -= first.record.length;
    } else {
      this.track(this.messages.remove(entry.seq));
      this.track(this.index.remove(entry.seq));
    }
    this.depth--;
    this.bytes -= entry.size;
  }

  private hand(entry: IndexEntry, record: Buffer): void {
    if (this.seqSkipped) this.writeLastSeq();
    this.handedUpTo = entry.seq;
    this.track(this.messages.put(entry.seq, record));
    this.track(this.index.put(entry.seq, encodeIndex(entry.enqueuedAt, entry.size)));
    this.pending.push(entry);
    this.inFlightBytes += record.length;
  }

  /** Hands every staged record up to `target` to the store, waiting for commits to make room. */
  private async handOver(target: number): Promise<void> {
    while (!this.closed && (this.staged[0]?.entry.seq ?? Infinity) <= target) {
      if (this.pending.length === 0) this.pump();
      // A failure is accounted for in commitFailed and reported by the caller.
      await Promise.resolve(this.store.committed).catch(() => undefined);
    }
  }

  /** Hands staged records to the store, in order, up to the in-flight bound; one call is one transaction. */
  private pump(): void {
    while (this.inFlightBytes < IN_FLIGHT_MAX_BYTES) {
      const next = this.staged.shift();
      if (!next) return;
      this.stagedBytes -= next.record.length;
      this.hand(next.entry, next.record);
    }
  }

  /**
   * Records the highest seq handed out, once per turn however many drops or removals it covers:
   * a microtask still runs in the turn whose writes lmdb-js commits as one transaction, so the
   * record commits together with the removals it covers.
   */
  private writeLastSeq(): void {
    if (this.lastSeqQueued) return;
    this.lastSeqQueued = true;
    queueMicrotask(() => {
      this.lastSeqQueued = false;
      this.seqSkipped = false;
      if (!this.closed) this.track(this.meta.put(META_LAST_SEQ, this.nextSeq - 1));
    });
  }

  /**
   * Follows each transaction (writes of one turn share one promise) to learn when its appends
   * became visible to reads, and to account for them if the commit failed.
   */
  private track(promise: Promise<boolean>): void {
    const upTo = this.handedUpTo;
    if (this.tracker?.promise === promise) {
      this.tracker.upTo = upTo;
      return;
    }
    const tracker: CommitTracker = { promise, upTo, failed: false };
    this.tracker = tracker;
    promise.then(
      () => this.onCommitted(tracker.upTo),
      (err: unknown) => {
        tracker.failed = true;
        this.commitFailed(err, tracker.upTo);
      },
    );
  }

  private onCommitted(upTo: number): void {
    this.policy.noteCommit();
    this.settlePending(upTo);
    if (!this.closed) this.pump();
  }

  /** Drops the pending entries up to `upTo` (transactions commit in order) and returns them. */
  private settlePending(upTo: number): IndexEntry[] {
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.seq <= upTo) n++;
    const settled = n === 0 ? [] : this.pending.splice(0, n);
    for (const entry of settled) this.inFlightBytes -= entry.size + RECORD_OVERHEAD;
    return settled;
  }

  /**
   * A failed commit (in practice: the disk is full, MDB_MAP_FULL once the map cannot grow)
   * lost the appends of that transaction: count them as dropped. Its removals did not happen
   * either, so recount from the store once the queue settles, and lower the bound so older
   * messages make room for new ones instead of every commit failing.
   */
  private commitFailed(err: unknown, upTo: number): void {
    // lmdb-js attaches the underlying error as a second promise that nobody else awaits.
    const cause = (err as { commitError?: unknown } | undefined)?.commitError;
    if (cause instanceof Promise) cause.catch(() => undefined);
    this.failures++;
    for (const fail of this.onFailure) fail(err);
    this.onFailure.clear();
    for (const lost of this.settlePending(upTo)) {
      if (lost.seq <= this.floor) continue; // already dropped or acked, already subtracted
      this.depth--;
      this.bytes -= lost.size;
      this.dropped++;
    }
    if (this.closed) return;
    this.pump();
    if (this.recounting) return;
    this.recounting = true;
    this.store.committed.then(
      () => this.recount(),
      () => this.recount(),
    );
  }

  private recount(): void {
    this.recounting = false;
    if (this.closed) return;
    let depth = 0;
    let bytes = 0;
    let last = this.floor;
    for (const { key, value } of this.index.getRange({})) {
      const entry = decodeIndex(key, value);
      if (!entry) continue;
      if (key <= this.floor) {
        // Acked or dropped, but its removal was in the failed transaction.
        this.remove(entry);
        continue;
      }
      depth++;
      bytes += entry.size;
      last = key;
    }
    for (const entry of this.pending) {
      if (entry.seq > last) {
        depth++;
        bytes += entry.size;
      }
    }
    for (const { entry } of this.staged) {
      depth++;
      bytes += entry.size;
    }
    this.depth = depth;
    this.bytes = bytes;
    this.capacity = Math.min(this.capacity, Math.max(MiB, Math.floor(bytes * 0.9)));
    this.makeRoom(0);
  }

  /** Depth, bytes and the stored seq range, from the index alone. */
  private scan(): { depth: number; bytes: number; first: number | undefined; last: number | undefined } {
    let depth = 0;
    let bytes = 0;
    let first: number | undefined;
    let last: number | undefined;
    for (const { key, value } of this.index.getRange({})) {
      const entry = decodeIndex(key, value);
      if (!entry) continue;
      first ??= key;
      last = key;
      depth++;
      bytes += entry.size;
    }
    return { depth, bytes, first, last };
  }

  private assertOpen(): void {
    if (this.closed) throw new AgentError('INTERNAL', 'the buffer is closed');
  }
}
