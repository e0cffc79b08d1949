/**
 * The OPC UA driver reading, subscribing, writing and browsing against a real node-opcua server
 * (security None, anonymous; security is covered in opcua-security.test.ts). One server for the
 * whole file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, TagErrorNumber, type Group, type TagValue } from '@edgefleet/protocol';
import { DeviceRunner } from '../../../agent/src/drivers/device-runner.js';
import type { GroupValues } from '@edgefleet/protocol';
import { toGroupValues } from '../../../agent/src/runtime/group-sample.js';
import type { OpcUaDriver } from '../../../agent/src/drivers/opcua/opcua-driver.js';
import { eventually } from '../support/eventually.js';
import { STATIC_VARIABLES } from '../peers/opcua/address-space.js';
import { Deliveries, DriverHarness, group, onlyGroup, opcuaDevice, rejection, type OpcUaDevice } from '../peers/opcua/harness.js';
import { readRecords } from '../peers/opcua/harness.js';
import { ua } from '../peers/opcua/lib.js';
import { OpcUaPeer } from '../peers/opcua/opcua-server.js';

const staticTags = STATIC_VARIABLES.map((s) => ({ name: s.type.toLowerCase(), address: `ns=1;s=Static.${s.type}`, type: s.tagType, access: 'rw' as const }));
const expectedStatic: Record<string, TagValue> = Object.fromEntries(STATIC_VARIABLES.map((s) => [s.type.toLowerCase(), s.expected]));

describe('OPC UA driver: data', { timeout: 60_000 }, () => {
  let peer: OpcUaPeer;
  const harness = new DriverHarness();
  let device: OpcUaDevice;
  let driver: OpcUaDriver;

  beforeAll(async () => {
    peer = await OpcUaPeer.start();
    device = opcuaDevice({ endpointUrl: peer.endpointUrl, requestTimeoutMs: 5000 }, [
      group('static', 1000, staticTags, 'poll'),
      group(
        'dynamic',
        100,
        [
          { name: 'counter', address: 'ns=1;s=Dynamic.Counter', type: 'uint32' },
          { name: 'sine', address: 'ns=1;s=Dynamic.Sine', type: 'float64' },
          { name: 'toggle', address: `nsu=${'urn:edgefleet:test-peer'};s=Dynamic.Toggle`, type: 'bool' },
        ],
        'subscribe',
      ),
    ]);
    driver = await harness.start(device);
    await driver.waitConnected(15_000);
  });

  afterAll(async () => {
    await harness.dispose();
    await peer?.dispose();
  });

  it('polls every basic type in one read, converted to the tag types', async () => {
    const read = await readRecords(driver, onlyGroup(device, 'static'));
    expect(read.errors).toEqual({});
    expect(read.values).toEqual(expectedStatic);
  });

  it('subscribes every basic type: initial values first, then changes only', async () => {
    const got = new Deliveries();
    const g = { name: 'static-sub', intervalMs: 100, tags: staticTags.map((t) => ({ ...t })) };
    await driver.subscribe(g, got.to(g));
    await eventually(async () => Object.keys(got.latest()).length === staticTags.length, 'the initial values of every type', 10_000);
    expect(got.latest()).toEqual(expectedStatic);
    // Nothing changes: no further deliveries after the initial one(s).
    const count = got.all.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(got.all.length).toBe(count);
    peer.set('ns=1;s=Static.Int32', ua.DataType.Int32, 77);
    await eventually(async () => got.all.length > count, 'the change of one tag', 5000);
    expect(got.all.at(-1)!.values).toEqual({ int32: 77 });
    peer.set('ns=1;s=Static.Int32', ua.DataType.Int32, -123456789);
  });

  it('delivers changes batched per publish with the server’s timestamps', async () => {
    const got = new Deliveries();
    const dyn = onlyGroup(device, 'dynamic');
    const before = Date.now();
    await driver.subscribe(dyn, got.to(dyn));
    await eventually(async () => got.valuesOf('counter').length >= 10, 'ten counter changes', 10_000);
    const later = got.all.slice(1);
    // Each delivery carries the tags that changed in one publish: all three change every tick.
    expect(later.some((d) => Object.keys(d.values).length === 3)).toBe(true);
    const counters = got.valuesOf('counter') as number[];
    for (let i = 1; i < counters.length; i++) expect(counters[i]!).toBeGreaterThan(counters[i - 1]!);
    for (const d of later) {
      expect(d.timestamp).toBeGreaterThanOrEqual(before - 1000);
      expect(d.timestamp).toBeLessThanOrEqual(d.receivedAt);
    }
    expect(typeof got.latest().toggle).toBe('boolean');
    const details = driver.details();
    expect(details.subscriptions).toBeGreaterThanOrEqual(1);
    expect(details.monitoredItems).toBeGreaterThanOrEqual(3);
    expect(details.notificationsReceived as number).toBeGreaterThan(10);
  });

  it('replaces the subscription of a group subscribed again, leaving none behind on the server', async () => {
    const before = peer.subscriptionCount;
    const first = new Deliveries();
    const second = new Deliveries();
    const g = { name: 'again', intervalMs: 100, tags: [{ name: 'counter', address: 'ns=1;s=Dynamic.Counter', type: 'uint32' as const, access: 'r' as const }] };
    await driver.subscribe(g, first.to(g));
    await eventually(async () => first.all.length >= 2, 'the first subscription’s data', 5000);
    expect(peer.subscriptionCount).toBe(before + 1);
    await driver.subscribe(g, second.to(g));
    await eventually(async () => second.all.length >= 2, 'the second subscription’s data', 5000);
    const firstCount = first.all.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(first.all.length).toBe(firstCount);
    await eventually(async () => peer.subscriptionCount === before + 1, 'the replaced subscription to be deleted', 5000);
  });

  it('reports an absolute deadband to the server: small moves are not delivered', async () => {
    const got = new Deliveries();
    const deadband: Group = { name: 'deadband', intervalMs: 50, tags: [{ name: 'level', address: 'ns=1;s=Static.Deadband', type: 'float64', access: 'r', deadbandAbs: 5 }] };
    await driver.subscribe(deadband, got.to(deadband));
    await eventually(async () => got.valuesOf('level').length === 1, 'the initial value', 5000);
    for (const v of [1, 2, 10, 11, 14.9, 20, 16]) {
      peer.set('ns=1;s=Static.Deadband', ua.DataType.Double, v);
      await new Promise((r) => setTimeout(r, 200));
    }
    await eventually(async () => got.valuesOf('level').includes(20), 'the value 20', 5000);
    await new Promise((r) => setTimeout(r, 300));
    expect(got.valuesOf('level')).toEqual([0, 10, 20]);
  });

  it('writes every writable type, typed by the variable’s DataType, and reads it back', async () => {
    const g = onlyGroup(device, 'static');
    for (const s of STATIC_VARIABLES) {
      const tag = g.tags.find((t) => t.name === s.type.toLowerCase())!;
      await driver.writeTag(g, tag, s.write);
    }
    const read = await readRecords(driver, g);
    expect(read.errors).toEqual({});
    expect(read.values).toEqual(Object.fromEntries(STATIC_VARIABLES.map((s) => [s.type.toLowerCase(), s.readBack])));
    // On the server side too, in the server's own types.
    expect(peer.get('ns=1;s=Static.Float')).toBe(-1.5);
    expect(peer.get('ns=1;s=Static.SByte')).toBe(-128);
    expect(peer.get('ns=1;s=Static.Int64')).toEqual([0x8000_0000, 0]);
    expect(peer.get('ns=1;s=Static.ByteString')).toEqual(Buffer.from([9, 8, 7]));
    expect((peer.get('ns=1;s=Static.DateTime') as Date).toISOString()).toBe('2025-01-02T03:04:05.678Z');
    // Numbers given as decimal strings and booleans as 1/0 are coerced.
    await driver.writeTag(g, g.tags.find((t) => t.name === 'uint64')!, '18446744073709551614');
    await driver.writeTag(g, g.tags.find((t) => t.name === 'boolean')!, 1);
    const again = await readRecords(driver, g);
    expect(again.values.uint64).toBe('18446744073709551614');
    expect(again.values.boolean).toBe(true);
    const details = driver.details();
    expect(details.writes as number).toBeGreaterThanOrEqual(STATIC_VARIABLES.length + 2);
  });

  it('explains writes the variable or the server refuses', async () => {
    const g = onlyGroup(device, 'static');
    const tag = (name: string, address: string) => ({ name, address, type: 'float64' as const, access: 'rw' as const });
    const range = await rejection(driver.writeTag(g, { ...tag('byte', 'ns=1;s=Static.Byte'), type: 'uint16' }, 256));
    expect(range.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(range.message).toBe("tag 'byte' (ns=1;s=Static.Byte, Byte): 256 is outside 0…255 of Byte");
    const readOnly = await rejection(driver.writeTag(g, tag('ro', 'ns=1;s=Static.ReadOnly'), 1));
    expect(readOnly.code).toBe(ErrorCode.TAG_NOT_WRITABLE);
    expect(readOnly.message).toMatch(/BadNotWritable|BadUserAccessDenied/);
    const mismatch = await rejection(driver.writeTag(g, tag('strict', 'ns=1;s=Static.Strict'), 2));
    expect(mismatch.code).toBe(ErrorCode.DEVICE_ERROR);
    expect(mismatch.message).toBe("the server refused writing 2 to tag 'strict' (ns=1;s=Static.Strict, Double): BadTypeMismatch (0x80740000)");
    const array = await rejection(driver.writeTag(g, tag('arr', 'ns=1;s=Static.DoubleArray'), 1));
    expect(array.code).toBe(ErrorCode.OPERATION_UNSUPPORTED);
    const unknown = await rejection(driver.writeTag(g, tag('nope', 'ns=1;s=Nope'), 1));
    expect(unknown.code).toBe(ErrorCode.DEVICE_ERROR);
    expect(unknown.message).toContain('BadNodeIdUnknown');
  });

  it('reports tags that cannot be read as per-tag errors, polled or subscribed', async () => {
    const tags = [
      { name: 'ok', address: 'ns=1;s=Static.ReadOnly', type: 'float64' as const },
      { name: 'missing', address: 'ns=1;s=Does.Not.Exist', type: 'float64' as const },
      { name: 'foreign', address: 'nsu=urn:not-here;s=X', type: 'float64' as const },
      { name: 'mistyped', address: 'ns=1;s=Static.String', type: 'int32' as const },
      { name: 'array', address: 'ns=1;s=Static.DoubleArray', type: 'string' as const },
    ];
    const read = await readRecords(driver, { name: 'mixed', intervalMs: 1000, tags: tags.map((t) => ({ ...t, access: 'r' as const })) });
    expect(read.values).toEqual({ ok: 12.5, array: '[1.5,2.5]' });
    expect(read.errors).toEqual({ missing: TagErrorNumber.READ_FAILURE, foreign: TagErrorNumber.READ_FAILURE, mistyped: TagErrorNumber.READ_FAILURE });

    const got = new Deliveries();
    const mixed: Group = { name: 'mixed-sub', intervalMs: 100, tags: tags.map((t) => ({ ...t, access: 'r' as const })) };
    await driver.subscribe(mixed, got.to(mixed));
    await eventually(async () => got.latest().ok === 12.5 && got.all.some((d) => 'missing' in d.errors), 'values and errors', 5000);
    const errors = Object.assign({}, ...got.all.map((d) => d.errors)) as Record<string, number>;
    expect(errors).toEqual({ missing: TagErrorNumber.READ_FAILURE, foreign: TagErrorNumber.READ_FAILURE, mistyped: TagErrorNumber.READ_FAILURE });
    expect(got.latest()).toEqual({ ok: 12.5, array: '[1.5,2.5]' });
  });

  it('browses the address space: children, data types, tag types, access and children of children', async () => {
    const objects = await driver.browse('i=85');
    const plant = objects.find((n) => n.browseName === '1:Plant');
    expect(plant).toEqual({ nodeId: 'ns=1;s=Plant', browseName: '1:Plant', displayName: 'Plant', nodeClass: 'Object', hasChildren: true });
    expect(objects.find((n) => n.nodeId === 'ns=0;i=2253')).toMatchObject({ browseName: 'Server', nodeClass: 'Object', hasChildren: true });

    expect((await driver.browse('ns=1;s=Plant')).map((n) => n.displayName)).toEqual(['Static', 'Dynamic', 'Line1']);

    const statics = await driver.browse(`nsu=${peer.namespaceUri};s=Static`);
    const byName = Object.fromEntries(statics.map((n) => [n.displayName, n]));
    for (const s of STATIC_VARIABLES) {
      expect(byName[s.type], s.type).toEqual({
        nodeId: `ns=1;s=Static.${s.type}`,
        browseName: `1:${s.type}`,
        displayName: s.type,
        nodeClass: 'Variable',
        dataType: s.type,
        tagType: s.type === 'SByte' ? 'int16' : s.type === 'Byte' ? 'uint16' : s.tagType,
        readable: true,
        writable: true,
        hasChildren: false,
      });
    }
    expect(byName.ReadOnly).toMatchObject({ dataType: 'Double', tagType: 'float64', readable: true, writable: false });
    expect(byName.DoubleArray).toMatchObject({ dataType: 'Double[]', readable: true, writable: true });
    expect(byName.DoubleArray!.tagType).toBeUndefined();

    const machine = await driver.browse('ns=1;s=Line1');
    expect(machine).toEqual([{ nodeId: 'ns=1;s=Line1.Machine1', browseName: '1:Machine1', displayName: 'Machine1', nodeClass: 'Object', hasChildren: true }]);
    const parts = await driver.browse('ns=1;s=Line1.Machine1');
    expect(parts.map((n) => [n.displayName, n.dataType, n.writable])).toEqual([
      ['Speed', 'Double', false],
      ['Mode', 'Int32', true],
    ]);
    // Server-defined and abstract types are named too (ServerStatus is a structure).
    const server = await driver.browse('i=2253');
    expect(server.find((n) => n.displayName === 'ServerStatus')).toMatchObject({ nodeClass: 'Variable', dataType: 'ServerStatusDataType', hasChildren: true });
  });

  it('runs under the agent’s device runner: subscribed and polled groups publish scaled values', async () => {
    const runnerDevice = opcuaDevice({ endpointUrl: peer.endpointUrl }, [
      group('fast', 100, [{ name: 'speed', address: 'ns=1;s=Line1.Machine1.Speed', type: 'float64', scale: 0.5 }]),
      group('slow', 300, [{ name: 'mode', address: 'ns=1;s=Line1.Machine1.Mode', type: 'int32', offset: 10 }], 'poll'),
    ]);
    const published: GroupValues[] = [];
    const runnerDriver = await harness.start(runnerDevice);
    const runner = new DeviceRunner(runnerDevice, runnerDriver, (sample) => published.push(toGroupValues(sample)), harness.log);
    await runner.open();
    runner.run();
    try {
      // Polls start at once; until the session is up they publish DEVICE_NO_RESPONSE errors.
      await eventually(async () => published.some((v) => v.group === 'fast') && published.some((v) => v.group === 'slow' && 'mode' in v.values), 'both groups', 15_000);
      const speeds = published.filter((v) => v.group === 'fast' && 'speed' in v.values).map((v) => v.values.speed as number);
      for (const s of speeds) expect(s).toBeGreaterThanOrEqual(500);
      expect(published.find((v) => v.group === 'slow' && 'mode' in v.values)?.values).toEqual({ mode: 11 });
      const stats = runner.stats();
      expect(stats.link).toBe('connected');
      expect(stats.polls).toBeGreaterThanOrEqual(2);
      expect(stats.details).toMatchObject({ session: 'active', subscriptions: 1, monitoredItems: 1 });
    } finally {
      await runner.stop();
    }
  });

  it('says what is wrong with a browse it cannot do', async () => {
    const unknown = await rejection(driver.browse('ns=1;s=Nowhere'));
    expect(unknown.code).toBe(ErrorCode.NOT_FOUND);
    expect(unknown.message).toBe('the server has no node ns=1;s=Nowhere');
    const bad = await rejection(driver.browse('ns=1;x=1'));
    expect(bad.code).toBe(ErrorCode.VALIDATION_FAILED);
  });
});
