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

/**
 * Gets a sink's formatted messages to its transport without losing them. While the link is up
 * and nothing waits, a message goes straight out (no disk in the way of live data). Otherwise it
 * is appended to the sink's durable buffer: while the link is down, when a send fails (the
 * message is taken back), and while a backlog drains, so the order is kept. After a reconnect
 * the backlog drains oldest first, in windows of `maxInFlight`, each message acked to the
 * buffer only once the peer has it; a failed window is handed out again later.
 *
 * What a crash can lose: messages in the buffer survive (durability per the buffer settings);
 * the at most `maxInFlight` messages sent straight and not yet acknowledged when the agent
 * process dies are not in the buffer.
 */
export class Forwarder {
  published = 0;
  errors = 0;
  /** Dropped before reaching the buffer (it could not be opened in time). */
  lost = 0;
  private buffer: DurableBuffer | undefined;
  private opening: Promise<DurableBuffer | undefined> | undefined;
  private pending: Array<{ topic: string; payload: Buffer }> = [];
  private inFlight = 0;
  /** Resolved when the last message sent straight has settled (the drain and stop wait for it). */
  private settled: { promise: Promise<void>; resolve: () => void } | undefined;
  private draining = false;
  private running = false;
  private readonly maxInFlight: number;

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
    if (this.options.transport.link() === 'connected' && !this.backlogged() && this.inFlight < this.maxInFlight) {
      this.inFlight++;
      this.options.transport.send({ topic, payload }).then(
        () => {
          this.published++;
          this.sentOne();
        },
        () => {
          this.errors++;
          this.keep(topic, payload);
          this.sentOne();
        },
      );
      return;
    }
    this.keep(topic, payload);
  }

  stats(): { depth: number; bytes: number; oldestAgeMs: number; dropped: number } {
    const s = this.buffer?.stats();
    return { depth: (s?.depth ?? 0) + this.pending.length, bytes: s?.bytes ?? 0, oldestAgeMs: s?.oldestAgeMs ?? 0, dropped: (s?.dropped ?? 0) + this.lost };
  }

  private backlogged(): boolean {
    return this.draining || this.pending.length > 0 || this.opening !== undefined || (this.buffer !== undefined && this.buffer.waiting > 0);
  }

  private sentOne(): void {
    this.inFlight--;
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

  private keep(topic: string, payload: Buffer): void {
    if (this.buffer) {
      this.buffer.append(topic, payload);
      void this.drain();
      return;
    }
    if (this.pending.length >= MAX_PENDING) this.lost++;
    else this.pending.push({ topic, payload });
    void this.openBuffer();
  }

  private openBuffer(): Promise<DurableBuffer | undefined> {
    this.opening ??= this.options.buffers.acquire(this.options.sink, this.options.buffer).then(
      (buffer) => {
        this.buffer = buffer;
        for (const p of this.pending) buffer.append(p.topic, p.payload);
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

  /** Sends the backlog, oldest first, while the link is up. */
  private async drain(): Promise<void> {
    const buffer = this.buffer;
    const transport = this.options.transport;
    if (this.draining || !buffer || !this.running) return;
    this.draining = true;
    let failed = false;
    try {
      while (this.running && transport.link() === 'connected') {
        await buffer.flushed();
        // Let live sends of before the backlog settle first, so the order holds.
        await this.allSettled();
        const batch = buffer.next(this.maxInFlight);
        if (batch.length === 0) break;
        const results = await Promise.allSettled(batch.map((m) => transport.send({ topic: m.topic, payload: m.payload, seq: m.seq })));
        let sent = 0;
        while (sent < results.length && results[sent]!.status === 'fulfilled') sent++;
        if (sent > 0) buffer.ack(batch[sent - 1]!.seq);
        this.published += sent;
        if (sent < batch.length) {
          this.errors++;
          buffer.rewind();
          failed = true;
          break;
        }
      }
    } catch (err) {
      this.options.log.warn({ sink: this.options.sink, err: errorMessage(err) }, 'draining the sink buffer failed');
      buffer.rewind();
      failed = true;
    } finally {
      this.draining = false;
    }
    // Appended while the last window was being committed, or refused by a peer that is still
    // connected: try again shortly (after a failure, not in a tight loop).
    if (this.running && buffer.waiting > 0 && transport.link() === 'connected') setTimeout(() => void this.drain(), failed ? 1_000 : 10).unref();
  }
}
