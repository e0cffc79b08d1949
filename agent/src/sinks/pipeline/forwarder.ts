import type { BufferSettings } from '@edgefleet/protocol';
import type { Logger } from '../../log.js';
import { errorMessage } from '../../util/errors.js';
import type { BufferPool } from '../buffer/buffer-pool.js';
import type { DurableBuffer } from '../buffer/durable-buffer.js';
import type { SinkTransport } from '../transport/transport.js';

export interface ForwarderOptions {
  sink: string;
  transport: SinkTransport;
  buffers: BufferPool;
  buffer: BufferSettings;
  log: Logger;
  /** Messages sent and not yet acknowledged at a time. */
  maxInFlight?: number;
}

/** Messages held in memory while the buffer opens; beyond this they are dropped and counted. */
const MAX_PENDING = 10_000;

interface WindowEntry {
  topic: string;
  payload: Buffer;
  seq: number;
  /** `held`: submitted while an earlier straight send was still waiting for the peer, not sent. */
  state: 'sending' | 'sent' | 'failed' | 'held';
}

/**
 * Gets a sink's formatted messages to its transport without losing them. While the link is up
 * and nothing waits, a message goes straight out (no disk in the way of live data). Otherwise it
 * is appended to the sink's durable buffer: while the link is down, when a send fails (the
 * message is taken back), and while a backlog drains, so the order is kept. After a reconnect
 * the backlog drains oldest first through a sliding window of `maxInFlight` sends, each message
 * acked to the buffer only once the peer has it and every one before it; after a failed send
 * the rest is handed out again later, under the same seqs.
 *
 * A send that fails is kept in the buffer ahead of everything submitted after it: messages
 * submitted while earlier straight sends still wait for the peer are held in memory, in order,
 * until those settle.
 *
 * What a crash can lose: messages in the buffer survive (durability per the buffer settings);
 * the at most `maxInFlight` messages sent straight and not yet acknowledged when the agent
 * process dies are not in the buffer, nor are those held behind them (only while a link is
 * failing: a window of sends takes at most the transport's timeout to settle).
 */
export class Forwarder {
  published = 0;
  errors = 0;
  /** Dropped before reaching the buffer (it could not be opened in time). */
  lost = 0;
  private buffer: DurableBuffer | undefined;
  private opening: Promise<DurableBuffer | undefined> | undefined;
  private pending: Array<{ topic: string; payload: Buffer; seq: number }> = [];
  /** Messages sent straight and not yet settled, with those submitted behind them, in submit order. */
  private window: WindowEntry[] = [];
  /** Entries before this index are settled and only wait to be cut off. */
  private windowHead = 0;
  /** Entries of the window in state `held`. */
  private held = 0;
  private inFlight = 0;
  /** Resolved when the last message sent straight has settled (the drain and stop wait for it). */
  private settled: { promise: Promise<void>; resolve: () => void } | undefined;
  private draining = false;
  private running = false;
  private readonly maxInFlight: number;
  /**
   * The seq of the next message. Every message gets one when submitted and keeps it if it is
   * buffered, so a message sent again (its first send reached the peer but the ack did not come
   * back) carries the same seq and a consumer can tell the duplicate. Strictly increasing and
   * never reused across restarts: it starts from the clock in microseconds, and above the
   * buffer's last seq.
   */
  private nextSeq = Date.now() * 1000;

  constructor(private readonly options: ForwarderOptions) {
    this.maxInFlight = options.maxInFlight ?? 100;
  }

  async start(): Promise<void> {
    this.running = true;
    const { transport, buffers, sink } = this.options;
    transport.onLinkChange((link) => {
      if (link === 'connected') void this.drain();
    });
    // A backlog left by an earlier run drains as soon as the link is up.
    if (buffers.exists(sink)) await this.openBuffer();
    if (this.buffer) this.nextSeq = Math.max(this.nextSeq, this.buffer.lastSeq + 1);
    transport.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.options.transport.stop();
    // Sends cut short by the stop come back as failures and are appended: wait for them (a
    // transport that never settles them must not hold the stop; 1 s is plenty for one that does).
    await Promise.race([this.allSettled(), new Promise((r) => setTimeout(r, 1_000).unref())]);
    if (this.opening) await this.opening;
    if (this.buffer) {
      await this.buffer.flushed().catch((err: unknown) => this.options.log.warn({ sink: this.options.sink, err: errorMessage(err) }, 'buffer flush failed'));
      this.buffer = undefined;
      await this.options.buffers.release(this.options.sink);
    }
  }

  /** Sends or keeps one message; never throws, never waits. */
  submit(topic: string, payload: Buffer): void {
    const seq = this.nextSeq++;
    if (this.options.transport.link() === 'connected' && !this.backlogged() && this.inFlight < this.maxInFlight) {
      const entry: WindowEntry = { topic, payload, seq, state: 'sending' };
      this.window.push(entry);
      this.inFlight++;
      this.options.transport.send({ topic, payload, seq }).then(
        () => {
          this.published++;
          entry.state = 'sent';
          this.sentOne();
        },
        () => {
          this.errors++;
          entry.state = 'failed';
          this.sentOne();
        },
      );
      return;
    }
    // Behind a send still waiting for the peer: held in order, so if that send fails and is kept,
    // it goes to the buffer before this one.
    if (this.window.length > this.windowHead && this.held < MAX_PENDING) {
      this.window.push({ topic, payload, seq, state: 'held' });
      this.held++;
      return;
    }
    this.keep(topic, payload, seq);
  }

  stats(): { depth: number; bytes: number; oldestAgeMs: number; dropped: number } {
    const s = this.buffer?.stats();
    let pendingBytes = 0;
    for (const p of this.pending) pendingBytes += Buffer.byteLength(p.topic) + p.payload.length;
    return { depth: (s?.depth ?? 0) + this.pending.length, bytes: (s?.bytes ?? 0) + pendingBytes, oldestAgeMs: s?.oldestAgeMs ?? 0, dropped: (s?.dropped ?? 0) + this.lost };
  }

  private backlogged(): boolean {
    return this.held > 0 || this.draining || this.pending.length > 0 || this.opening !== undefined || (this.buffer !== undefined && this.buffer.waiting > 0);
  }

  private sentOne(): void {
    this.inFlight--;
    // Settle the window from its head: what the peer has is done; a failed send and what was held
    // behind it go to the buffer in the order they were submitted.
    const window = this.window;
    let head = this.windowHead;
    for (; head < window.length; head++) {
      const entry = window[head]!;
      if (entry.state === 'sending') break;
      if (entry.state === 'held') this.held--;
      if (entry.state !== 'sent') this.keep(entry.topic, entry.payload, entry.seq);
    }
    if (head === window.length) {
      window.length = 0;
      head = 0;
    } else if (head >= 1024) {
      window.splice(0, head);
      head = 0;
    }
    this.windowHead = head;
    if (this.inFlight === 0 && this.settled) {
      this.settled.resolve();
      this.settled = undefined;
    }
  }

  /** Resolves once no message sent straight is still waiting for the peer. */
  private allSettled(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    if (!this.settled) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.settled = { promise, resolve };
    }
    return this.settled.promise;
  }

  private keep(topic: string, payload: Buffer, seq: number): void {
    if (this.buffer) {
      this.buffer.append(topic, payload, seq);
      void this.drain();
      return;
    }
    if (this.pending.length >= MAX_PENDING) this.lost++;
    else this.pending.push({ topic, payload, seq });
    void this.openBuffer();
  }

  private openBuffer(): Promise<DurableBuffer | undefined> {
    this.opening ??= this.options.buffers.acquire(this.options.sink, this.options.buffer).then(
      (buffer) => {
        this.buffer = buffer;
        for (const p of this.pending) buffer.append(p.topic, p.payload, p.seq);
        this.pending = [];
        this.opening = undefined;
        void this.drain();
        return buffer;
      },
      (err: unknown) => {
        this.options.log.error({ sink: this.options.sink, err: errorMessage(err) }, 'the sink buffer cannot be opened; messages wait in memory');
        this.opening = undefined;
        return undefined;
      },
    );
    return this.opening;
  }

  /**
   * Sends the backlog, oldest first, while the link is up: a sliding window of `maxInFlight`
   * sends, the next message going out as each one is acknowledged (waiting for a whole window to
   * be acknowledged left the link idle for a round trip per window). The buffer is acked up to
   * the last message of the acknowledged prefix, so completions out of order never ack a message
   * the peer does not have. A failed send ends the drain: what was sent after it is sent again
   * later, under its same seq.
   */
  private async drain(): Promise<void> {
    const buffer = this.buffer;
    const transport = this.options.transport;
    if (this.draining || !buffer || !this.running) return;
    this.draining = true;
    let failed = false;
    /** Handed to the transport and not yet acked to the buffer, in seq order. */
    const window: Array<{ seq: number; done: boolean }> = [];
    let outstanding = 0;
    let wake: (() => void) | undefined;
    const onSettled = (): void => {
      outstanding--;
      const w = wake;
      wake = undefined;
      w?.();
    };
    const aSettle = (): Promise<void> => new Promise<void>((resolve) => (wake = resolve));
    const ackPrefix = (): void => {
      let n = 0;
      while (n < window.length && window[n]!.done) n++;
      if (n === 0) return;
      buffer.ack(window[n - 1]!.seq);
      this.published += n;
      window.splice(0, n);
    };
    try {
      // Let live sends of before the backlog settle first, so the order holds.
      await this.allSettled();
      // Committed is enough to send (next() sees only committed messages); on disk is not
      // needed: a message sent before its fsync is at worst sent again after a power loss, as
      // any unacked one. Waiting for the fsync held each window for one (`batch`) or for up to
      // `syncIntervalMs` (`interval`: ≈ 100 messages/s at the default 1 s).
      await buffer.committed();
      let caughtUp = false;
      while (this.running && !failed && transport.link() === 'connected') {
        const batch = outstanding < this.maxInFlight ? buffer.next(this.maxInFlight - outstanding) : [];
        for (const m of batch) {
          const entry = { seq: m.seq, done: false };
          window.push(entry);
          outstanding++;
          transport.send({ topic: m.topic, payload: m.payload, seq: m.seq }).then(
            () => {
              entry.done = true;
              onSettled();
            },
            () => {
              failed = true;
              onSettled();
            },
          );
        }
        if (batch.length > 0) caughtUp = false;
        if (outstanding === 0) {
          ackPrefix();
          // Everything committed is sent: wait once for appends still on their way to the store.
          if (caughtUp || buffer.waiting === 0) break;
          caughtUp = true;
          await buffer.committed();
          continue;
        }
        if (batch.length === 0 || outstanding >= this.maxInFlight) await aSettle();
        ackPrefix();
      }
      // The sends still out settle before the buffer is left (or rewound after a failure).
      while (outstanding > 0) {
        await aSettle();
        ackPrefix();
      }
      ackPrefix();
      if (failed || window.length > 0) {
        this.errors++;
        failed = true;
        buffer.rewind();
      }
    } catch (err) {
      this.options.log.warn({ sink: this.options.sink, err: errorMessage(err) }, 'draining the sink buffer failed');
      buffer.rewind();
      failed = true;
    } finally {
      this.draining = false;
    }
    // Appended while the drain was ending, or refused by a peer that is still connected: try
    // again shortly (after a failure, not in a tight loop).
    if (this.running && buffer.waiting > 0 && transport.link() === 'connected') setTimeout(() => void this.drain(), failed ? 1_000 : 10).unref();
  }
}
