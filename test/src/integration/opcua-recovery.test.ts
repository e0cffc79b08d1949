/**
 * OPC UA recovery without anyone's help: the server restarts (sessions and subscriptions gone:
 * recreated), the network breaks (the server keeps them: transferred, missed messages
 * republished), the network goes silent (no FIN, no RST: noticed by the watchdog). Data resumes
 * in every case, with the link state telling the truth meanwhile.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@edgefleet/protocol';
import { AgentError } from '../../../agent/src/util/errors.js';
import { eventually } from '../support/eventually.js';
import { Deliveries, DriverHarness, group, onlyGroup, opcuaDevice } from '../peers/opcua/harness.js';
import { readRecords } from '../peers/opcua/harness.js';
import { OpcUaPeer } from '../peers/opcua/opcua-server.js';
import { TcpProxy } from '../peers/opcua/tcp-proxy.js';

const fast = { reconnectMinMs: 200, reconnectMaxMs: 1000, requestTimeoutMs: 2000, sessionTimeoutMs: 10_000 };
const counterGroup = group('counter', 100, [{ name: 'counter', address: 'ns=1;s=Dynamic.Counter', type: 'uint32' }], 'subscribe');
const pollGroup = group('poll', 500, [{ name: 'double', address: 'ns=1;s=Static.Double', type: 'float64' }], 'poll');

function increasing(values: unknown[]): boolean {
  return values.every((v, i) => i === 0 || (v as number) > (values[i - 1] as number));
}

describe('OPC UA driver: recovery', { timeout: 120_000 }, () => {
  let peer: OpcUaPeer;
  let proxy: TcpProxy | undefined;
  const harness = new DriverHarness();

  beforeAll(async () => {
    peer = await OpcUaPeer.start();
  });

  afterEach(async () => {
    await harness.dispose();
    await proxy?.stop();
    proxy = undefined;
    if (!peer.running) await peer.start();
  });

  afterAll(async () => {
    await peer?.dispose();
  });

  it('resumes the data after the server restarts, with no intervention', async () => {
    const device = opcuaDevice({ endpointUrl: peer.endpointUrl, ...fast }, [counterGroup, pollGroup]);
    const driver = await harness.start(device);
    await driver.waitConnected(15_000);
    const got = new Deliveries();
    await driver.subscribe(onlyGroup(device, 'counter'), got.to(onlyGroup(device, 'counter')));
    await eventually(async () => got.all.length >= 5, 'data before the restart', 10_000);

    await peer.stop();
    await eventually(async () => driver.link() !== 'connected', 'the driver to notice', 10_000);
    expect(driver.lastError()).toMatch(/^connection lost: /);
    let readError: unknown;
    await driver.readGroup(onlyGroup(device, 'poll')).catch((err: unknown) => (readError = err));
    expect(readError).toBeInstanceOf(AgentError);
    expect((readError as AgentError).code).toBe(ErrorCode.DEVICE_ERROR);
    await eventually(async () => driver.link() === 'error', 'failed attempts while the server is down', 10_000);
    expect(driver.lastError()).toMatch(/refused the connection/);

    await peer.start();
    const restartedAt = Date.now();
    await eventually(async () => got.all.some((d) => d.timestamp >= restartedAt && 'counter' in d.values), 'values stamped after the restart', 20_000);
    expect(driver.link()).toBe('connected');
    expect(driver.lastError()).toBeNull();
    // The server started from scratch: the subscription was made again, not transferred.
    expect(driver.details()).toMatchObject({ reconnects: 1, transferred: 0, recreated: 1, subscriptions: 1, monitoredItems: 1 });
    expect(driver.details().lastError).toMatch(/connection lost|cannot connect/);
    const after = got.all.filter((d) => d.timestamp >= restartedAt).map((d) => d.values.counter);
    expect(increasing(after)).toBe(true);
    expect((await readRecords(driver, onlyGroup(device, 'poll'))).values).toEqual({ double: 2.718281828459045 });
    // The session before the restart died with the server; only the new one is there.
    expect(peer.sessionCount).toBe(1);
  });

  it('transfers the subscription to a new session after a network break, without losing or repeating changes', async () => {
    proxy = await TcpProxy.start(peer.port);
    const device = opcuaDevice({ endpointUrl: proxy.url, ...fast }, [counterGroup]);
    const driver = await harness.start(device);
    await driver.waitConnected(15_000);
    const got = new Deliveries();
    await driver.subscribe(onlyGroup(device), got.to(onlyGroup(device)));
    await eventually(async () => got.all.length >= 5, 'data before the break', 10_000);

    proxy.cut();
    const cutAt = Date.now();
    await eventually(async () => (driver.details().reconnects as number) >= 1, 'the driver to notice the break', 10_000);
    await eventually(async () => got.all.some((d) => d.receivedAt > cutAt + 500), 'data after the break', 20_000);
    expect(driver.link()).toBe('connected');
    expect(driver.details()).toMatchObject({ reconnects: 1, transferred: 1, recreated: 0, subscriptions: 1, lostMessages: 0, sequenceGaps: 0 });
    // Transferred, not recreated: the counter goes on where it was, each value once, in order.
    const counters = got.valuesOf('counter');
    expect(increasing(counters)).toBe(true);
  });

  it('notices a network that goes silent and comes back on its own', async () => {
    proxy = await TcpProxy.start(peer.port);
    const device = opcuaDevice({ endpointUrl: proxy.url, ...fast }, [counterGroup]);
    const driver = await harness.start(device);
    await driver.waitConnected(15_000);
    const got = new Deliveries();
    await driver.subscribe(onlyGroup(device), got.to(onlyGroup(device)));
    await eventually(async () => got.all.length >= 5, 'data before the silence', 10_000);

    proxy.blackhole(true);
    await eventually(async () => driver.link() !== 'connected', 'the watchdog to notice the silence', 20_000);
    expect(driver.lastError()).toMatch(/connection lost: the server stopped answering/);
    proxy.blackhole(false);
    const back = Date.now();
    await eventually(async () => driver.link() === 'connected' && got.all.some((d) => d.receivedAt > back && d.timestamp > back - 1000), 'data after the silence', 30_000);
    expect(increasing(got.valuesOf('counter'))).toBe(true);
  });

  it('stops at once while an attempt waits on a server that does not answer', async () => {
    // A listener that accepts connections and never says a word: connects hang until their timeout.
    const silent = await TcpProxy.start(peer.port);
    silent.blackhole(true);
    proxy = silent;
    for (const securityMode of ['None', 'SignAndEncrypt'] as const) {
      const device = opcuaDevice({
        endpointUrl: silent.url,
        securityMode,
        securityPolicy: securityMode === 'None' ? 'None' : 'Basic256Sha256',
        trustedServerCertificates: [peer.certificateFingerprint],
        requestTimeoutMs: 20_000,
      });
      const driver = await harness.start(device);
      await eventually(async () => silent.connections > 0, 'the attempt to be under way', 5000);
      await new Promise((r) => setTimeout(r, 300));
      const stopping = Date.now();
      await harness.stop(driver);
      expect(Date.now() - stopping, securityMode).toBeLessThan(3000);
      expect(driver.link()).toBe('disconnected');
    }
  });

  it('stops at once while the server is down, leaving no timers behind', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const device = opcuaDevice({ endpointUrl: peer.endpointUrl, ...fast }, [counterGroup]);
    const first = await harness.start(device);
    await first.waitConnected(15_000);
    await harness.stop(first);
    const before = timers();

    const driver = await harness.start(device);
    await driver.waitConnected(15_000);
    await driver.subscribe(onlyGroup(device), () => undefined);
    await peer.stop();
    await eventually(async () => driver.link() === 'error', 'failed attempts', 10_000);
    const stopping = Date.now();
    await harness.stop(driver);
    expect(Date.now() - stopping).toBeLessThan(3000);
    expect(driver.link()).toBe('disconnected');
    await eventually(async () => timers() <= before, 'the timers to be gone', 5000);
  });
});
