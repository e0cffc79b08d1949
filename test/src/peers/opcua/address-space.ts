import type { TagType, TagValue } from '@edgefleet/protocol';
import { ua, type AddressSpace, type Namespace, type UAVariable } from './lib.js';

/** A 64-bit integer as node-opcua carries it: [high, low] 32-bit words, two's complement. */
export function int64Words(value: bigint): [number, number] {
  const u = value < 0n ? value + 2n ** 64n : value;
  return [Number(u >> 32n), Number(u & 0xffff_ffffn)];
}

/**
 * One static variable per basic type, writable, under `Objects/Plant/Static`
 * (`ns=1;s=Static.<type>`). `initial` is the server-side value; `expected` how the agent
 * publishes it for a tag of `tagType`.
 */
export interface StaticVariable {
  type: string;
  tagType: TagType;
  initial: unknown;
  expected: TagValue;
  /** A value written by the tests, and how it reads back. */
  write: TagValue;
  readBack: TagValue;
}

export const STATIC_VARIABLES: readonly StaticVariable[] = [
  { type: 'Boolean', tagType: 'bool', initial: true, expected: true, write: false, readBack: false },
  { type: 'SByte', tagType: 'int16', initial: -12, expected: -12, write: -128, readBack: -128 },
  { type: 'Byte', tagType: 'uint16', initial: 200, expected: 200, write: 255, readBack: 255 },
  { type: 'Int16', tagType: 'int16', initial: -1234, expected: -1234, write: -32768, readBack: -32768 },
  { type: 'UInt16', tagType: 'uint16', initial: 54321, expected: 54321, write: 65535, readBack: 65535 },
  { type: 'Int32', tagType: 'int32', initial: -123456789, expected: -123456789, write: 2147483647, readBack: 2147483647 },
  { type: 'UInt32', tagType: 'uint32', initial: 4000000000, expected: 4000000000, write: 4294967295, readBack: 4294967295 },
  { type: 'Int64', tagType: 'int64', initial: int64Words(-9007199254740993n), expected: '-9007199254740993', write: '-9223372036854775808', readBack: '-9223372036854775808' },
  { type: 'UInt64', tagType: 'uint64', initial: int64Words(18446744073709551615n), expected: '18446744073709551615', write: 42, readBack: 42 },
  { type: 'Float', tagType: 'float32', initial: 3.14, expected: 3.14, write: -1.5, readBack: -1.5 },
  { type: 'Double', tagType: 'float64', initial: 2.718281828459045, expected: 2.718281828459045, write: 1e-300, readBack: 1e-300 },
  { type: 'String', tagType: 'string', initial: 'hello', expected: 'hello', write: 'grüß dich', readBack: 'grüß dich' },
  { type: 'ByteString', tagType: 'bytes', initial: Buffer.from([0, 1, 2, 255]), expected: [0, 1, 2, 255], write: [9, 8, 7], readBack: [9, 8, 7] },
  {
    type: 'DateTime',
    tagType: 'string',
    initial: new Date('2024-05-06T07:08:09.123Z'),
    expected: '2024-05-06T07:08:09.123Z',
    write: '2025-01-02T03:04:05.678Z',
    readBack: '2025-01-02T03:04:05.678Z',
  },
  {
    type: 'Guid',
    tagType: 'string',
    initial: '72962B91-FA75-4AE6-8D28-B404DC7DAF63',
    expected: '72962B91-FA75-4AE6-8D28-B404DC7DAF63',
    write: '09087E75-8E5E-499B-954F-F2A9603DB28A',
    readBack: '09087E75-8E5E-499B-954F-F2A9603DB28A',
  },
  { type: 'LocalizedText', tagType: 'string', initial: { text: 'Hallo', locale: 'de' }, expected: 'Hallo', write: 'Servus', readBack: 'Servus' },
];

export interface PeerAddressSpace {
  /** Sets a variable's value from the server side (as a device update would). */
  set(nodeId: string, dataType: number, value: unknown): void;
  get(nodeId: string): unknown;
  stop(): void;
}

interface DynamicState {
  counter: number;
  toggle: boolean;
  ticks: number;
}

/**
 * Builds the peer's address space under Objects:
 *
 * ```
 * Plant/                         ns=1;s=Plant (folder)
 *   Static/                      one writable variable per basic type, ReadOnly, DoubleArray, Deadband,
 *                                Strict (refuses every write with BadTypeMismatch)
 *   Dynamic/                     Counter (UInt32), Sine (Double), Toggle (Boolean): change every tick
 *   Line1/Machine1/              an object with Speed (Double, changes) and Mode (Int32)
 *   Load/                        `load` Double variables that all change every tick (ns=1;s=Load.<i>)
 * ```
 */
export function buildAddressSpace(addressSpace: AddressSpace, opts: { changeEveryMs: number; load: number }): PeerAddressSpace {
  const ns: Namespace = addressSpace.getOwnNamespace();
  const { DataType, Variant, StatusCodes } = ua;
  const objects = addressSpace.rootFolder.objects;
  const plant = ns.addFolder(objects, { browseName: 'Plant', nodeId: 's=Plant' });
  const staticFolder = ns.addFolder(plant, { browseName: 'Static', nodeId: 's=Static' });
  const dynamicFolder = ns.addFolder(plant, { browseName: 'Dynamic', nodeId: 's=Dynamic' });
  const line = ns.addFolder(plant, { browseName: 'Line1', nodeId: 's=Line1' });
  const variables = new Map<string, UAVariable>();

  const add = (parent: Parameters<Namespace['addVariable']>[0]['organizedBy'], id: string, dataType: string, value: unknown, writable = true, valueRank = -1): UAVariable => {
    const builtin = DataType[dataType as keyof typeof DataType] as number;
    const v = ns.addVariable({
      organizedBy: parent,
      browseName: id.split('.').pop()!,
      nodeId: `s=${id}`,
      dataType,
      valueRank,
      ...(valueRank >= 1 ? { arrayDimensions: [0] } : {}),
      accessLevel: writable ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
      userAccessLevel: writable ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
      value: new Variant({ dataType: builtin, arrayType: valueRank >= 1 ? ua.VariantArrayType.Array : ua.VariantArrayType.Scalar, value }),
    });
    variables.set(`ns=1;s=${id}`, v);
    return v;
  };

  for (const s of STATIC_VARIABLES) add(staticFolder, `Static.${s.type}`, s.type, s.initial);
  add(staticFolder, 'Static.ReadOnly', 'Double', 12.5, false);
  add(staticFolder, 'Static.DoubleArray', 'Double', [1.5, 2.5], true, 1);
  add(staticFolder, 'Static.Deadband', 'Double', 0);
  // Stands for a device behind the server that refuses every write with the server's own error.
  ns.addVariable({
    organizedBy: staticFolder,
    browseName: 'Strict',
    nodeId: 's=Static.Strict',
    dataType: 'Double',
    accessLevel: 'CurrentRead | CurrentWrite',
    userAccessLevel: 'CurrentRead | CurrentWrite',
    minimumSamplingInterval: 100,
    value: { get: () => new Variant({ dataType: DataType.Double, value: 1 }), set: () => StatusCodes.BadTypeMismatch },
  });

  const counter = add(dynamicFolder, 'Dynamic.Counter', 'UInt32', 0, false);
  const sine = add(dynamicFolder, 'Dynamic.Sine', 'Double', 0, false);
  const toggle = add(dynamicFolder, 'Dynamic.Toggle', 'Boolean', false, false);

  const machine = ns.addObject({ organizedBy: line, browseName: 'Machine1', nodeId: 's=Line1.Machine1' });
  const speed = ns.addVariable({
    componentOf: machine,
    browseName: 'Speed',
    nodeId: 's=Line1.Machine1.Speed',
    dataType: 'Double',
    accessLevel: 'CurrentRead',
    userAccessLevel: 'CurrentRead',
    value: new Variant({ dataType: DataType.Double, value: 0 }),
  });
  variables.set('ns=1;s=Line1.Machine1.Speed', speed);
  ns.addVariable({
    componentOf: machine,
    browseName: 'Mode',
    nodeId: 's=Line1.Machine1.Mode',
    dataType: 'Int32',
    accessLevel: 'CurrentRead | CurrentWrite',
    userAccessLevel: 'CurrentRead | CurrentWrite',
    value: new Variant({ dataType: DataType.Int32, value: 1 }),
  });

  const load: UAVariable[] = [];
  if (opts.load > 0) {
    const loadFolder = ns.addFolder(plant, { browseName: 'Load', nodeId: 's=Load' });
    for (let i = 0; i < opts.load; i++) load.push(add(loadFolder, `Load.${i}`, 'Double', 0, false));
  }

  const state: DynamicState = { counter: 0, toggle: false, ticks: 0 };
  const timer = setInterval(() => {
    const now = new Date();
    state.ticks++;
    state.counter++;
    state.toggle = !state.toggle;
    counter.setValueFromSource(new Variant({ dataType: DataType.UInt32, value: state.counter }), StatusCodes.Good, now);
    sine.setValueFromSource(new Variant({ dataType: DataType.Double, value: Math.sin(state.ticks / 10) }), StatusCodes.Good, now);
    toggle.setValueFromSource(new Variant({ dataType: DataType.Boolean, value: state.toggle }), StatusCodes.Good, now);
    speed.setValueFromSource(new Variant({ dataType: DataType.Double, value: 1000 + (state.ticks % 100) }), StatusCodes.Good, now);
    for (let i = 0; i < load.length; i++) load[i]!.setValueFromSource(new Variant({ dataType: DataType.Double, value: state.ticks + i }), StatusCodes.Good, now);
  }, opts.changeEveryMs);

  return {
    set(nodeId, dataType, value) {
      const v = variables.get(nodeId);
      if (!v) throw new Error(`the test peer has no variable ${nodeId}`);
      v.setValueFromSource(new Variant({ dataType, value }), StatusCodes.Good, new Date());
    },
    get(nodeId) {
      const v = variables.get(nodeId);
      if (!v) throw new Error(`the test peer has no variable ${nodeId}`);
      return v.readValue().value.value as unknown;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
