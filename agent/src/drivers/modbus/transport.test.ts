import { afterEach, describe, expect, it } from 'vitest';
import { silentLog } from '../../test-support/fixtures.js';
import { Backoff } from '../../util/backoff.js';
import { ModbusConnectionError, ModbusExceptionError, ModbusTimeoutError } from './errors.js';
import { FakeLine } from './fake-line.js';
import { ModbusTransport, type TransportOptions } from './transport.js';

let transport: ModbusTransport | undefined;
afterEach(async () => {
  await transport?.stop();
  transport = undefined;
});

function make(line: FakeLine, options: Partial<TransportOptions> = {}): ModbusTransport {
  transport = new ModbusTransport({
    target: 'fake:502',
    connect: line.connect,
    timeoutMs: 100,
    retries: 1,
    retryIntervalMs: 20,
    requestDelayMs: 0,
    log: silentLog,
    reconnect: new Backoff(20, 60, () => 1),
    ...options,
  });
  transport.start();
  return transport;
}

async function until(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('ModbusTransport', () => {
  it('sends one request at a time, in order, and counts them', async () => {
    const line = new FakeLine();
    line.latencyMs = 5;
    line.slave(1).holding.set(0, 7);
    const t = make(line);
    await t.waitConnected(1000);
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => t.request(1, { fc: 3, address: i, count: 1 })));
    expect(replies[0]).toEqual([7]);
    expect(line.maxBusy).toBe(1);
    expect(line.log()).toEqual(Array.from({ length: 10 }, (_, i) => `3@${i}+1`));
    expect(t.stats).toMatchObject({ requests: 10, errors: 0, timeouts: 0 });
    expect(t.stats.lastRoundTripMs).toBeGreaterThanOrEqual(4);
    expect(t.rate.rate()).toBeGreaterThan(0);
  });

  it('times out a silent slave after every retry, spaced by the retry interval', async () => {
    const line = new FakeLine();
    line.slave(3).silent = true;
    const t = make(line, { timeoutMs: 80, retries: 2, retryIntervalMs: 30 });
    await t.waitConnected(1000);
    const started = performance.now();
    const err = await t.request(3, { fc: 3, address: 0, count: 1 }).catch((e: unknown) => e);
    const took = performance.now() - started;
    expect(err).toBeInstanceOf(ModbusTimeoutError);
    expect((err as Error).message).toBe('slave 3 not answering: timed out after 80 ms');
    expect(line.log(3)).toHaveLength(3);
    expect(took).toBeGreaterThanOrEqual(3 * 80 + 2 * 30 - 5);
    expect(t.stats).toMatchObject({ requests: 3, errors: 3, timeouts: 3 });
    // After each timeout, late bytes are discarded so they cannot pass for the next answer.
    expect(line.discards).toBe(3);
  });

  it('does not retry an exception: it is an answer', async () => {
    const line = new FakeLine();
    line.slave(1).holes[4] = [[10, 19]];
    const t = make(line, { retries: 3 });
    await t.waitConnected(1000);
    const err = await t.request(1, { fc: 3, address: 5, count: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModbusExceptionError);
    expect((err as Error).message).toBe('slave 1 answered exception 2 (illegal data address)');
    expect(line.log()).toHaveLength(1);
  });

  it('retries a garbled answer and returns the good one', async () => {
    const line = new FakeLine();
    line.slave(1).holding.set(0, 42);
    const t = make(line, { retries: 1 });
    await t.waitConnected(1000);
    line.garbleNext = 1;
    expect(await t.request(1, { fc: 3, address: 0, count: 1 })).toEqual([42]);
    expect(line.log()).toHaveLength(2);
    expect(t.stats).toMatchObject({ requests: 2, errors: 1, timeouts: 0 });
  });

  it('keeps requestDelayMs of quiet between requests', async () => {
    const line = new FakeLine();
    const t = make(line, { requestDelayMs: 40 });
    await t.waitConnected(1000);
    line.slave(1);
    await Promise.all([0, 1, 2].map((i) => t.request(1, { fc: 3, address: i, count: 1 })));
    const at = line.sent.slice(-3).map((s) => s.at);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(38);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(38);
  });

  it('puts urgent requests (writes) ahead of queued reads', async () => {
    const line = new FakeLine();
    line.latencyMs = 10;
    line.slave(1);
    const t = make(line);
    await t.waitConnected(1000);
    const reads = [0, 1, 2].map((i) => t.request(1, { fc: 3, address: i, count: 1 }));
    const write = t.request(1, { fc: 6, address: 9, value: 1 }, true);
    await Promise.all([...reads, write]);
    expect(line.log()).toEqual(['3@0+1', '6@9+1', '3@1+1', '3@2+1']);
  });

  it('keeps trying to connect in the background, saying why it cannot', async () => {
    const line = new FakeLine();
    line.failConnects = 3;
    const t = make(line, { reconnect: new Backoff(100, 100, () => 1) });
    expect(t.state()).toBe('connecting');
    await until(() => t.state() === 'error', 'a failed attempt');
    expect(t.lastError()).toBe('cannot connect to fake: connect ECONNREFUSED');
    expect(t.nextAttemptInMs()).toEqual(expect.any(Number));
    await expect(t.request(1, { fc: 3, address: 0, count: 1 })).rejects.toThrow(/^not connected to fake:502 \(cannot connect to fake: connect ECONNREFUSED/);
    await t.waitConnected(2000);
    expect(t.state()).toBe('connected');
    expect(t.lastError()).toBeNull();
    expect(line.connects).toBe(4);
  });

  it('waitConnected rejects with the reason when the time runs out', async () => {
    const line = new FakeLine();
    line.failConnects = 1000;
    const t = make(line);
    await expect(t.waitConnected(150)).rejects.toThrow('not connected to fake:502 within 150 ms: cannot connect to fake: connect ECONNREFUSED');
  });

  it('fails the request under way at once when the link drops, then reconnects by itself', async () => {
    const line = new FakeLine();
    line.slave(3).silent = true;
    line.slave(1).holding.set(0, 5);
    const t = make(line, { timeoutMs: 5000 });
    await t.waitConnected(1000);
    const started = performance.now();
    const inflight = t.request(3, { fc: 3, address: 0, count: 1 }).catch((e: unknown) => e);
    const queued = t.request(1, { fc: 3, address: 0, count: 1 }).catch((e: unknown) => e);
    await until(() => line.sent.length === 1, 'the first request');
    line.drop();
    expect(await inflight).toBeInstanceOf(ModbusConnectionError);
    expect(((await inflight) as Error).message).toBe('fake:502: connection closed by the device');
    expect(await queued).toBeInstanceOf(ModbusConnectionError);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(t.state()).toBe('disconnected');
    await until(() => t.state() === 'connected', 'the reconnect');
    expect(await t.request(1, { fc: 3, address: 0, count: 1 })).toEqual([5]);
    expect(line.connects).toBe(2);
  });

  it('stop() fails what waits, closes the link and stays down', async () => {
    const line = new FakeLine();
    line.failConnects = 1000;
    const t = make(line);
    const waiting = t.waitConnected(10_000).catch((e: unknown) => e);
    await t.stop();
    expect(((await waiting) as Error).message).toBe('the driver stopped');
    expect(t.state()).toBe('disconnected');
    const attempts = line.connects;
    await new Promise((r) => setTimeout(r, 100));
    expect(line.connects).toBe(attempts);
    transport = undefined;
  });
});
