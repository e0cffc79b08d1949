import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeviceSchema, TagErrorNumber, type Device, type Group, type GroupInput, type GroupValues, type ModbusTcpSettings } from '@edgefleet/protocol';
import { createLogger } from '../../../../agent/src/log.js';
import { DeviceRunner } from '../../../../agent/src/drivers/device-runner.js';
import { isWritableDriver, type Driver, type DriverContext, type WritableDriver } from '../../../../agent/src/drivers/driver.js';
import { toGroupValues, toRecords } from '../../../../agent/src/runtime/group-sample.js';
import { defaultDriverRegistry } from '../../../../agent/src/drivers/registry.js';
import { AgentError } from '../../../../agent/src/util/errors.js';
import { eventually } from '../../support/eventually.js';
import { startModbusPeer, type ModbusPeer, type ModbusPeerMode } from './modbus-peer.js';
import { holding, numericCases, textCases, type RegisterCase } from './type-cases.js';

/** A read of the group as records by tag name (the driver answers by tag position). */
async function readRecords(driver: Driver, group: Group): Promise<ReturnType<typeof toRecords>> {
  return toRecords(group.tags, await driver.readGroup(group));
}

/**
 * The Modbus driver against a real pymodbus server, the same checks for each transport: Modbus
 * TCP, RTU framing over TCP, and RTU on a pseudo-terminal pair. Drivers are made by the agent's
 * default registry, as a config apply makes them.
 */

const DRIVER: Record<ModbusPeerMode, Device['driver']> = { tcp: 'modbus-tcp', 'rtu-over-tcp': 'modbus-rtu-over-tcp', rtu: 'modbus-rtu' };
const log = createLogger('silent');

type Settings = Partial<Omit<ModbusTcpSettings, 'host' | 'port'>>;

export function modbusDevice(peer: ModbusPeer, name: string, groups: GroupInput[], settings: Settings = {}): Device {
  const where = peer.mode === 'rtu' ? { path: peer.serialPath, baudRate: 115_200 } : { host: peer.host, port: peer.port };
  return DeviceSchema.parse({ name, driver: DRIVER[peer.mode], settings: { timeoutMs: 1000, ...where, ...settings }, groups });
}

export function modbusSuite(mode: ModbusPeerMode): void {
  describe(`Modbus driver over ${mode} against pymodbus`, () => {
    let peer: ModbusPeer;
    let stateDir: string;
    let context: DriverContext;
    const open: Array<{ stop(): Promise<void> }> = [];

    beforeAll(async () => {
      stateDir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-modbus-'));
      context = { stateDir, log };
      peer = await startModbusPeer({ mode, units: [1, 2, 3] });
    });

    // A serial port is opened by one driver at a time (it is locked): each test stops its own.
    const stopAll = async () => {
      for (const o of open.splice(0).reverse()) await o.stop().catch(() => undefined);
    };
    afterEach(stopAll);

    afterAll(async () => {
      await stopAll();
      await peer?.stop();
      await rm(stateDir, { recursive: true, force: true });
    });

    async function connectedDriver(device: Device): Promise<WritableDriver> {
      const driver = defaultDriverRegistry().create(device, context);
      if (!isWritableDriver(driver)) throw new Error('the Modbus driver should be writable');
      open.push(driver);
      await driver.start();
      await driver.waitConnected(5000);
      return driver;
    }

    async function refusal(p: Promise<unknown>): Promise<AgentError> {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(err instanceof AgentError)) throw new Error(`expected an AgentError, got ${String(err)}`);
      return err;
    }

    const numeric = numericCases(1, 100);
    const text = textCases(1, 400);
    const byName = (cases: RegisterCase[]) => Object.fromEntries(cases.map((c) => [c.tag.name, c.value]));

    it('reads every numeric type in every byte/word order as the server holds it', async () => {
      const device = modbusDevice(peer, 'types', [{ name: 'numeric', intervalMs: 1000, tags: numeric.map((c) => c.tag) }]);
      const driver = await connectedDriver(device);
      for (const c of numeric) await peer.set(1, 'hr', c.offset, c.registers);
      const read = await readRecords(driver, device.groups[0]!);
      expect(read.errors).toEqual({});
      expect(read.values).toEqual(byName(numeric));
      expect(numeric).toHaveLength(2 * 5 + 3 * 9 + 3 * 9);
    });

    it('writes every numeric type in every order: the server holds the expected registers, and they read back', async () => {
      const device = modbusDevice(peer, 'types-w', [{ name: 'numeric', intervalMs: 1000, tags: numeric.map((c) => c.tag) }]);
      const driver = await connectedDriver(device);
      const group = device.groups[0]!;
      const span = numeric.at(-1)!.offset + numeric.at(-1)!.registers.length - 100;
      await peer.set(1, 'hr', 100, new Array<number>(span).fill(0));
      await peer.clearRequests();
      for (const c of numeric) await driver.writeTag(group, group.tags.find((t) => t.name === c.tag.name)!, c.value);
      for (const c of numeric) expect({ tag: c.tag.name, registers: await peer.get(1, 'hr', c.offset, c.registers.length) }).toEqual({ tag: c.tag.name, registers: c.registers });
      // One register: FC 6; more: FC 16.
      const writes = (await peer.requests()).map((r) => r.fc);
      expect(writes).toEqual(numeric.map((c) => (c.registers.length === 1 ? 6 : 16)));
      expect((await readRecords(driver, group)).values).toEqual(byName(numeric));
    });

    it('reads and writes strings in modes H, L, D and E, and bytes', async () => {
      const device = modbusDevice(peer, 'text', [{ name: 'text', intervalMs: 1000, tags: text.map((c) => c.tag) }]);
      const driver = await connectedDriver(device);
      const group = device.groups[0]!;
      for (const c of text) await peer.set(1, 'hr', c.offset, c.registers);
      expect(await readRecords(driver, group)).toEqual({ values: byName(text), errors: {} });
      await peer.set(1, 'hr', 400, new Array<number>(20).fill(0xffff));
      for (const c of text) await driver.writeTag(group, group.tags.find((t) => t.name === c.tag.name)!, c.value);
      for (const c of text) expect({ tag: c.tag.name, registers: await peer.get(1, 'hr', c.offset, c.registers.length) }).toEqual({ tag: c.tag.name, registers: c.registers });
      // A shorter string is padded with NUL over the whole tag, so nothing of the old one remains.
      await driver.writeTag(group, group.tags.find((t) => t.name === 'text_H')!, 'Hi');
      expect(await peer.get(1, 'hr', 400, 3)).toEqual([0x4869, 0, 0]);
      expect((await readRecords(driver, group)).values).toMatchObject({ text_H: 'Hi', text_L: 'Hello', text_D: 'Hello', text_E: 'Hello', octets: [0xde, 0xad, 0xbe, 0xef] });
    });

    it('reads coils, discrete inputs, input registers and bits of registers; writes coils', async () => {
      const device = modbusDevice(peer, 'areas', [
        {
          name: 'areas',
          intervalMs: 1000,
          tags: [
            { name: 'c0', address: '1!000001', type: 'bool', access: 'rw' },
            { name: 'c1', address: '1!000002', type: 'bit', access: 'rw' },
            { name: 'c7', address: '1!000008', type: 'bool' },
            { name: 'd0', address: '1!100001', type: 'bool' },
            { name: 'd2', address: '1!100003', type: 'bit' },
            { name: 'i0', address: '1!300001', type: 'int16' },
            { name: 'i1', address: '1!300002#BB', type: 'float32' },
            { name: 'b0', address: '1!400301.0', type: 'bit' },
            { name: 'b1', address: '1!400301.1', type: 'bool' },
            { name: 'b5', address: '1!400301.5', type: 'bool' },
            { name: 'b15', address: '1!400301.15', type: 'bit' },
          ],
        },
      ]);
      const driver = await connectedDriver(device);
      const group = device.groups[0]!;
      await peer.set(1, 'co', 0, [1, 0, 0, 0, 0, 0, 0, 1]);
      await peer.set(1, 'di', 0, [1, 0, 1]);
      const f = Buffer.alloc(4);
      f.writeFloatLE(-2.5); // DCBA: the value's least significant byte first on the wire
      await peer.set(1, 'ir', 0, [0xfffe, f.readUInt16BE(0), f.readUInt16BE(2)]);
      await peer.set(1, 'hr', 300, [0x8025]);
      expect(await readRecords(driver, group)).toEqual({
        values: { c0: true, c1: 0, c7: true, d0: true, d2: 1, i0: -2, i1: -2.5, b0: 1, b1: false, b5: true, b15: 1 },
        errors: {},
      });
      await driver.writeTag(group, group.tags.find((t) => t.name === 'c1')!, 1);
      await driver.writeTag(group, group.tags.find((t) => t.name === 'c0')!, false);
      expect(await peer.get(1, 'co', 0, 3)).toEqual([0, 1, 0]);
      expect((await readRecords(driver, group)).values).toMatchObject({ c0: false, c1: 1 });
    });

    it('refuses writes to read-only tags before anything reaches the server, and reports device exceptions', async () => {
      const device = modbusDevice(peer, 'refuse', [
        {
          name: 'g',
          intervalMs: 1000,
          tags: [
            { name: 'di', address: '1!100001', type: 'bool' },
            { name: 'ir', address: '1!300001', type: 'uint16' },
            { name: 'bit', address: '1!400301.3', type: 'bit' },
            { name: 'hr', address: '1!400600', type: 'uint16' },
            { name: 'sp', address: '1!400501', type: 'int16', access: 'rw' },
          ],
        },
      ]);
      const driver = await connectedDriver(device);
      const group = device.groups[0]!;
      const tag = (name: string) => group.tags.find((t) => t.name === name)!;
      await peer.clearRequests();
      for (const name of ['di', 'ir', 'bit', 'hr']) {
        const err = await refusal(driver.writeTag(group, tag(name), 1));
        expect({ name, code: err.code, message: err.message }).toEqual({ name, code: 'TAG_NOT_WRITABLE', message: `tag '${name}' is read-only (access 'r')` });
      }
      // Even a tag that claims rw (a document that skipped the plane's checks) cannot write there.
      for (const [address, type, why] of [
        ['1!100001', 'bool', 'discrete inputs are read only'],
        ['1!300001', 'uint16', 'input registers are read only; use a holding register (area 4) to write'],
        ['1!400301.3', 'bit', 'a bit inside a register is read only (writing it would overwrite the other 15 bits)'],
      ] as const) {
        const err = await refusal(driver.writeTag(group, { name: 'forced', address, type, access: 'rw' }, 1));
        expect({ address, code: err.code, message: err.message }).toEqual({ address, code: 'TAG_NOT_WRITABLE', message: `tag 'forced' (${address}): ${why}` });
      }
      const range = await refusal(driver.writeTag(group, tag('sp'), 70_000));
      expect(range.code).toBe('VALIDATION_FAILED');
      expect(range.message).toBe("70000 is out of range for tag 'sp' (int16: -32768 to 32767)");
      expect(await peer.requests()).toEqual([]);

      await peer.holes(1, 'hr', [[500, 500]]);
      try {
        const exception = await refusal(driver.writeTag(group, tag('sp'), 5));
        expect(exception.code).toBe('DEVICE_ERROR');
        expect(exception.message).toBe('slave 1 answered exception 2 (illegal data address)');
      } finally {
        await peer.holes(1, 'hr', []);
      }
      await driver.writeTag(group, tag('sp'), -5);
      expect(await peer.get(1, 'hr', 500, 1)).toEqual([0xfffb]);
    });

    it('coalesces a group into the planned requests, as the server sees them', async () => {
      const tags = [
        { name: 'a', address: holding(2, 1000), type: 'uint16' as const },
        { name: 'b', address: holding(2, 1001), type: 'float32' as const },
        { name: 'c', address: holding(2, 1009), type: 'uint16' as const },
        { name: 'd', address: holding(2, 1100), type: 'int64' as const },
        ...Array.from({ length: 130 }, (_, i) => ({ name: `r${i}`, address: holding(2, 1300 + i), type: 'uint16' as const })),
      ];
      const bridged = await connectedDriver(modbusDevice(peer, 'plan', [{ name: 'plan', intervalMs: 1000, tags }]));
      await peer.set(2, 'hr', 1300, Array.from({ length: 130 }, (_, i) => i * 7));

      await peer.clearRequests();
      const read = await readRecords(bridged, { name: 'plan', intervalMs: 1000, tags: tags.map((t) => ({ ...t, access: 'r' })) });
      expect(read.errors).toEqual({});
      expect(read.values).toMatchObject({ r0: 0, r129: 903 });
      expect(await peer.requests()).toEqual([
        { unit: 2, fc: 3, address: 1000, count: 10 },
        { unit: 2, fc: 3, address: 1100, count: 4 },
        { unit: 2, fc: 3, address: 1300, count: 125 },
        { unit: 2, fc: 3, address: 1425, count: 5 },
      ]);
      expect(bridged.details?.()).toMatchObject({ planRequestsPerCycle: { plan: 4 } });
      await stopAll();

      const tight = await connectedDriver(modbusDevice(peer, 'plan0', [{ name: 'plan', intervalMs: 1000, tags }], { maxGapRegisters: 0, maxRegistersPerRequest: 100 }));
      await peer.clearRequests();
      await readRecords(tight, { name: 'plan', intervalMs: 1000, tags: tags.map((t) => ({ ...t, access: 'r' })) });
      expect((await peer.requests()).map((r) => `${r.address}+${r.count}`)).toEqual(['1000+3', '1009+1', '1100+4', '1300+100', '1400+30']);
      expect(tight.details?.()).toMatchObject({ planRequestsPerCycle: { plan: 5 } });
    });

    it('splits a bridged read the device refuses (exception 2) and remembers it', async () => {
      const device = modbusDevice(peer, 'holes', [
        {
          name: 'g',
          intervalMs: 1000,
          tags: [
            { name: 'a', address: holding(2, 2000), type: 'uint16' },
            { name: 'b', address: holding(2, 2008), type: 'int32' },
          ],
        },
      ]);
      const driver = await connectedDriver(device);
      await peer.holes(2, 'hr', [[2003, 2005]]);
      try {
        await peer.set(2, 'hr', 2000, [17]);
        await peer.set(2, 'hr', 2008, [0, 99]);
        await peer.clearRequests();
        expect(await readRecords(driver, device.groups[0]!)).toEqual({ values: { a: 17, b: 99 }, errors: {} });
        expect((await peer.requests()).map((r) => `${r.address}+${r.count}`)).toEqual(['2000+10', '2000+1', '2008+2']);
        await peer.clearRequests();
        expect(await readRecords(driver, device.groups[0]!)).toEqual({ values: { a: 17, b: 99 }, errors: {} });
        expect((await peer.requests()).map((r) => `${r.address}+${r.count}`)).toEqual(['2000+1', '2008+2']);
        expect(driver.details?.()).toMatchObject({ planRequestsPerCycle: { g: 2 } });
      } finally {
        await peer.holes(2, 'hr', []);
      }
    });

    /** Runs a device as the agent does (a scheduler per group) and keeps what it publishes. */
    async function running(device: Device): Promise<{ runner: DeviceRunner; driver: WritableDriver; published: GroupValues[] }> {
      const driver = defaultDriverRegistry().create(device, context) as WritableDriver;
      const published: GroupValues[] = [];
      const runner = new DeviceRunner(device, driver, (sample) => published.push(toGroupValues(sample)), log);
      open.push(runner);
      await runner.open();
      await driver.waitConnected(5000);
      runner.run();
      return { runner, driver, published };
    }

    const healthy = (published: GroupValues[], group: string, since: number) => published.filter((p) => p.group === group && p.timestamp >= since && Object.keys(p.errors).length === 0).length;

    it('a silent slave does not stall the others on the same line: they keep their rate; it is backed off', async () => {
      await peer.set(1, 'hr', 0, [11]);
      await peer.set(2, 'hr', 0, [22]);
      await peer.silent(3, true);
      try {
        const device = modbusDevice(
          peer,
          'silent',
          [
            { name: 'one', intervalMs: 100, tags: [{ name: 'v', address: '1!400001', type: 'uint16' }] },
            { name: 'two', intervalMs: 100, tags: [{ name: 'v', address: '2!400001', type: 'uint16' }] },
            { name: 'three', intervalMs: 100, tags: [{ name: 'v', address: '3!400001', type: 'uint16' }] },
          ],
          { timeoutMs: 200, retries: 0, failuresBeforeBackoff: 2, backoffMs: 60_000 },
        );
        const { runner, driver, published } = await running(device);
        await eventually(async () => (driver.details?.().backedOffSlaves as number[]).includes(3), 'slave 3 to be backed off', 10_000, 20);
        expect(driver.lastError()).toBe('slave 3 not answering: timed out after 200 ms; skipped for 60 s');
        const timeouts = driver.details?.().timeouts as number;
        const since = Date.now();
        await new Promise((r) => setTimeout(r, 2000));
        // 20 cycles in 2 s at 100 ms; allow for a busy machine.
        expect(healthy(published, 'one', since)).toBeGreaterThanOrEqual(16);
        expect(healthy(published, 'two', since)).toBeGreaterThanOrEqual(16);
        const three = published.filter((p) => p.group === 'three' && p.timestamp >= since);
        expect(three.length).toBeGreaterThanOrEqual(16);
        expect(three.every((p) => p.errors.v === TagErrorNumber.DEVICE_NO_RESPONSE)).toBe(true);
        // Backed off: not asked at all.
        expect(driver.details?.().timeouts).toBe(timeouts);
        expect(published.filter((p) => p.group === 'one' && p.timestamp >= since).every((p) => p.values.v === 11)).toBe(true);
        expect(runner.link()).toBe('connected');
      } finally {
        await peer.silent(3, false);
      }
    });

    it('asks a backed-off slave again after backoffMs and takes it back when it answers', async () => {
      await peer.set(3, 'hr', 0, [33]);
      await peer.silent(3, true);
      try {
        const device = modbusDevice(
          peer,
          'recover',
          [
            { name: 'one', intervalMs: 100, tags: [{ name: 'v', address: '1!400001', type: 'uint16' }] },
            { name: 'three', intervalMs: 100, tags: [{ name: 'v', address: '3!400001', type: 'uint16' }] },
          ],
          { timeoutMs: 200, retries: 0, failuresBeforeBackoff: 2, backoffMs: 1000 },
        );
        const { driver, published } = await running(device);
        await eventually(async () => (driver.details?.().backedOffSlaves as number[]).includes(3), 'slave 3 to be backed off', 10_000, 20);
        await peer.silent(3, false);
        const since = Date.now();
        await eventually(async () => published.some((p) => p.group === 'three' && p.timestamp >= since && p.values.v === 33), 'slave 3 to answer again', 10_000, 50);
        expect(driver.details?.().backedOffSlaves).toEqual([]);
        expect(driver.lastError()).toBeNull();
      } finally {
        await peer.silent(3, false);
      }
    });

    it("takes a gateway's exception 11 for a device that does not respond as silence: backed off, then back", async () => {
      await peer.set(2, 'hr', 0, [22]);
      await peer.unreachable(2, true);
      try {
        const device = modbusDevice(peer, 'gateway', [{ name: 'g', intervalMs: 1000, tags: [{ name: 'v', address: '2!400001', type: 'uint16' }] }], { failuresBeforeBackoff: 2, backoffMs: 300 });
        const driver = await connectedDriver(device);
        const group = device.groups[0]!;
        expect(await readRecords(driver, group)).toEqual({ values: {}, errors: { v: TagErrorNumber.DEVICE_NO_RESPONSE } });
        await readRecords(driver, group);
        expect(driver.details?.()).toMatchObject({ backedOffSlaves: [2], timeouts: 0 });
        expect(driver.lastError()).toBe('slave 2 not answering: the gateway answered exception 11 (gateway target device failed to respond); skipped for 0.3 s');
        const write = await refusal(driver.writeTag(group, { ...group.tags[0]!, access: 'rw' }, 1));
        expect(write.message).toBe('slave 2 answered exception 11 (gateway target device failed to respond)');
        await peer.unreachable(2, false);
        // (The peer executes a request before it swaps the answer for the exception: restore the value.)
        await peer.set(2, 'hr', 0, [22]);
        await eventually(async () => (await readRecords(driver, group)).values.v === 22, 'slave 2 back after the pause', 5000, 50);
        expect(driver.details?.()).toMatchObject({ backedOffSlaves: [] });
      } finally {
        await peer.unreachable(2, false);
      }
    });

    it('keeps publishing after the server stops and comes back: the driver recovers by itself', async () => {
      await peer.set(1, 'hr', 10, [1234]);
      const device = modbusDevice(peer, 'restart', [{ name: 'g', intervalMs: 100, tags: [{ name: 'v', address: '1!400011', type: 'uint16' }] }], {
        timeoutMs: 200,
        retries: 0,
        failuresBeforeBackoff: 2,
        backoffMs: 500,
      });
      const { runner, driver, published } = await running(device);
      await eventually(async () => published.some((p) => p.values.v === 1234), 'a first value');
      await peer.kill();
      const down = Date.now();
      await eventually(async () => published.some((p) => p.timestamp >= down && p.errors.v !== undefined), 'the outage to show in the published errors');
      if (mode !== 'rtu') {
        // A socket: the link itself is gone, and the driver says why.
        await eventually(async () => runner.link() !== 'connected', 'the link to drop');
        expect(driver.lastError()).toMatch(/127\.0\.0\.1:\d+|connection/);
      }
      await peer.restart();
      await peer.set(1, 'hr', 10, [4321]);
      const back = Date.now();
      await eventually(async () => published.some((p) => p.timestamp >= back && p.values.v === 4321), 'values again after the restart', 20_000);
      expect(runner.link()).toBe('connected');
    });

    if (mode === 'rtu') {
      it('reopens the serial port by itself after it vanished (an unplugged adapter) and came back', async () => {
        await peer.set(1, 'hr', 20, [77]);
        const device = modbusDevice(peer, 'unplug', [{ name: 'g', intervalMs: 100, tags: [{ name: 'v', address: '1!400021', type: 'uint16' }] }], { timeoutMs: 200, retries: 0 });
        const { runner, driver, published } = await running(device);
        await eventually(async () => published.some((p) => p.values.v === 77), 'a first value');
        const gone = Date.now();
        await peer.restart({ line: true });
        // While the port was away every poll failed as a whole.
        expect(published.some((p) => p.timestamp >= gone && p.errors.v === TagErrorNumber.DEVICE_NO_RESPONSE)).toBe(true);
        await peer.set(1, 'hr', 20, [78]);
        const back = Date.now();
        await eventually(async () => published.some((p) => p.timestamp >= back && p.values.v === 78), 'values again from the new port', 20_000);
        expect(runner.link()).toBe('connected');
        expect(driver.lastError()).toBeNull();
      });
    }
  });
}
