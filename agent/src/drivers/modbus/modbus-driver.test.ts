import { afterEach, describe, expect, it } from 'vitest';
import { TagErrorNumber, type Group, type GroupInput, type ModbusTcpSettings } from '@edgefleet/protocol';
import { toRecords } from '../../runtime/group-sample.js';
import { config, silentLog } from '../../test-support/fixtures.js';
import { Backoff } from '../../util/backoff.js';
import { AgentError } from '../../util/errors.js';
import { FakeLine } from './fake-line.js';
import { ModbusDriver, type ModbusDevice } from './modbus-driver.js';

let driver: ModbusDriver | undefined;
afterEach(async () => {
  await driver?.stop();
  driver = undefined;
});

function device(groups: GroupInput[], settings: Partial<ModbusTcpSettings> = {}): ModbusDevice {
  const doc = config({ devices: [{ name: 'plc', driver: 'modbus-tcp', settings: { host: 'fake', timeoutMs: 60, retries: 0, ...settings }, groups }] });
  return doc.devices[0] as ModbusDevice;
}

async function started(line: FakeLine, dev: ModbusDevice, now?: () => number): Promise<ModbusDriver> {
  driver = new ModbusDriver(dev, { stateDir: '/nonexistent', log: silentLog }, { connect: line.connect, reconnect: new Backoff(20, 40, () => 1), ...(now ? { now } : {}) });
  await driver.start();
  await driver.waitConnected(1000);
  return driver;
}

async function rejection(p: Promise<unknown>): Promise<AgentError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AgentError)) throw new Error(`expected an AgentError, got ${String(err)}`);
  return err;
}

/** A read as records by tag name (the driver answers by tag position). */
async function records(d: ModbusDriver, group: Group): Promise<ReturnType<typeof toRecords>> {
  return toRecords(group.tags, await d.readGroup(group));
}

describe('ModbusDriver reads', () => {
  it('reads every area in few requests and returns raw values', async () => {
    const line = new FakeLine();
    const s = line.slave(1);
    s.coils.set(0, true);
    s.discrete.set(4, true);
    s.input.set(0, 0xfffe);
    s.holding.set(0, 0x3fc0).set(1, 0).set(2, 0x4142).set(3, 0x4300).set(10, 0b100);
    const dev = device([
      {
        name: 'g',
        intervalMs: 1000,
        tags: [
          { name: 'run', address: '1!000001', type: 'bool' },
          { name: 'door', address: '1!100005', type: 'bit' },
          { name: 'temp', address: '1!300001', type: 'int16', scale: 0.1 },
          { name: 'speed', address: '1!400001', type: 'float32' },
          { name: 'name', address: '1!400003.3H', type: 'string' },
          { name: 'flag', address: '1!400011.2', type: 'bool' },
        ],
      },
    ]);
    const d = await started(line, dev);
    const read = await records(d, dev.groups[0]!);
    expect(read).toEqual({ values: { run: true, door: 1, temp: -2, speed: 1.5, name: 'ABC', flag: true }, errors: {} });
    // Coils, discrete inputs, input registers, and holding 0..10 bridged in one read.
    expect(line.log()).toEqual(['1@0+1', '2@4+1', '4@0+1', '3@0+11']);
    expect(d.details()).toMatchObject({ requests: 4, errors: 0, timeouts: 0, planRequestsPerCycle: { g: 4 }, backedOffSlaves: [] });
    expect(d.link()).toBe('connected');
    expect(d.lastError()).toBeNull();
  });

  it('does not wait for the device to start, and fails a read with the reason while it cannot connect', async () => {
    const line = new FakeLine();
    line.failConnects = 1000;
    const dev = device([{ name: 'g', intervalMs: 1000, tags: [{ name: 'a', address: '1!400001', type: 'uint16' }] }]);
    driver = new ModbusDriver(dev, { stateDir: '/nonexistent', log: silentLog }, { connect: line.connect, reconnect: new Backoff(20, 40, () => 1) });
    await driver.start();
    const waited = await rejection(driver.waitConnected(100));
    expect(waited.code).toBe('DEVICE_ERROR');
    expect(waited.message).toBe("device 'plc': not connected to fake:502 within 100 ms: cannot connect to fake: connect ECONNREFUSED");
    const read = await rejection(driver.readGroup(dev.groups[0]!));
    expect(read.code).toBe('DEVICE_ERROR');
    expect(read.message).toMatch(/^device 'plc': cannot connect to fake: connect ECONNREFUSED/);
    expect(driver.link()).toMatch(/^(error|connecting)$/);
  });

  it('a silent slave is skipped for the rest of the cycle, then backed off, then recovered', async () => {
    let now = 1_000_000;
    const line = new FakeLine();
    line.slave(1).holding.set(0, 11);
    line.slave(2).holding.set(0, 22);
    line.slave(3).silent = true;
    const dev = device(
      [
        {
          name: 'g',
          intervalMs: 1000,
          tags: [
            { name: 'a', address: '1!400001', type: 'uint16' },
            { name: 'c1', address: '3!400001', type: 'uint16' },
            { name: 'c2', address: '3!300001', type: 'uint16' },
            { name: 'c3', address: '3!000001', type: 'bool' },
            { name: 'b', address: '2!400001', type: 'uint16' },
          ],
        },
      ],
      { failuresBeforeBackoff: 2, backoffMs: 5000, retries: 1, retryIntervalMs: 0 },
    );
    const d = await started(line, dev, () => now);
    const noAnswer = { c1: TagErrorNumber.DEVICE_NO_RESPONSE, c2: TagErrorNumber.DEVICE_NO_RESPONSE, c3: TagErrorNumber.DEVICE_NO_RESPONSE };

    expect(await records(d, dev.groups[0]!)).toEqual({ values: { a: 11, b: 22 }, errors: noAnswer });
    // Slave 3 had three reads planned; after its first timed out (and its retry), the others were skipped.
    expect(line.log(3)).toEqual(['1@0+1', '1@0+1']);
    expect(d.lastError()).toBe('slave 3 not answering: timed out after 60 ms (1 of 2 cycles before it is skipped)');
    expect(d.link()).toBe('connected');

    await records(d, dev.groups[0]!);
    expect(line.log(3)).toHaveLength(4);
    expect(d.details()).toMatchObject({ backedOffSlaves: [3], timeouts: 4 });
    expect(d.lastError()).toBe('slave 3 not answering: timed out after 60 ms; skipped for 5 s');

    // Backed off: no requests to slave 3, the others are read at once.
    const started3 = performance.now();
    expect(await records(d, dev.groups[0]!)).toEqual({ values: { a: 11, b: 22 }, errors: noAnswer });
    expect(performance.now() - started3).toBeLessThan(50);
    expect(line.log(3)).toHaveLength(4);

    // After the pause it is asked again; it answers now, and is healthy.
    now += 5000;
    line.slave(3).silent = false;
    line.slave(3).holding.set(0, 33);
    expect(await records(d, dev.groups[0]!)).toEqual({ values: { a: 11, b: 22, c1: 33, c2: 0, c3: false }, errors: {} });
    expect(d.details()).toMatchObject({ backedOffSlaves: [] });
    expect(d.lastError()).toBeNull();
  });

  it('takes a gateway exception (10, 11) for silence: no response, and backoff', async () => {
    const line = new FakeLine();
    line.slave(1).holding.set(0, 1);
    line.slave(4).exception = 11;
    const dev = device(
      [
        {
          name: 'g',
          intervalMs: 1000,
          tags: [
            { name: 'a', address: '1!400001', type: 'uint16' },
            { name: 'gone', address: '4!400001', type: 'uint16' },
            { name: 'gone2', address: '4!300001', type: 'uint16' },
          ],
        },
      ],
      { failuresBeforeBackoff: 1, backoffMs: 60_000 },
    );
    const d = await started(line, dev);
    expect(await records(d, dev.groups[0]!)).toEqual({ values: { a: 1 }, errors: { gone: TagErrorNumber.DEVICE_NO_RESPONSE, gone2: TagErrorNumber.DEVICE_NO_RESPONSE } });
    // The gateway's answer counts as silence: the slave's other read was skipped, and it is backed off.
    expect(line.log(4)).toEqual(['4@0+1']);
    expect(d.details()).toMatchObject({ backedOffSlaves: [4] });
    expect(d.lastError()).toBe('slave 4 not answering: the gateway answered exception 11 (gateway target device failed to respond); skipped for 60 s');
  });

  it('says the link is in error when no slave answers at all', async () => {
    const line = new FakeLine();
    line.slave(1).silent = true;
    const dev = device([{ name: 'g', intervalMs: 1000, tags: [{ name: 'a', address: '1!400001', type: 'uint16' }] }]);
    const d = await started(line, dev);
    expect(await records(d, dev.groups[0]!)).toEqual({ values: {}, errors: { a: TagErrorNumber.DEVICE_NO_RESPONSE } });
    expect(d.link()).toBe('error');
  });

  it('splits a bridged read the device refuses, remembers it, and still reads every tag', async () => {
    const line = new FakeLine();
    const s = line.slave(1);
    s.holding.set(0, 1).set(8, 2);
    s.holes[4] = [[2, 5]];
    const dev = device([
      {
        name: 'g',
        intervalMs: 1000,
        tags: [
          { name: 'a', address: '1!400001', type: 'uint16' },
          { name: 'b', address: '1!400009', type: 'uint16' },
        ],
      },
    ]);
    const d = await started(line, dev);
    expect(d.details()).toMatchObject({ planRequestsPerCycle: { g: 1 } });
    expect(await records(d, dev.groups[0]!)).toEqual({ values: { a: 1, b: 2 }, errors: {} });
    expect(line.log()).toEqual(['3@0+9', '3@0+1', '3@8+1']);
    expect(d.details()).toMatchObject({ planRequestsPerCycle: { g: 2 }, refusedRanges: ['1/4:1-8'] });
    expect(d.lastError()).toBe('slave 1 answered exception 2 (illegal data address) reading holding registers 0–8 (zero-based)');
    line.sent.length = 0;
    expect(await records(d, dev.groups[0]!)).toEqual({ values: { a: 1, b: 2 }, errors: {} });
    expect(line.log()).toEqual(['3@0+1', '3@8+1']);
  });

  it('finds the one tag a device refuses among contiguous ones and reads it alone from then on', async () => {
    const line = new FakeLine();
    const s = line.slave(1);
    s.holding.set(0, 10).set(1, 11).set(3, 13);
    s.holes[4] = [[2, 2]];
    const tags = [0, 1, 2, 3].map((i) => ({ name: `r${i}`, address: `1!40000${i + 1}`, type: 'uint16' as const }));
    const dev = device([{ name: 'g', intervalMs: 1000, tags }]);
    const d = await started(line, dev);
    const expected = { values: { r0: 10, r1: 11, r3: 13 }, errors: { r2: TagErrorNumber.READ_FAILURE } };
    expect(await records(d, dev.groups[0]!)).toEqual(expected);
    expect(line.log()).toEqual(['3@0+4', '3@0+1', '3@1+1', '3@2+1', '3@3+1']);
    line.sent.length = 0;
    expect(await records(d, dev.groups[0]!)).toEqual(expected);
    expect(line.log()).toEqual(['3@0+2', '3@2+1', '3@3+1']);
  });

  it('other exceptions fail the tags of that read only', async () => {
    const line = new FakeLine();
    line.slave(1).holding.set(0, 5);
    const dev = device([
      {
        name: 'g',
        intervalMs: 1000,
        tags: [
          { name: 'a', address: '1!400001', type: 'uint16' },
          { name: 'f', address: '1!400100', type: 'float32' },
        ],
      },
    ]);
    const d = await started(line, dev);
    line.slave(1).holding.set(99, 0x7fc0); // NaN
    expect(await records(d, dev.groups[0]!)).toEqual({ values: { a: 5 }, errors: { f: TagErrorNumber.READ_FAILURE } });
  });

  it('a tag that fails after reading well loses its old value; two reads at once do not share a record', async () => {
    const line = new FakeLine();
    line.slave(1).holding.set(0, 5).set(99, 0x3fc0);
    const dev = device([
      {
        name: 'g',
        intervalMs: 1000,
        tags: [
          { name: 'a', address: '1!400001', type: 'uint16' },
          { name: 'f', address: '1!400100', type: 'float32' },
        ],
      },
    ]);
    const d = await started(line, dev);
    const group = dev.groups[0]!;
    expect(await records(d, group)).toEqual({ values: { a: 5, f: 1.5 }, errors: {} });
    line.slave(1).holding.set(99, 0x7fc0); // NaN
    expect(await records(d, group)).toEqual({ values: { a: 5 }, errors: { f: TagErrorNumber.READ_FAILURE } });
    line.slave(1).holding.set(0, 6).set(99, 0x4000);
    const [first, second] = await Promise.all([d.readGroup(group), d.readGroup(group)]);
    expect(first.values).not.toBe(second.values);
    expect(toRecords(group.tags, first)).toEqual({ values: { a: 6, f: 2 }, errors: {} });
    expect(toRecords(group.tags, second)).toEqual({ values: { a: 6, f: 2 }, errors: {} });
  });

  it('a link that drops mid-cycle fails the whole read, and the driver reconnects by itself', async () => {
    const line = new FakeLine();
    line.latencyMs = 30;
    line.slave(1).holding.set(0, 5);
    const dev = device([{ name: 'g', intervalMs: 1000, tags: [{ name: 'a', address: '1!400001', type: 'uint16' }] }], { timeoutMs: 1000 });
    const d = await started(line, dev);
    const reading = rejection(d.readGroup(dev.groups[0]!));
    await new Promise((r) => setTimeout(r, 5));
    line.drop();
    const err = await reading;
    expect(err.code).toBe('DEVICE_ERROR');
    expect(err.message).toBe("device 'plc': fake:502: connection closed by the device");
    await d.waitConnected(2000);
    expect(await records(d, dev.groups[0]!)).toEqual({ values: { a: 5 }, errors: {} });
  });

  it('reads a one-tag group made on the fly (the read command) without a cached plan', async () => {
    const line = new FakeLine();
    line.slave(1).holding.set(4, 9);
    const dev = device([{ name: 'g', intervalMs: 1000, tags: [{ name: 'a', address: '1!400001', type: 'uint16' }, { name: 'e', address: '1!400005', type: 'uint16' }] }]);
    const d = await started(line, dev);
    const group = dev.groups[0]!;
    expect(await records(d, { ...group, tags: [group.tags[1]!] })).toEqual({ values: { e: 9 }, errors: {} });
    expect(line.log()).toEqual(['3@4+1']);
  });
});

describe('ModbusDriver writes', () => {
  const groups: GroupInput[] = [
    {
      name: 'g',
      intervalMs: 1000,
      tags: [
        { name: 'coil', address: '1!000003', type: 'bool', access: 'rw' },
        { name: 'sp', address: '1!400001', type: 'int16', access: 'rw' },
        { name: 'flow', address: '1!400002#CDAB', type: 'float32', access: 'rw' },
        { name: 'label', address: '1!400010.4L', type: 'string', access: 'rw' },
        { name: 'di', address: '1!100001', type: 'bool' },
        { name: 'ir', address: '1!300001', type: 'uint16' },
        { name: 'bit', address: '1!400020.1', type: 'bit' },
        { name: 'ro', address: '1!400021', type: 'uint16' },
        { name: 'far', address: '9!400001', type: 'uint16', access: 'rw' },
      ],
    },
  ];

  it('writes coils with FC 5 and registers with FC 6 or 16, encoded by type and order', async () => {
    const line = new FakeLine();
    const s = line.slave(1);
    const dev = device(groups);
    const d = await started(line, dev);
    const g = dev.groups[0]!;
    const tag = (name: string) => g.tags.find((t) => t.name === name)!;
    await d.writeTag(g, tag('coil'), true);
    await d.writeTag(g, tag('sp'), -5);
    await d.writeTag(g, tag('flow'), 1.5);
    await d.writeTag(g, tag('label'), 'AB');
    expect(line.log()).toEqual(['5@2+1', '6@0+1', '16@1+2', '16@9+2']);
    expect(s.coils.get(2)).toBe(true);
    expect(s.holding.get(0)).toBe(0xfffb);
    expect([s.holding.get(1), s.holding.get(2)]).toEqual([0x0000, 0x3fc0]);
    expect([s.holding.get(9), s.holding.get(10)]).toEqual([0x4241, 0]);
    expect(await records(d, { ...g, tags: [tag('coil'), tag('sp'), tag('flow'), tag('label')] })).toEqual({ values: { coil: true, sp: -5, flow: 1.5, label: 'AB' }, errors: {} });
  });

  it('refuses writes to read-only areas, bits of registers and r tags, naming why', async () => {
    const d = await started(new FakeLine(), device(groups));
    const g = device(groups).groups[0]!;
    const tag = (name: string) => g.tags.find((t) => t.name === name)!;
    const cases: Array<[string, string]> = [
      ['di', "tag 'di' is read-only (access 'r')"],
      ['ro', "tag 'ro' is read-only (access 'r')"],
      ['ir', "tag 'ir' is read-only (access 'r')"],
    ];
    for (const [name, message] of cases) {
      const err = await rejection(d.writeTag(g, tag(name), 1));
      expect(err.code).toBe('TAG_NOT_WRITABLE');
      expect(err.message).toBe(message);
    }
    // A document that skipped validation: rw on read-only places.
    for (const [address, type, why] of [
      ['1!100001', 'bool', 'discrete inputs are read only'],
      ['1!300001', 'uint16', 'input registers are read only; use a holding register (area 4) to write'],
      ['1!400020.1', 'bit', 'a bit inside a register is read only (writing it would overwrite the other 15 bits)'],
    ] as const) {
      const err = await rejection(d.writeTag(g, { name: 'x', address, type, access: 'rw' }, 1));
      expect(err.code).toBe('TAG_NOT_WRITABLE');
      expect(err.message).toContain(why);
    }
  });

  it('range-checks the value, and reports device exceptions and silence', async () => {
    const line = new FakeLine();
    line.slave(1).holes[4] = [[0, 0]];
    line.slave(9).silent = true;
    const dev = device(groups);
    const d = await started(line, dev);
    const g = dev.groups[0]!;
    const tag = (name: string) => g.tags.find((t) => t.name === name)!;
    const range = await rejection(d.writeTag(g, tag('sp'), 40_000));
    expect(range.code).toBe('VALIDATION_FAILED');
    expect(range.message).toBe("40000 is out of range for tag 'sp' (int16: -32768 to 32767)");
    expect(line.log()).toEqual([]);
    const exception = await rejection(d.writeTag(g, tag('sp'), 1));
    expect(exception.code).toBe('DEVICE_ERROR');
    expect(exception.message).toBe('slave 1 answered exception 2 (illegal data address)');
    const silent = await rejection(d.writeTag(g, tag('far'), 1));
    expect(silent.code).toBe('DEVICE_ERROR');
    expect(silent.message).toBe('slave 9 not answering: timed out after 60 ms');
  });
});
