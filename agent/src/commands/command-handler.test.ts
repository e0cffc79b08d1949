import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type AgentConfigInput, type Device, type DeviceInput, type Group, type LinkState, type ServerCertificateInfo } from '@edgefleet/protocol';
import { ApplyEngine } from '../config/apply-engine.js';
import { DriverRegistry } from '../drivers/registry.js';
import { SimulatorDriver } from '../drivers/simulator/simulator-driver.js';
import type { GroupRead } from '../drivers/driver.js';
import { ValuesCache } from '../runtime/values-cache.js';
import { defaultSinkRegistry } from '../sinks/registry.js';
import { CountingSimulator, config, sampleOf, silentLog, sinkContext, testEngine } from '../test-support/fixtures.js';
import { AgentError } from '../util/errors.js';
import { CommandHandler } from './command-handler.js';

const requestId = 'req-12345678';
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const driverContext = { stateDir: os.tmpdir(), log: silentLog };

const simConfig: AgentConfigInput = {
  devices: [
    {
      name: 'sim',
      driver: 'simulator',
      groups: [
        {
          name: 'g',
          intervalMs: 60_000,
          tags: [
            { name: 'mem', address: 'memory(initial=4)', type: 'float64', access: 'rw', scale: 10 },
            { name: 'cnt', address: 'counter(start=100)', type: 'int32' },
            { name: 'small', address: 'memory', type: 'int16', access: 'rw' },
          ],
        },
      ],
    },
    { name: 'off', driver: 'simulator', enabled: false, groups: [{ name: 'g', intervalMs: 1000, tags: [{ name: 't', address: 'counter', type: 'int32' }] }] },
  ],
};

/** An unsaved device, as test-connection and browse carry it. */
const fullSim = (over: Partial<DeviceInput> = {}): DeviceInput => ({
  name: 'bench',
  driver: 'simulator',
  settings: {},
  groups: [{ name: 'probe', intervalMs: 1000, tags: [{ name: 'level', address: 'memory(initial=3)', type: 'float64', scale: 2 }, { name: 'n', address: 'counter(start=7)', type: 'uint16' }] }],
  ...over,
} as DeviceInput);

const certificate: ServerCertificateInfo = {
  fingerprint: 'ab'.repeat(32),
  subject: 'CN=plc',
  issuer: 'CN=plc',
  validFrom: '2026-01-01T00:00:00.000Z',
  validTo: '2036-01-01T00:00:00.000Z',
  pem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
};

/** What an OPC UA driver rejects with when the server's certificate is not trusted: the certificate in its details. */
const untrusted = (): AgentError => Object.assign(new AgentError(ErrorCode.CERTIFICATE_UNTRUSTED, 'the server certificate ab:ab:… is not trusted'), { details: { serverCertificate: certificate } });

/** Simulators that misbehave on demand, by device name: never connect, never answer, refuse to connect. */
class StubbornSimulator extends SimulatorDriver {
  stops = 0;
  constructor(
    device: Extract<Device, { driver: 'simulator' }>,
    private readonly mode: 'hang-connect' | 'hang-read' | 'untrusted' | 'throw-read' | 'hang-stop' | 'refused' | 'refused-untrusted',
  ) {
    super(device);
  }
  override link(): LinkState {
    if (this.mode === 'hang-connect') return 'connecting';
    // A failed attempt: the driver retries in the background, its link says 'error'.
    if (this.mode === 'refused' || this.mode === 'refused-untrusted') return 'error';
    return super.link();
  }
  override lastError(): string | null {
    if (this.mode === 'hang-connect') return 'no answer from 10.0.0.9:502';
    if (this.mode === 'refused') return 'connect ECONNREFUSED 127.0.0.1:1502';
    return null;
  }
  override async waitConnected(): Promise<void> {
    if (this.mode === 'hang-connect' || this.mode === 'refused') return new Promise(() => undefined);
    // The driver's own reason comes a little after the link turned to 'error'.
    if (this.mode === 'refused-untrusted') return new Promise((_, reject) => setTimeout(() => reject(untrusted()), 30));
    if (this.mode === 'untrusted') throw untrusted();
  }
  override readGroup(group: Group): Promise<GroupRead> {
    if (this.mode === 'hang-read') return new Promise(() => undefined);
    if (this.mode === 'throw-read') return Promise.reject(new Error('ECONNRESET'));
    return super.readGroup(group);
  }
  override async stop(): Promise<void> {
    this.stops++;
    if (this.mode === 'hang-stop') return new Promise(() => undefined);
    return super.stop();
  }
}

const MODES = ['hang-connect', 'hang-read', 'untrusted', 'throw-read', 'hang-stop', 'refused', 'refused-untrusted'] as const;
function stubbornRegistry(created: StubbornSimulator[] = []): DriverRegistry {
  return new DriverRegistry().register('simulator', (device) => {
    if (device.driver !== 'simulator') throw new Error('unexpected driver');
    const mode = MODES.find((m) => device.name === m);
    const driver = mode ? new StubbornSimulator(device, mode) : new StubbornSimulator(device, 'hang-stop');
    created.push(driver);
    return driver;
  });
}

describe('CommandHandler', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => stop?.());

  async function make() {
    const { engine, drivers, created, values } = testEngine();
    stop = () => engine.stopAll();
    const cache = new ValuesCache();
    const applied = await engine.apply(config(simConfig));
    expect(applied.ok).toBe(true);
    const handler = new CommandHandler({ engine, cache, drivers, driverContext, appliedRevision: () => 7, log: silentLog });
    const send = (body: Record<string, unknown>, timeoutMs = 60_000) => handler.handle(requestId, JSON.stringify({ requestId, deadline: inMs(timeoutMs), ...body }));
    return { engine, cache, handler, send, created, values };
  }

  it('carries out writes that arrive through a sink, finding the group by the tag when not given', async () => {
    const { handler, send } = await make();
    expect(await handler.writeFromSink({ device: 'sim', tag: 'mem', value: 60 })).toEqual({ ok: true });
    expect(await send({ command: 'read', args: { device: 'sim', group: 'g', tag: 'mem' } })).toMatchObject({ result: { values: { mem: 60 } } });
    expect(await handler.writeFromSink({ device: 'sim', group: 'g', tag: 'cnt', value: 1 })).toMatchObject({ ok: false, error: { code: 'TAG_NOT_WRITABLE' } });
    expect(await handler.writeFromSink({ device: 'sim', tag: 'nope', value: 1 })).toMatchObject({ ok: false, error: { code: 'TAG_NOT_FOUND' } });
    expect(await handler.writeFromSink({ device: 'ghost', tag: 'mem', value: 1 })).toMatchObject({ ok: false, error: { code: 'TAG_NOT_FOUND' } });
  });

  /** A handler over drivers that misbehave, for the deadline paths. */
  async function makeStubborn(devices: AgentConfigInput['devices'] = []) {
    const created: StubbornSimulator[] = [];
    const drivers = stubbornRegistry(created);
    const engine = new ApplyEngine({ drivers, sinks: defaultSinkRegistry(), sinkContext: sinkContext(), driverContext, log: silentLog });
    // The engine's own stop of a 'hang-stop' device would never end; the others stop normally.
    stop = () => Promise.race([engine.stopAll(), new Promise<void>((r) => setTimeout(r, 100))]);
    expect((await engine.apply(config({ devices }))).ok).toBe(true);
    const handler = new CommandHandler({ engine, cache: new ValuesCache(), drivers, driverContext, appliedRevision: () => 1, log: silentLog });
    const send = (body: Record<string, unknown>, timeoutMs: number) => handler.handle(requestId, JSON.stringify({ requestId, deadline: inMs(timeoutMs), ...body }));
    return { send, created };
  }

  it('answers ping with the applied revision', async () => {
    const { send } = await make();
    expect(await send({ command: 'ping' })).toMatchObject({ requestId, ok: true, result: { appliedRevision: 7, agentVersion: expect.any(String) } });
  });

  it('reads values from the cache, filtered by device and group', async () => {
    const { send, cache } = await make();
    cache.put(sampleOf('sim', 'g', 1, { cnt: 1 }));
    cache.put(sampleOf('other', 'g', 1, { x: 1 }));
    const reply = await send({ command: 'read-values', args: { device: 'sim' } });
    expect(reply).toEqual({ requestId, ok: true, result: { groups: [{ device: 'sim', group: 'g', timestamp: 1, values: { cnt: 1 }, errors: {} }] } });
    expect(await send({ command: 'read-values' })).toMatchObject({ result: { groups: [{}, {}] } });
  });

  it('reads a whole group from the device now, scaled, without publishing it', async () => {
    const { send, engine, values } = await make();
    const runner = engine.device('sim')!;
    const [polls, published] = [runner.polls, values.length];
    const before = Date.now();
    const reply = await send({ command: 'read', args: { device: 'sim', group: 'g' } });
    expect(reply).toMatchObject({ ok: true, result: { device: 'sim', group: 'g', values: { mem: 40, cnt: expect.any(Number), small: 0 }, errors: {} } });
    const first = reply as { result: { timestamp: number; values: { cnt: number } } };
    expect(first.result.timestamp).toBeGreaterThanOrEqual(before);
    // From the device, not from the latest poll: the counter moves on with each read.
    expect(await send({ command: 'read', args: { device: 'sim', group: 'g' } })).toMatchObject({ result: { values: { cnt: first.result.values.cnt + 1 } } });
    // Neither published nor counted as a poll.
    expect([runner.polls, values.length]).toEqual([polls, published]);
  });

  it('reads one tag of a group, asking the device for nothing else', async () => {
    const { send } = await make();
    const reply = await send({ command: 'read', args: { device: 'sim', group: 'g', tag: 'mem' } });
    expect(reply).toEqual({ requestId, ok: true, result: { device: 'sim', group: 'g', timestamp: expect.any(Number), values: { mem: 40 }, errors: {} } });
    const cnt = async () => ((await send({ command: 'read', args: { device: 'sim', group: 'g', tag: 'cnt' } })) as { result: { values: { cnt: number } } }).result.values.cnt;
    const c1 = await cnt();
    await send({ command: 'read', args: { device: 'sim', group: 'g', tag: 'mem' } });
    // Reading 'mem' did not read the counter.
    expect(await cnt()).toBe(c1 + 1);
  });

  it('answers a read of a missing device, group or tag, or of a disabled device, saying which', async () => {
    const { send } = await make();
    expect(await send({ command: 'read', args: { device: 'nope', group: 'g' } })).toEqual({
      requestId,
      ok: false,
      error: { code: 'TAG_NOT_FOUND', message: "no device named 'nope' in the running config" },
    });
    expect(await send({ command: 'read', args: { device: 'sim', group: 'h' } })).toMatchObject({ ok: false, error: { code: 'TAG_NOT_FOUND', message: "device 'sim' has no group named 'h'" } });
    expect(await send({ command: 'read', args: { device: 'sim', group: 'g', tag: 'x' } })).toMatchObject({
      ok: false,
      error: { code: 'TAG_NOT_FOUND', message: "group 'g' of device 'sim' has no tag named 'x'" },
    });
    expect(await send({ command: 'read', args: { device: 'off', group: 'g' } })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT', message: "device 'off' is disabled in the running config; enable it to read it" },
    });
    expect(await send({ command: 'read', args: { device: 'sim' } })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', issues: [{ path: 'args.group', message: 'is required' }] } });
  });

  it('writes a value unscaled, reports how long the device took, and a read shows it scaled back', async () => {
    const { send, engine } = await make();
    const reply = await send({ command: 'write', args: { device: 'sim', group: 'g', tag: 'mem', value: 50 } });
    expect(reply).toMatchObject({ ok: true, result: { device: 'sim', group: 'g', tag: 'mem', value: 50, durationMs: expect.any(Number) } });
    expect((reply as { result: { durationMs: number } }).result.durationMs).toBeGreaterThanOrEqual(0);
    expect(await send({ command: 'read', args: { device: 'sim', group: 'g', tag: 'mem' } })).toMatchObject({ result: { values: { mem: 50 } } });
    // The simulator holds the raw value: 50 / scale 10.
    const raw = await engine.device('sim')!.driver.readGroup({ name: 'g', intervalMs: 1000, tags: [{ name: 'mem', address: 'memory(initial=4)', type: 'float64', access: 'rw' }] });
    expect(raw.values[0]).toBe(5);
  });

  it('refuses writes to read-only, unknown or disabled tags, and values that do not fit the type', async () => {
    const { send } = await make();
    const write = (args: Record<string, unknown>) => send({ command: 'write', args: { device: 'sim', group: 'g', ...args } });
    expect(await write({ tag: 'cnt', value: 1 })).toMatchObject({ ok: false, error: { code: 'TAG_NOT_WRITABLE', message: "tag 'cnt' is read-only (access 'r')" } });
    expect(await write({ tag: 'x', value: 1 })).toMatchObject({ ok: false, error: { code: 'TAG_NOT_FOUND' } });
    expect(await send({ command: 'write', args: { device: 'nope', group: 'g', tag: 'x', value: 1 } })).toMatchObject({ ok: false, error: { code: 'TAG_NOT_FOUND' } });
    expect(await write({ tag: 'mem', value: 'hot' })).toEqual({
      requestId,
      ok: false,
      error: { code: 'VALIDATION_FAILED', message: "value: tag 'mem' is float64; write a finite number", issues: [{ path: 'value', message: "tag 'mem' is float64; write a finite number" }] },
    });
    expect(await write({ tag: 'small', value: 40_000 })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', message: "value: tag 'small' is int16; the raw value 40000 is outside -32768…32767" } });
    expect(await write({ tag: 'small', value: -7 })).toMatchObject({ ok: true });
    expect(await send({ command: 'read', args: { device: 'sim', group: 'g', tag: 'small' } })).toMatchObject({ result: { values: { small: -7 } } });
  });

  it('answers browse of a simulator, configured or given in full, with OPERATION_UNSUPPORTED and connects nothing', async () => {
    const { send, created } = await make();
    const configured = created.length;
    expect(await send({ command: 'browse', args: { device: 'sim' } })).toEqual({
      requestId,
      ok: false,
      error: { code: 'OPERATION_UNSUPPORTED', message: 'a simulator device has no address space to browse; only OPC UA devices can be browsed' },
    });
    expect(await send({ command: 'browse', args: { device: fullSim(), nodeId: 'ns=2;s=Line1' } })).toMatchObject({ ok: false, error: { code: 'OPERATION_UNSUPPORTED' } });
    // The temporary driver for the unsaved device was made but never started.
    expect(created.slice(configured).map((d) => (d as CountingSimulator).starts)).toEqual([0]);
    expect(await send({ command: 'browse', args: { device: 'nope' } })).toMatchObject({ ok: false, error: { code: 'TAG_NOT_FOUND' } });
    expect(await send({ command: 'browse', args: { device: 'sim', nodeId: 'Line1.Speed' } })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', issues: [{ path: 'args.nodeId', message: expect.stringContaining("'Line1.Speed' is not a NodeId") }] },
    });
  });

  it('tests the connection of an unsaved simulator: connects, reads each group once, scaled, and disconnects', async () => {
    const { send, created, engine } = await make();
    const configured = created.length;
    const reply = await send({ command: 'test-connection', args: { device: fullSim() } });
    expect(reply).toMatchObject({
      ok: true,
      result: { ok: true, message: "connected to 'bench' and read 2 tags", groups: [{ device: 'bench', group: 'probe', values: { level: 6, n: 7 }, errors: {} }] },
    });
    expect((reply as { result: { durationMs: number } }).result.durationMs).toBeGreaterThanOrEqual(0);
    const temporary = created.slice(configured) as CountingSimulator[];
    expect(temporary.map((d) => [d.starts, d.stops])).toEqual([[1, 1]]);
    // Nothing of the running config changed.
    expect(engine.deviceRunners().map((r) => r.name)).toEqual(['sim', 'off']);
    expect(await send({ command: 'test-connection', args: { device: fullSim({ groups: [] }) } })).toMatchObject({ result: { ok: true, message: "connected to 'bench'", groups: [] } });
  });

  it('refuses an invalid device before connecting, naming the tag and the reason', async () => {
    const { send, created } = await make();
    const configured = created.length;
    const bad = fullSim({ groups: [{ name: 'probe', intervalMs: 1000, tags: [{ name: 'level', address: 'wave(period=5)', type: 'float64' }, { name: 'n', address: 'counter', type: 'uint16', access: 'rw' }] }] });
    expect(await send({ command: 'test-connection', args: { device: bad } })).toEqual({
      requestId,
      ok: false,
      error: {
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('args.device.groups[0].tags[0].address: unknown simulator function'),
        issues: [
          { path: 'args.device.groups[0].tags[0].address', message: 'unknown simulator function \'wave\'; use one of sine, ramp, random, counter, memory' },
          { path: 'args.device.groups[0].tags[1].access', message: 'only memory(...) points are writable, not counter' },
        ],
      },
    });
    const modbus = { name: 'press', driver: 'modbus-tcp', settings: { host: '127.0.0.1', port: 1 }, groups: [{ name: 'g', intervalMs: 1000, tags: [{ name: 'pressure', address: '1!300001', type: 'int16', access: 'rw' }] }] };
    expect(await send({ command: 'test-connection', args: { device: modbus } })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', issues: [{ path: 'args.device.groups[0].tags[0].address', message: expect.stringMatching(/^tag 'pressure' \(1!300001, int16, rw\): .*read only/) }] },
    });
    const twice = fullSim({ groups: [{ name: 'a', intervalMs: 1000, tags: [] }, { name: 'a', intervalMs: 1000, tags: [] }] });
    expect(await send({ command: 'browse', args: { device: twice } })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', issues: [{ path: 'args.device.groups[1].name', message: "duplicate group name 'a' in device 'bench'" }] } });
    expect(created.length).toBe(configured);
  });

  it('answers a test-connection whose driver this agent lacks with ok: false and the reason', async () => {
    const { send } = await make();
    const modbus = { name: 'press', driver: 'modbus-tcp', settings: { host: '127.0.0.1', port: 1 }, groups: [] };
    expect(await send({ command: 'test-connection', args: { device: modbus } })).toMatchObject({
      ok: true,
      result: { ok: false, message: "device 'press': driver 'modbus-tcp' is not available in this agent build", error: { code: 'DRIVER_UNAVAILABLE' }, groups: [] },
    });
  });

  it('answers unknown and invalid commands, and drops what it cannot address or is too late', async () => {
    const { send, handler } = await make();
    expect(await send({ command: 'format-disk' })).toMatchObject({ ok: false, error: { code: 'COMMAND_UNKNOWN' } });
    expect(await send({ command: 'write', args: {} })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', issues: expect.any(Array) } });
    expect(await handler.handle(requestId, 'garbage')).toMatchObject({ requestId, ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(await handler.handle('x', 'garbage')).toBeUndefined();
    expect(await handler.handle(requestId, JSON.stringify({ requestId, command: 'ping', deadline: new Date(Date.now() - 1000).toISOString() }))).toBeUndefined();
  });

  describe('deadlines: the reply comes before the plane gives up, whatever the device does', () => {
    const timed = async <T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> => {
      const started = Date.now();
      const value = await work();
      return { value, ms: Date.now() - started };
    };

    it('a test-connection to a device that never connects answers ok: false in time', async () => {
      const { send, created } = await makeStubborn();
      const { value, ms } = await timed(() => send({ command: 'test-connection', args: { device: fullSim({ name: 'hang-connect' }) } }, 1000));
      expect(value).toMatchObject({ ok: true, result: { ok: false, error: { code: 'DEVICE_ERROR' }, message: expect.stringMatching(/^device 'hang-connect' could not be connected within \d+ ms: no answer from 10\.0\.0\.9:502$/) } });
      expect(ms).toBeLessThan(1000);
      expect(created.at(-1)!.stops).toBe(1);
    });

    it('a test-connection answers at the first failed attempt, not when the wait runs out', async () => {
      const { send, created } = await makeStubborn();
      const { value, ms } = await timed(() => send({ command: 'test-connection', args: { device: fullSim({ name: 'refused' }) } }, 20_000));
      expect(value).toMatchObject({ result: { ok: false, message: "device 'refused' could not be connected: connect ECONNREFUSED 127.0.0.1:1502", error: { code: 'DEVICE_ERROR' } } });
      expect(ms).toBeLessThan(1000);
      expect(created.at(-1)!.stops).toBe(1);
      // The driver's own reason, when it gives one, wins.
      const untrustedReply = await send({ command: 'test-connection', args: { device: fullSim({ name: 'refused-untrusted' }) } }, 20_000);
      expect(untrustedReply).toMatchObject({ result: { ok: false, error: { code: 'CERTIFICATE_UNTRUSTED' }, serverCertificate: certificate } });
    });

    it('a test-connection whose reads never finish answers with what it has, in time', async () => {
      const { send } = await makeStubborn();
      const { value, ms } = await timed(() => send({ command: 'test-connection', args: { device: fullSim({ name: 'hang-read' }) } }, 1000));
      expect(value).toMatchObject({ result: { ok: false, message: "device 'hang-read' was connected, but reading group 'probe' did not finish in the time left", groups: [] } });
      expect(ms).toBeLessThan(1000);
    });

    it('a temporary driver that does not stop does not hold the reply', async () => {
      const { send } = await makeStubborn();
      const { value, ms } = await timed(() => send({ command: 'test-connection', args: { device: fullSim({ name: 'hang-stop' }) } }, 1000));
      expect(value).toMatchObject({ result: { ok: true } });
      expect(ms).toBeLessThan(1000);
    });

    it('an untrusted OPC UA certificate comes back for the operator to review', async () => {
      const { send } = await makeStubborn();
      const { value } = await timed(() => send({ command: 'test-connection', args: { device: fullSim({ name: 'untrusted' }) } }, 5000));
      expect(value).toMatchObject({
        result: { ok: false, message: 'the server certificate ab:ab:… is not trusted', error: { code: 'CERTIFICATE_UNTRUSTED', details: { serverCertificate: certificate } }, serverCertificate: certificate },
      });
    });

    it('a read of a configured device that does not answer is a DEVICE_ERROR before the deadline', async () => {
      const group = { name: 'g', intervalMs: 60_000, tags: [{ name: 't', address: 'counter', type: 'int32' as const }] };
      const { send } = await makeStubborn([
        { name: 'hang-read', driver: 'simulator', groups: [group] },
        { name: 'hang-connect', driver: 'simulator', groups: [group] },
        { name: 'throw-read', driver: 'simulator', groups: [group] },
        { name: 'refused', driver: 'simulator', groups: [group] },
      ]);
      const late = await timed(() => send({ command: 'read', args: { device: 'hang-read', group: 'g' } }, 800));
      expect(late.value).toMatchObject({ ok: false, error: { code: 'DEVICE_ERROR', message: "device 'hang-read' did not answer the read in time" } });
      expect(late.ms).toBeLessThan(800);
      const down = await timed(() => send({ command: 'write', args: { device: 'hang-connect', group: 'g', tag: 't', value: 1 } }, 800));
      expect(down.value).toMatchObject({ ok: false, error: { code: 'TAG_NOT_WRITABLE' } });
      const unconnected = await timed(() => send({ command: 'read', args: { device: 'hang-connect', group: 'g' } }, 800));
      expect(unconnected.value).toMatchObject({ ok: false, error: { code: 'DEVICE_ERROR', message: expect.stringMatching(/^device 'hang-connect' is not connected within \d+ ms: no answer from 10\.0\.0\.9:502$/) } });
      expect(unconnected.ms).toBeLessThan(800);
      expect(await send({ command: 'read', args: { device: 'throw-read', group: 'g' } }, 800)).toMatchObject({ ok: false, error: { code: 'DEVICE_ERROR', message: "device 'throw-read': ECONNRESET" } });
      // A device known to be down is reported at once, with the driver's reason.
      const refused = await timed(() => send({ command: 'read', args: { device: 'refused', group: 'g' } }, 20_000));
      expect(refused.value).toMatchObject({ ok: false, error: { code: 'DEVICE_ERROR', message: "device 'refused' is not connected: connect ECONNREFUSED 127.0.0.1:1502" } });
      expect(refused.ms).toBeLessThan(1000);
    });
  });
});
