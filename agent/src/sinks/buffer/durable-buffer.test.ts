import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DurableBuffer, type BufferedMessage, type DurableBufferOptions } from './durable-buffer.js';

let root: string;
let dir: string;
const opened: DurableBuffer[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ef-buffer-'));
  dir = join(root, 'sink-a');
});

afterEach(async () => {
  for (const b of opened.splice(0)) await b.close();
  await rm(root, { recursive: true, force: true });
});

async function openBuffer(opts: Partial<DurableBufferOptions> = {}): Promise<DurableBuffer> {
  const b = await DurableBuffer.open({ dir, maxBytes: 1024 * 1024, ...opts });
  opened.push(b);
  return b;
}

async function reopen(b: DurableBuffer, opts: Partial<DurableBufferOptions> = {}): Promise<DurableBuffer> {
  await b.close();
  return openBuffer(opts);
}

/** Everything from the head, oldest first, without acking. */
function drainAll(b: DurableBuffer): BufferedMessage[] {
  b.rewind();
  const all: BufferedMessage[] = [];
  for (let batch = b.next(100); batch.length > 0; batch = b.next(100)) all.push(...batch);
  return all;
}

const seqs = (ms: BufferedMessage[]) => ms.map((m) => m.seq);

describe('DurableBuffer', () => {
  it('hands messages out in order, resends after rewind and forgets them once acked', async () => {
    const b = await openBuffer();
    for (let i = 1; i <= 5; i++) expect(b.append(`t/${i}`, `payload ${i}`)).toBe(i);
    await b.flushed();

    const first = b.next(2);
    expect(first.map((m) => [m.seq, m.topic, m.payload.toString()])).toEqual([
      [1, 't/1', 'payload 1'],
      [2, 't/2', 'payload 2'],
    ]);
    expect(seqs(b.next(2))).toEqual([3, 4]);
    b.rewind();
    expect(seqs(b.next(10))).toEqual([1, 2, 3, 4, 5]);
    expect(b.next(10)).toEqual([]);

    b.ack(2);
    b.rewind();
    expect(seqs(b.next(10))).toEqual([3, 4, 5]);
    b.ack(5);
    await b.flushed();
    b.rewind();
    expect(b.next(10)).toEqual([]);
    expect(b.stats()).toMatchObject({ depth: 0, bytes: 0, oldestAgeMs: 0, appended: 5, acked: 5, dropped: 0 });
  });

  it('continues after the last handed-out message while live data keeps arriving', async () => {
    const b = await openBuffer();
    b.append('t', 'a');
    b.append('t', 'b');
    await b.flushed();
    expect(seqs(b.next(10))).toEqual([1, 2]);
    b.append('t', 'c');
    // Not committed yet: invisible until its transaction is.
    expect(b.next(10)).toEqual([]);
    await b.flushed();
    expect(seqs(b.next(10))).toEqual([3]);
  });

  it('committed() makes appends visible without waiting for the interval fsync', async () => {
    const b = await openBuffer({ durability: 'interval', syncIntervalMs: 3_000 });
    b.append('t', 'a');
    b.append('t', 'b');
    const t = performance.now();
    await b.committed();
    // flushed() would wait for the first fsync, 3 s after the open.
    expect(performance.now() - t).toBeLessThan(2_000);
    expect(seqs(b.next(10))).toEqual([1, 2]);
  });

  it('stops next() at maxBytes but always returns at least one message', async () => {
    const b = await openBuffer();
    for (let i = 0; i < 4; i++) b.append('tt', Buffer.alloc(98)); // 100 bytes each
    await b.flushed();
    expect(seqs(b.next(10, 250))).toEqual([1, 2]);
    expect(seqs(b.next(10, 10))).toEqual([3]);
    expect(seqs(b.next(10, 1000))).toEqual([4]);
  });

  it('reports depth, bytes and the age of the oldest message', async () => {
    let now = 1_000;
    const b = await openBuffer({ now: () => now });
    b.append('topic', Buffer.alloc(95)); // 100 bytes
    now = 1_500;
    b.append('ab', 'xyz'); // 5 bytes
    expect(b.stats()).toMatchObject({ depth: 2, bytes: 105, appended: 2 });
    now = 3_000;
    expect(b.stats().oldestAgeMs).toBe(2_000);
    await b.flushed();
    expect(b.stats().oldestAgeMs).toBe(2_000);
    b.ack(1);
    expect(b.stats()).toMatchObject({ depth: 1, bytes: 5, oldestAgeMs: 1_500, acked: 1 });
    now = 4_000;
    b.ack(2);
    expect(b.stats()).toMatchObject({ depth: 0, bytes: 0, oldestAgeMs: 0, acked: 2 });
  });

  it('drops whole oldest messages until a new one fits, counting each', async () => {
    const b = await openBuffer({ maxBytes: 100 });
    const msg = Buffer.alloc(29); // + 1-byte topic = 30 bytes
    for (let i = 0; i < 3; i++) b.append('t', msg);
    await b.flushed();
    b.append('t', msg);
    expect(b.stats()).toMatchObject({ depth: 3, bytes: 90, dropped: 1 });
    // Several at once, before any of them is committed.
    for (let i = 0; i < 6; i++) b.append('t', msg);
    expect(b.stats()).toMatchObject({ depth: 3, bytes: 90, dropped: 7, appended: 10 });
    // A bigger one evicts as many as it needs.
    b.append('t', Buffer.alloc(59));
    expect(b.stats()).toMatchObject({ depth: 2, bytes: 90, dropped: 9 });
    await b.flushed();
    expect(seqs(drainAll(b))).toEqual([10, 11]);
    const again = await reopen(b, { maxBytes: 100 });
    expect(again.stats()).toMatchObject({ depth: 2, bytes: 90 });
    expect(seqs(drainAll(again))).toEqual([10, 11]);
  });

  it('drops the newest message with drop-newest, counting it, and never reuses its seq', async () => {
    const b = await openBuffer({ maxBytes: 100, overflow: 'drop-newest' });
    const msg = Buffer.alloc(29);
    for (let i = 0; i < 3; i++) b.append('t', msg);
    expect(b.append('t', msg)).toBe(4);
    expect(b.stats()).toMatchObject({ depth: 3, bytes: 90, dropped: 1 });
    await b.flushed();
    expect(seqs(drainAll(b))).toEqual([1, 2, 3]);
    b.ack(3);
    const again = await reopen(b, { maxBytes: 100, overflow: 'drop-newest' });
    expect(again.append('t', msg)).toBe(5);
  });

  it('drops and counts a message larger than maxBytes, whatever the policy', async () => {
    const b = await openBuffer({ maxBytes: 100 });
    b.append('t', 'small');
    expect(b.append('t', Buffer.alloc(100))).toBe(2); // 101 bytes with the topic
    expect(b.stats()).toMatchObject({ depth: 1, bytes: 6, dropped: 1 });
    await b.flushed();
    expect(seqs(drainAll(b))).toEqual([1]);
  });

  it('keeps its contents and continues the sequence after a reopen', async () => {
    let now = 10_000;
    const b = await openBuffer({ now: () => now });
    b.append('a', 'one');
    now = 11_000;
    b.append('b', Buffer.from([0, 1, 2, 255]));
    b.append('c', '');
    await b.flushed();
    expect(seqs(b.next(1))).toEqual([1]);

    now = 15_000;
    const again = await reopen(b, { now: () => now });
    expect(again.stats()).toMatchObject({ depth: 3, bytes: 10, oldestAgeMs: 5_000, appended: 0 });
    // Nothing is acked, so everything is handed out again.
    const all = again.next(10);
    expect(all.map((m) => [m.seq, m.enqueuedAt, m.topic, [...m.payload]])).toEqual([
      [1, 10_000, 'a', [...Buffer.from('one')]],
      [2, 11_000, 'b', [0, 1, 2, 255]],
      [3, 11_000, 'c', []],
    ]);
    expect(again.append('d', 'x')).toBe(4);
  });

  it('never reuses a seq after everything was acked and the store reopened', async () => {
    const b = await openBuffer();
    for (let i = 0; i < 3; i++) b.append('t', 'x');
    await b.flushed();
    b.ack(3);
    const again = await reopen(b);
    expect(again.stats().depth).toBe(0);
    expect(again.append('t', 'y')).toBe(4);
    await again.flushed();
    expect(seqs(again.next(10))).toEqual([4]);
  });

  it('applies a smaller maxBytes at reopen by dropping the oldest', async () => {
    const b = await openBuffer();
    for (let i = 0; i < 5; i++) b.append('t', Buffer.alloc(9)); // 10 bytes each
    const again = await reopen(b, { maxBytes: 25 });
    expect(again.stats()).toMatchObject({ depth: 2, bytes: 20, dropped: 3 });
    await again.flushed();
    expect(seqs(drainAll(again))).toEqual([4, 5]);
  });

  it('ignores acks at or below what was already acked and clamps acks beyond the last seq', async () => {
    const b = await openBuffer();
    b.append('t', 'a');
    b.append('t', 'b');
    b.ack(0);
    b.ack(99); // includes messages not even committed yet
    expect(b.stats()).toMatchObject({ depth: 0, bytes: 0, acked: 2 });
    await b.flushed();
    expect(drainAll(b)).toEqual([]);
    expect(b.append('t', 'c')).toBe(3);
  });

  it.each(['interval', 'none'] as const)('stores and reloads with durability %s', async (durability) => {
    const b = await openBuffer({ durability, syncIntervalMs: 20 });
    for (let i = 0; i < 10; i++) b.append('t', `m${i}`);
    await b.flushed();
    expect(seqs(b.next(3))).toEqual([1, 2, 3]);
    const again = await reopen(b, { durability, syncIntervalMs: 20 });
    expect(again.stats().depth).toBe(10);
    expect(drainAll(again).map((m) => m.payload.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
  });

  it('takes a burst bigger than one transaction in order, with nothing dropped', async () => {
    const b = await openBuffer({ maxBytes: 64 * 1024 * 1024 });
    const n = 12_000; // ~12 MB in one tick: more than one transaction holds
    for (let i = 0; i < n; i++) b.append('t', Buffer.alloc(1000, i % 256));
    expect(b.stats()).toMatchObject({ depth: n, dropped: 0 });
    await b.flushed();
    let expected = 1;
    for (let batch = b.next(500); batch.length > 0; batch = b.next(500)) {
      for (const m of batch) {
        expect(m.seq).toBe(expected);
        expect(m.payload[999]).toBe((expected - 1) % 256);
        expected++;
      }
      b.ack(batch[batch.length - 1]!.seq);
    }
    expect(expected).toBe(n + 1);
    expect(b.stats()).toMatchObject({ depth: 0, bytes: 0, acked: n });
  });

  it('drop-oldest can evict messages still waiting for the disk', async () => {
    const b = await openBuffer({ maxBytes: 5 * 1024 * 1024 });
    const n = 8_000; // ~8 MB in one tick against a 5 MB bound
    for (let i = 0; i < n; i++) b.append('t', Buffer.alloc(1023, i % 256));
    const { depth, dropped, bytes } = b.stats();
    expect(depth + dropped).toBe(n);
    expect(bytes).toBeLessThanOrEqual(5 * 1024 * 1024);
    await b.flushed();
    const all = drainAll(b);
    expect(all.length).toBe(depth);
    expect(all[0]!.seq).toBe(dropped + 1);
    expect(all[all.length - 1]!.seq).toBe(n);
    const again = await reopen(b, { maxBytes: 5 * 1024 * 1024 });
    expect(again.stats()).toMatchObject({ depth, bytes });
  });

  it('refuses a maxBytes that is not a positive integer', async () => {
    await expect(DurableBuffer.open({ dir, maxBytes: 0 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('appends and drains at a useful rate', async () => {
    const b = await openBuffer({ maxBytes: 256 * 1024 * 1024 });
    const payload = Buffer.alloc(1000, 7);
    const n = 20_000;
    let t = performance.now();
    for (let i = 0; i < n; i += 250) {
      for (let j = 0; j < 250; j++) b.append('ef/v1/agent/sink/device/group', payload);
      await new Promise((r) => setImmediate(r));
    }
    await b.flushed();
    const appendRate = (n / (performance.now() - t)) * 1000;
    expect(b.stats().dropped).toBe(0);

    t = performance.now();
    let drained = 0;
    for (let batch = b.next(500); batch.length > 0; batch = b.next(500)) {
      drained += batch.length;
      b.ack(batch[batch.length - 1]!.seq);
    }
    await b.flushed();
    const drainRate = (drained / (performance.now() - t)) * 1000;
    console.log(`durable buffer: ${Math.round(appendRate)} appends/s, ${Math.round(drainRate)} drained/s (1 KB, batch durability)`);
    expect(drained).toBe(n);
    // Floors far below the measured figures: this must not flake on a busy machine.
    expect(appendRate).toBeGreaterThan(2_000);
    expect(drainRate).toBeGreaterThan(2_000);
  });
});
