import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferSettingsSchema, type LinkState } from '@edgefleet/protocol';
import { silentLog } from '../../test-support/fixtures.js';
import { BufferPool } from '../buffer/buffer-pool.js';
import type { OutboundMessage, SinkTransport } from '../transport/transport.js';
import { LinkStatus } from '../transport/link-status.js';
import { Forwarder } from './forwarder.js';

/** A transport whose sends the test settles by hand, like a broker that answers when it likes. */
class ManualTransport implements SinkTransport {
  readonly status = new LinkStatus(silentLog);
  readonly sends: Array<{ message: OutboundMessage; ack: () => void; fail: () => void }> = [];
  /** Payloads the peer accepted, in order. */
  readonly delivered: string[] = [];
  /** The seq of every send attempt, by payload. */
  readonly seqs = new Map<string, number[]>();
  autoAck = false;

  start(): void {}
  async stop(): Promise<void> {}
  link(): LinkState {
    return this.status.state;
  }
  lastError(): string | null {
    return null;
  }
  onLinkChange(listener: (link: LinkState) => void): void {
    this.status.onChange(listener);
  }
  send(message: OutboundMessage): Promise<void> {
    if (this.status.state !== 'connected') return Promise.reject(new Error('down'));
    const key = message.payload.toString();
    this.seqs.set(key, [...(this.seqs.get(key) ?? []), message.seq!]);
    return new Promise((resolve, reject) => {
      const ack = () => {
        this.delivered.push(message.payload.toString());
        resolve();
      };
      if (this.autoAck) return ack();
      this.sends.push({ message, ack, fail: () => reject(new Error('connection lost')) });
    });
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function forwarder(transport: ManualTransport): Promise<Forwarder> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ef-forwarder-'));
  dirs.push(dir);
  const f = new Forwarder({ sink: 'plant', transport, buffers: new BufferPool(dir), buffer: BufferSettingsSchema.parse({}), log: silentLog });
  await f.start();
  return f;
}

const until = async (what: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(what()).toBe(true);
};

describe('Forwarder', () => {
  it('keeps order when the link fails under sends still waiting for the peer', async () => {
    const transport = new ManualTransport();
    transport.status.set('connected');
    const f = await forwarder(transport);
    for (let i = 1; i <= 3; i++) f.submit('t', Buffer.from(String(i)));
    expect(transport.sends).toHaveLength(3);
    transport.sends[0]!.ack();
    // The link drops; messages 4 and 5 come while 2 and 3 are still unsettled.
    transport.status.set('disconnected');
    f.submit('t', Buffer.from('4'));
    f.submit('t', Buffer.from('5'));
    transport.sends[1]!.fail();
    transport.sends[2]!.fail();
    f.submit('t', Buffer.from('6'));
    await until(() => f.stats().depth === 5);
    transport.autoAck = true;
    transport.status.set('connected');
    f.submit('t', Buffer.from('7'));
    await until(() => transport.delivered.length === 7);
    expect(transport.delivered).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(f.stats()).toMatchObject({ depth: 0, dropped: 0 });
    // Sent twice, under one seq (a consumer can drop the second copy); seqs go up with the order.
    expect(transport.seqs.get('2')).toHaveLength(2);
    expect(new Set(transport.seqs.get('2')).size).toBe(1);
    const firstSeqs = transport.delivered.map((p) => transport.seqs.get(p)![0]!);
    expect([...firstSeqs].sort((a, b) => a - b)).toEqual(firstSeqs);
    expect(new Set(firstSeqs).size).toBe(7);
    await f.stop();
  });

  it('gives seqs above those of an earlier run, even if the clock went back', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ef-forwarder-'));
    dirs.push(dir);
    const settings = BufferSettingsSchema.parse({});
    const pool = new BufferPool(dir);
    const buffer = await pool.acquire('plant', settings);
    const ahead = Date.now() * 1000 + 10_000_000_000;
    expect(buffer.append('t', Buffer.from('from the future'), ahead)).toBe(ahead);
    await buffer.flushed();
    await pool.release('plant');
    const transport = new ManualTransport();
    transport.autoAck = true;
    const f = new Forwarder({ sink: 'plant', transport, buffers: new BufferPool(dir), buffer: settings, log: silentLog });
    await f.start();
    transport.status.set('connected');
    f.submit('t', Buffer.from('now'));
    await until(() => transport.delivered.length === 2);
    expect(transport.delivered).toEqual(['from the future', 'now']);
    expect(transport.seqs.get('now')![0]).toBeGreaterThan(ahead);
    await f.stop();
  });

  it('drains a backlog through a sliding window, acking the buffer only up to what the peer has', async () => {
    const transport = new ManualTransport();
    const f = await forwarder(transport);
    for (let i = 1; i <= 250; i++) f.submit('t', Buffer.from(String(i)));
    await until(() => f.stats().depth === 250);
    transport.status.set('connected');
    // At most maxInFlight (100) out at once.
    await until(() => transport.sends.length === 100);
    await new Promise((r) => setTimeout(r, 50));
    expect(transport.sends).toHaveLength(100);
    // Acknowledged out of order: the second first. Nothing is acked to the buffer before the first.
    transport.sends[1]!.ack();
    await new Promise((r) => setTimeout(r, 20));
    expect(f.stats().depth).toBe(250);
    // One more goes out as soon as one is acknowledged, not after the whole window.
    expect(transport.sends).toHaveLength(101);
    transport.sends[0]!.ack();
    await until(() => f.stats().depth === 248);
    // The rest, as they come.
    transport.autoAck = true;
    for (let i = 2; i < transport.sends.length; i++) transport.sends[i]!.ack();
    await until(() => transport.delivered.length === 250);
    await until(() => f.stats().depth === 0);
    expect(new Set(transport.delivered).size).toBe(250);
    expect(f.published).toBe(250);
    await f.stop();
  });

  it('ends a drain at a failed send and sends from there again, under the same seqs', async () => {
    const transport = new ManualTransport();
    const f = await forwarder(transport);
    for (let i = 1; i <= 10; i++) f.submit('t', Buffer.from(String(i)));
    await until(() => f.stats().depth === 10);
    transport.status.set('connected');
    await until(() => transport.sends.length === 10);
    transport.sends[0]!.ack();
    transport.sends[1]!.fail();
    for (let i = 2; i < 10; i++) transport.sends[i]!.ack();
    await until(() => f.stats().depth === 9);
    // Tried again a second later: 2 to 10 again (3 to 10 had reached the peer: duplicates, same seqs).
    transport.autoAck = true;
    await until(() => f.stats().depth === 0);
    expect(transport.delivered.slice(-9)).toEqual(['2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(new Set(transport.seqs.get('3'))).toHaveProperty('size', 1);
    expect(transport.seqs.get('3')).toHaveLength(2);
    await f.stop();
  });

  it('sends straight while the link is up, with no disk in the way', async () => {
    const transport = new ManualTransport();
    transport.autoAck = true;
    transport.status.set('connected');
    const f = await forwarder(transport);
    for (let i = 1; i <= 250; i++) f.submit('t', Buffer.from(String(i)));
    await until(() => transport.delivered.length === 250);
    expect(transport.delivered).toEqual(Array.from({ length: 250 }, (_, i) => String(i + 1)));
    expect(f.published).toBe(250);
    await f.stop();
  });
});
