import { describe, expect, it } from 'vitest';
import type { TagType, TagValue } from '@edgefleet/protocol';
import tahu from 'sparkplug-payload/lib/sparkplugbpayload.js';
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload.js';
import proto from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import { SparkplugSession, type SparkplugMessage, type SparkplugMetricDefinition } from './session.js';

const T0 = 1_700_000_000_000;
const { Payload } = proto.org.eclipse.tahu.protobuf;

function clock() {
  let t = T0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function session(options: { bdSeq?: number } = {}) {
  const c = clock();
  const s = new SparkplugSession({ groupId: 'Plant A', edgeNodeId: 'edge-1', now: c.now, ...options });
  return { s, clock: c };
}

const PLC: SparkplugMetricDefinition[] = [
  { name: 'fast/temp', type: 'float64', writable: false },
  { name: 'fast/setpoint', type: 'int32', writable: true },
  { name: 'fast/run', type: 'bool', writable: true },
];

const decode = (m: SparkplugMessage): UPayload => tahu.decodePayload(m.payload);
const metricsOf = (m: SparkplugMessage): UMetric[] => decode(m).metrics ?? [];

/** uint64 fields decode as Long (or number); compare them as bigint. */
function big(v: unknown): bigint {
  if (typeof v === 'number') return BigInt(v);
  if (v !== null && typeof v === 'object' && 'toString' in v) return BigInt(String(v));
  throw new Error(`not an integer: ${String(v)}`);
}

const seqOf = (m: SparkplugMessage): number | undefined => {
  const p = decode(m);
  return p.seq === undefined || p.seq === null ? undefined : Number(big(p.seq));
};

function bdSeqOf(m: SparkplugMessage): bigint {
  const metric = metricsOf(m).find((x) => x.name === 'bdSeq');
  if (!metric) throw new Error('no bdSeq');
  expect(metric.type).toBe('Int64');
  return big(metric.value);
}

const kind = (m: SparkplugMessage): string => m.topic.split('/')[2] ?? '';

function connected(options: { bdSeq?: number } = {}) {
  const { s, clock: c } = session(options);
  s.defineDevice('plc1', PLC);
  s.willMessage();
  s.onConnected();
  return { s, clock: c };
}

describe('SparkplugSession: will, births and bdSeq', () => {
  it('builds the NDEATH will: QoS 1, not retained, bdSeq only, no seq', () => {
    const { s } = session();
    const will = s.willMessage();
    expect(will).toMatchObject({ topic: 'spBv1.0/Plant A/NDEATH/edge-1', qos: 1, retain: false });
    expect(seqOf(will)).toBeUndefined();
    expect(metricsOf(will).map((m) => m.name)).toEqual(['bdSeq']);
    expect(bdSeqOf(will)).toBe(0n);
  });

  it('births with seq 0, the bdSeq of the will of the same connection and Node Control/Rebirth false', () => {
    const { s } = session({ bdSeq: 7 });
    s.defineDevice('plc1', PLC);
    s.deviceOnline('plc1');
    const will = s.willMessage();
    const out = s.onConnected();
    expect(out.map((m) => m.topic)).toEqual(['spBv1.0/Plant A/NBIRTH/edge-1', 'spBv1.0/Plant A/DBIRTH/edge-1/plc1']);
    expect(out.every((m) => m.qos === 0 && !m.retain)).toBe(true);
    const [nbirth] = out;
    expect(seqOf(nbirth!)).toBe(0);
    expect(bdSeqOf(nbirth!)).toBe(bdSeqOf(will));
    expect(bdSeqOf(nbirth!)).toBe(7n);
    const rebirth = metricsOf(nbirth!).find((m) => m.name === 'Node Control/Rebirth');
    expect(rebirth).toMatchObject({ type: 'Boolean', value: false });
    expect(rebirth?.alias).toBeUndefined();
    expect(decode(nbirth!).timestamp).toBeDefined();
    expect(seqOf(out[1]!)).toBe(1);
  });

  it('gives each new connection bdSeq + 1, wrapping 255 to 0, and the NBIRTH always matches its will', () => {
    const { s } = session({ bdSeq: 254 });
    const seen: Array<[bigint, bigint]> = [];
    for (let i = 0; i < 3; i++) {
      const will = s.willMessage();
      const [nbirth] = s.onConnected();
      seen.push([bdSeqOf(will), bdSeqOf(nbirth!)]);
      s.onDisconnected();
    }
    expect(seen).toEqual([
      [254n, 254n],
      [255n, 255n],
      [0n, 0n],
    ]);
  });

  it('reuses the bdSeq for a CONNECT that failed, and births with the registered will if it was not renewed', () => {
    const { s } = session();
    expect(bdSeqOf(s.willMessage())).toBe(0n);
    expect(bdSeqOf(s.willMessage())).toBe(0n); // the first CONNECT failed: no session, same bdSeq
    expect(bdSeqOf(s.onConnected()[0]!)).toBe(0n);
    s.onDisconnected();
    // The client reconnected with the will it already had (bdSeq 0): the birth must match it.
    expect(bdSeqOf(s.onConnected()[0]!)).toBe(0n);
    s.onDisconnected();
    expect(bdSeqOf(s.willMessage())).toBe(1n);
    expect(bdSeqOf(s.onConnected()[0]!)).toBe(1n);
  });

  it('publishes the session NDEATH before a deliberate disconnect, even after the next will was prepared', () => {
    const { s } = session({ bdSeq: 3 });
    expect(s.deathMessage()).toBeNull();
    s.willMessage();
    s.onConnected();
    const death = s.deathMessage();
    expect(death).toMatchObject({ topic: 'spBv1.0/Plant A/NDEATH/edge-1', qos: 1, retain: false });
    expect(bdSeqOf(death!)).toBe(3n);
    expect(seqOf(death!)).toBeUndefined();
    s.onDisconnected();
    expect(s.deathMessage()).toBeNull();
  });

  it('rejects IDs that cannot be topic levels and a bdSeq outside 0…255', () => {
    expect(() => new SparkplugSession({ groupId: 'a/b', edgeNodeId: 'n' })).toThrow(RangeError);
    expect(() => new SparkplugSession({ groupId: 'g', edgeNodeId: 'n+' })).toThrow(RangeError);
    expect(() => new SparkplugSession({ groupId: 'g', edgeNodeId: 'n', bdSeq: 256 })).toThrow(RangeError);
    expect(() => new SparkplugSession({ groupId: 'g', edgeNodeId: 'n', nodeMetrics: [{ name: 'bdSeq', type: 'int64' }] })).toThrow(RangeError);
    const { s } = session();
    expect(() => s.defineDevice('a#b', PLC)).toThrow(RangeError);
  });
});

describe('SparkplugSession: seq', () => {
  it('numbers every message after the NBIRTH, wrapping 255 to 0', () => {
    const { s } = connected();
    const seqs: Array<number | undefined> = [];
    for (let i = 0; i < 300; i++) {
      for (const m of s.data('plc1', [{ metric: 0, value: i, timestamp: T0 + i }])) seqs.push(seqOf(m));
    }
    // The first reading births the device (seq 1), then DDATA follow.
    expect(seqs.length).toBe(300);
    expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => (i + 1) % 256));
    expect(seqs).toContain(255);
    expect(seqs[255]).toBe(0);
  });

  it('restarts from 0 at each birth sequence and counts DDEATH and NDATA', () => {
    const { s } = session();
    const node = new SparkplugSession({ groupId: 'g', edgeNodeId: 'n', nodeMetrics: [{ name: 'Agent/CPU', type: 'float64' }] });
    node.willMessage();
    expect(node.onConnected().map(seqOf)).toEqual([0]);
    expect(node.nodeData([{ metric: 'Agent/CPU', value: 0.5, timestamp: T0 }]).map(seqOf)).toEqual([1]);
    s.defineDevice('plc1', PLC);
    s.willMessage();
    s.onConnected();
    s.data('plc1', [{ metric: 0, value: 1, timestamp: T0 }]);
    expect(s.deviceOffline('plc1').map(seqOf)).toEqual([2]);
    s.onDisconnected();
    s.willMessage();
    expect(s.onConnected().map(seqOf)).toEqual([0]);
  });
});

describe('SparkplugSession: devices', () => {
  it('sends a DBIRTH before the first DDATA of a device (births before data)', () => {
    const { s } = connected();
    const first = s.data('plc1', [{ metric: 'fast/temp', value: 21.5, timestamp: T0 + 5 }]);
    expect(first.map(kind)).toEqual(['DBIRTH']);
    const birth = metricsOf(first[0]!);
    expect(birth.map((m) => m.name)).toEqual(['fast/temp', 'fast/setpoint', 'fast/run']);
    expect(birth[0]).toMatchObject({ type: 'Double', value: 21.5 });
    expect(big(birth[0]!.timestamp)).toBe(BigInt(T0 + 5));
    // Metrics never read yet are born without a value.
    expect(birth[1]).toMatchObject({ type: 'Int32', value: null });
    expect(big(birth[1]!.timestamp)).toBe(BigInt(T0));
    const next = s.data('plc1', [{ metric: 'fast/temp', value: 22, timestamp: T0 + 10 }]);
    expect(next.map(kind)).toEqual(['DDATA']);
  });

  it('gives aliases unique across the node, the same for the same definitions, and DDATA carries aliases only', () => {
    const make = () => {
      const s = new SparkplugSession({ groupId: 'g', edgeNodeId: 'n', nodeMetrics: [{ name: 'Agent/CPU', type: 'float64' }] });
      s.defineDevice('plc1', PLC);
      s.defineDevice('plc2', PLC);
      s.deviceOnline('plc1');
      s.deviceOnline('plc2');
      s.willMessage();
      return { s, births: s.onConnected() };
    };
    const { s, births } = make();
    const aliasesOf = (m: SparkplugMessage) => metricsOf(m).filter((x) => x.alias !== undefined).map((x) => Number(big(x.alias)));
    const all = births.flatMap(aliasesOf);
    expect(all.length).toBe(7);
    expect(new Set(all).size).toBe(7);
    expect(births.map(aliasesOf)).toEqual(make().births.map(aliasesOf));
    // Every birth metric but the Sparkplug ones has both name and alias.
    for (const m of births.slice(1).flatMap(metricsOf)) expect(m.name && m.alias !== undefined).toBeTruthy();

    const [ddata] = s.data('plc2', [
      { metric: 'fast/setpoint', value: 12, timestamp: T0 + 2 },
      { metric: 'fast/temp', value: 20.25, timestamp: T0 + 1 },
    ]);
    expect(kind(ddata!)).toBe('DDATA');
    expect(ddata!.topic).toBe('spBv1.0/g/DDATA/n/plc2');
    const metrics = metricsOf(ddata!);
    expect(metrics.every((m) => m.name === undefined)).toBe(true);
    const birthAliases = new Map(metricsOf(births[2]!).map((m) => [m.name, Number(big(m.alias))]));
    // In time order, each with its own timestamp.
    expect(metrics.map((m) => [Number(big(m.alias)), Number(big(m.timestamp)), m.value])).toEqual([
      [birthAliases.get('fast/temp'), T0 + 1, 20.25],
      [birthAliases.get('fast/setpoint'), T0 + 2, 12],
    ]);
  });

  it('keeps aliases across a redefinition and births the device again', () => {
    const { s } = connected();
    const [birth] = s.data('plc1', [{ metric: 'fast/temp', value: 1, timestamp: T0 }]);
    const before = new Map(metricsOf(birth!).map((m) => [m.name, Number(big(m.alias))]));
    const out = s.defineDevice('plc1', [...PLC, { name: 'slow/count', type: 'uint16', writable: false }]);
    expect(out.map(kind)).toEqual(['DBIRTH']);
    const after = new Map(metricsOf(out[0]!).map((m) => [m.name, Number(big(m.alias))]));
    for (const [name, alias] of before) expect(after.get(name)).toBe(alias);
    expect(after.get('slow/count')).toBe(Math.max(...before.values()) + 1);
    expect(metricsOf(out[0]!).find((m) => m.name === 'fast/temp')?.value).toBe(1);
  });

  it('sends DDEATH when a device goes offline and DBIRTH when it comes back', () => {
    const { s } = connected();
    s.data('plc1', [{ metric: 'fast/temp', value: 1, timestamp: T0 }]);
    const off = s.deviceOffline('plc1');
    expect(off.map((m) => m.topic)).toEqual(['spBv1.0/Plant A/DDEATH/edge-1/plc1']);
    expect(seqOf(off[0]!)).toBeDefined();
    expect(s.deviceOffline('plc1')).toEqual([]);
    const on = s.deviceOnline('plc1', [{ metric: 'fast/run', value: true, timestamp: T0 + 9 }]);
    expect(on.map(kind)).toEqual(['DBIRTH']);
    const values = Object.fromEntries(metricsOf(on[0]!).map((m) => [m.name, m.value]));
    // The value read before going offline is not reported as current.
    expect(values).toEqual({ 'fast/temp': null, 'fast/setpoint': null, 'fast/run': true });
    expect(s.data('plc1', [{ metric: 0, value: 2, timestamp: T0 + 10 }]).map(kind)).toEqual(['DDATA']);
  });

  it('publishes nothing while disconnected and births with the latest values on connect', () => {
    const { s } = session();
    s.defineDevice('plc1', PLC);
    expect(s.data('plc1', [{ metric: 'fast/temp', value: 3.5, timestamp: T0 }])).toEqual([]);
    expect(s.deviceOffline('plc1')).toEqual([]);
    s.deviceOnline('plc1', [{ metric: 'fast/setpoint', value: 4, timestamp: T0 + 1 }]);
    s.willMessage();
    const out = s.onConnected();
    expect(out.map(kind)).toEqual(['NBIRTH', 'DBIRTH']);
    expect(metricsOf(out[1]!).find((m) => m.name === 'fast/setpoint')?.value).toBe(4);
    s.onDisconnected();
    expect(s.data('plc1', [{ metric: 0, value: 1, timestamp: T0 }])).toEqual([]);
    expect(s.rebirth()).toEqual([]);
  });

  it('removes a device with a DDEATH', () => {
    const { s } = connected();
    s.deviceOnline('plc1');
    expect(s.removeDevice('plc1').map(kind)).toEqual(['DDEATH']);
    expect(() => s.data('plc1', [])).toThrow(RangeError);
  });

  it('publishes an error as a metric with is_null set and no value', () => {
    const { s } = connected();
    s.deviceOnline('plc1', [{ metric: 'fast/temp', error: 3022, timestamp: T0 }]);
    const [ddata] = s.data('plc1', [{ metric: 'fast/setpoint', error: 3027, timestamp: T0 + 1 }]);
    const [metric] = metricsOf(ddata!);
    expect(metric).toMatchObject({ type: 'Int32', value: null });
    const raw = Payload.decode(ddata!.payload).metrics[0]!;
    expect(raw.isNull).toBe(true);
    expect(Object.hasOwn(raw, 'intValue')).toBe(false);
  });

  it('publishes a value that does not fit its datatype as null and counts it', () => {
    const { s } = connected();
    s.deviceOnline('plc1');
    const [ddata] = s.data('plc1', [{ metric: 'fast/setpoint', value: 'high', timestamp: T0 }]);
    expect(metricsOf(ddata!)[0]?.value).toBeNull();
    expect(s.rejectedValues).toBe(1);
  });

  it('throws for metrics that were never defined, without changing anything', () => {
    const { s } = connected();
    expect(() => s.data('nope', [])).toThrow(/not defined/);
    expect(() => s.data('plc1', [{ metric: 'fast/temp', value: 1, timestamp: T0 }, { metric: 'ghost', value: 1, timestamp: T0 }])).toThrow(/no metric 'ghost'/);
    expect(() => s.data('plc1', [{ metric: 9, value: 1, timestamp: T0 }])).toThrow(/#9/);
    // The device was not born by the refused call.
    expect(s.data('plc1', [{ metric: 1, value: 1, timestamp: T0 }]).map(kind)).toEqual(['DBIRTH']);
    expect(metricsOf(s.rebirth()[1]!).find((m) => m.name === 'fast/temp')?.value).toBeNull();
  });
});

describe('SparkplugSession: datatypes', () => {
  const cases: Array<[TagType, TagValue, string, (v: unknown) => unknown]> = [
    ['bool', true, 'Boolean', (v) => v],
    ['bit', 1, 'Boolean', (v) => v],
    ['int16', -32768, 'Int16', (v) => v],
    ['uint16', 65535, 'UInt16', (v) => v],
    ['int32', -2147483648, 'Int32', (v) => v],
    ['uint32', 4294967295, 'UInt32', (v) => big(v)],
    ['int64', -5, 'Int64', (v) => BigInt.asIntN(64, big(v))],
    ['int64', '-9223372036854775808', 'Int64', (v) => BigInt.asIntN(64, big(v))],
    ['int64', '9007199254740993', 'Int64', (v) => BigInt.asIntN(64, big(v))],
    ['uint64', '18446744073709551615', 'UInt64', (v) => big(v)],
    ['uint64', 42, 'UInt64', (v) => big(v)],
    ['float32', 1.25, 'Float', (v) => v],
    ['float64', Math.PI, 'Double', (v) => v],
    ['string', 'héllo', 'String', (v) => v],
    ['bytes', [0, 1, 254, 255], 'Bytes', (v) => Array.from(v as Uint8Array)],
  ];
  const expected = (value: TagValue): unknown => {
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
    return value;
  };

  it.each(cases)('%s %j is born and sent as %s', (type, value, datatype, read) => {
    const { s } = session();
    s.defineDevice('d', [{ name: 'v', type, writable: false }]);
    s.willMessage();
    s.onConnected();
    const [birth] = s.deviceOnline('d', [{ metric: 'v', value, timestamp: T0 }]);
    const [ddata] = s.data('d', [{ metric: 'v', value, timestamp: T0 + 1 }]);
    for (const m of [birth!, ddata!]) {
      const [metric] = metricsOf(m);
      expect(metric?.type).toBe(datatype);
      const got = read(metric?.value);
      if (type === 'bit') expect(got).toBe(true);
      else if (type === 'int64' || type === 'uint64') expect(got).toBe(BigInt(expected(value) as bigint | number));
      else if (type === 'uint32') expect(got).toBe(BigInt(value as number));
      else expect(got).toEqual(value);
    }
    expect(s.rejectedValues).toBe(0);
  });

  it('rounds a float32 to single precision', () => {
    const { s } = connected();
    s.defineDevice('f', [{ name: 'x', type: 'float32', writable: false }]);
    const [birth] = s.deviceOnline('f', [{ metric: 'x', value: 0.1, timestamp: T0 }]);
    expect(metricsOf(birth!)[0]?.value).toBe(Math.fround(0.1));
  });
});

describe('SparkplugSession: commands', () => {
  function cmd(metrics: UMetric[]): Uint8Array {
    return tahu.encodePayload({ timestamp: T0, metrics });
  }
  const NCMD = 'spBv1.0/Plant A/NCMD/edge-1';
  const DCMD = 'spBv1.0/Plant A/DCMD/edge-1/plc1';

  /** A device's aliases, as its DBIRTH tells a host. */
  function aliases(s: SparkplugSession, device = 'plc1'): Map<string, number> {
    if (!s.connected) {
      s.willMessage();
      s.onConnected();
    }
    const [dbirth] = s.deviceOnline(device);
    return new Map(metricsOf(dbirth!).map((m) => [m.name ?? '', Number(big(m.alias))]));
  }

  it('turns an NCMD Node Control/Rebirth = true into a rebirth; rebirth keeps bdSeq and restarts seq', () => {
    const { s } = connected({ bdSeq: 9 });
    s.deviceOnline('plc1');
    s.data('plc1', [{ metric: 0, value: 1, timestamp: T0 }]);
    const outcome = s.handleCommand(NCMD, cmd([{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }]));
    expect(outcome).toEqual({ commands: [{ kind: 'rebirth' }], errors: [] });
    const births = s.rebirth();
    expect(births.map(kind)).toEqual(['NBIRTH', 'DBIRTH']);
    expect(births.map(seqOf)).toEqual([0, 1]);
    expect(bdSeqOf(births[0]!)).toBe(9n);
    // The next will is still the next connection's.
    expect(bdSeqOf(s.willMessage())).toBe(10n);
  });

  it('refuses other node commands', () => {
    const { s } = connected();
    const outcome = s.handleCommand(
      NCMD,
      cmd([
        { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
        { name: 'Node Control/Reboot', type: 'Boolean', value: true },
        { name: 'Other', type: 'Int32', value: 1 },
      ]),
    );
    expect(outcome.commands).toEqual([]);
    expect(outcome.errors).toEqual([
      "NCMD 'Node Control/Rebirth' must be the Boolean true",
      "NCMD 'Node Control/Reboot' is not supported; only 'Node Control/Rebirth' is",
      "NCMD: unknown metric 'Other' of the edge node",
    ]);
  });

  it('turns a DCMD into writes by name and by alias', () => {
    const { s } = connected();
    s.deviceOnline('plc1');
    const alias = aliases(s);
    const outcome = s.handleCommand(
      DCMD,
      cmd([
        { name: 'fast/setpoint', type: 'Int32', value: -12 },
        { alias: alias.get('fast/run'), type: 'Boolean', value: true },
      ]),
    );
    expect(outcome).toEqual({
      commands: [
        { kind: 'write', device: 'plc1', tag: 'fast/setpoint', value: -12 },
        { kind: 'write', device: 'plc1', tag: 'fast/run', value: true },
      ],
      errors: [],
    });
  });

  it('converts 64-bit values to numbers when exact and decimal strings beyond 2^53', () => {
    const { s } = session();
    s.defineDevice('plc1', [
      { name: 'i64', type: 'int64', writable: true },
      { name: 'u64', type: 'uint64', writable: true },
      { name: 'bit', type: 'bit', writable: true },
      { name: 'raw', type: 'bytes', writable: true },
      { name: 'f', type: 'float64', writable: true },
      { name: 's', type: 'string', writable: true },
    ]);
    const outcome = s.handleCommand(
      DCMD,
      cmd([
        { name: 'i64', type: 'Int64', value: '-9223372036854775807' },
        { name: 'i64', type: 'Int64', value: -3 },
        { name: 'u64', type: 'UInt64', value: '18446744073709551615' },
        { name: 'u64', type: 'UInt64', value: 7 },
        { name: 'bit', type: 'Boolean', value: true },
        { name: 'raw', type: 'Bytes', value: new Uint8Array([9, 8]) },
        { name: 'f', type: 'Double', value: 2.5 },
        { name: 's', type: 'String', value: 'on' },
      ]),
    );
    expect(outcome.errors).toEqual([]);
    expect(outcome.commands.map((c) => (c.kind === 'write' ? c.value : null))).toEqual(['-9223372036854775807', -3, '18446744073709551615', 7, 1, [9, 8], 2.5, 'on']);
  });

  it('reads a value from the field the host set, without a datatype, as the spec advises for commands', () => {
    const { s } = session();
    s.defineDevice('plc1', [
      { name: 'u32', type: 'uint32', writable: true },
      { name: 'i16', type: 'int16', writable: true },
      { name: 'i64', type: 'int64', writable: true },
    ]);
    const a = aliases(s);
    const payload = Payload.encode({
      timestamp: T0,
      metrics: [
        { alias: a.get('u32'), intValue: 4_000_000_000 },
        { alias: a.get('i16'), intValue: 0xfff9 },
        { alias: a.get('i64'), longValue: -2 },
      ],
    }).finish();
    const outcome = s.handleCommand(DCMD, payload);
    expect(outcome.errors).toEqual([]);
    expect(outcome.commands.map((c) => (c.kind === 'write' ? [c.tag, c.value] : null))).toEqual([
      ['u32', 4_000_000_000],
      ['i16', -7],
      ['i64', -2],
    ]);
  });

  it('returns errors for malformed, misaddressed and unacceptable commands, never throwing', () => {
    const { s } = connected();
    s.defineDevice('plc2', [{ name: 'x', type: 'int16', writable: true }]);
    const a = aliases(s);
    const x2 = aliases(s, 'plc2').get('x');
    expect(s.handleCommand(DCMD, new Uint8Array([0xff, 0xff, 0xff]))).toMatchObject({ commands: [], errors: [expect.stringMatching(/is not a Sparkplug B payload/)] });
    expect(s.handleCommand('spBv1.0/Plant A/DCMD/edge-1/ghost', cmd([{ name: 'x', type: 'Int16', value: 1 }])).errors).toEqual(["DCMD for unknown device 'ghost'"]);
    expect(s.handleCommand('spBv1.0/Plant A/DCMD/edge-2/plc1', cmd([])).errors).toEqual(["'spBv1.0/Plant A/DCMD/edge-2/plc1' is addressed to another edge node"]);
    expect(s.handleCommand('spBv1.0/Plant A/DDATA/edge-1/plc1', cmd([])).errors).toEqual(["'spBv1.0/Plant A/DDATA/edge-1/plc1' is not a Sparkplug NCMD or DCMD topic"]);
    expect(s.handleCommand(DCMD, cmd([])).errors).toEqual([`DCMD on '${DCMD}' carries no metrics`]);
    const outcome = s.handleCommand(
      DCMD,
      cmd([
        { name: 'ghost', type: 'Int32', value: 1 },
        { alias: 999, type: 'Int32', value: 1 },
        { alias: x2, type: 'Int16', value: 1 },
        { alias: a.get('fast/setpoint'), name: 'fast/run', type: 'Int32', value: 1 },
        { name: 'fast/temp', type: 'Double', value: 1 },
        { name: 'fast/setpoint', type: 'Double', value: 1.5 },
        { name: 'fast/setpoint', type: 'Int64', value: '3000000000' },
        { name: 'fast/run', type: 'String', value: 'yes' },
        { name: 'fast/setpoint', type: 'Int32', value: null },
        { name: 'fast/setpoint', type: 'Int32', value: 5 },
      ]),
    );
    expect(outcome.commands).toEqual([{ kind: 'write', device: 'plc1', tag: 'fast/setpoint', value: 5 }]);
    expect(outcome.errors).toEqual([
      "DCMD: unknown metric 'ghost' of device 'plc1'",
      'DCMD: unknown alias 999',
      `DCMD: alias ${x2} is not a metric of device 'plc1'`,
      `DCMD: alias ${a.get('fast/setpoint')} is 'fast/setpoint', not 'fast/run'`,
      "DCMD: metric 'fast/temp' of device 'plc1' is read-only",
      "DCMD: metric 'fast/setpoint' of device 'plc1' is int32: expected a whole number",
      "DCMD: metric 'fast/setpoint' of device 'plc1' is int32: 3000000000 is outside -2147483648…2147483647",
      "DCMD: metric 'fast/run' of device 'plc1' is bool: expected a Boolean (or 0/1)",
      "DCMD: metric 'fast/setpoint' of device 'plc1' is null (is_null set): there is no value to write",
    ]);
  });
});

describe('SparkplugSession: current values, buffered data and history', () => {
  const isHistorical = (m: SparkplugMessage): Array<boolean | undefined> => Payload.decode(m.payload).metrics.map((x) => (Object.hasOwn(x, 'isHistorical') ? x.isHistorical === true : undefined));

  it('keeps observed readings for the next birth without publishing, and never lets an older reading replace a newer one', () => {
    const { s } = session();
    s.defineDevice('plc1', PLC);
    s.observe('plc1', [{ metric: 'fast/temp', value: 30, timestamp: T0 + 10 }]);
    s.observe('plc1', [{ metric: 'fast/temp', value: 20, timestamp: T0 + 5 }]);
    s.willMessage();
    const births = s.onConnected();
    // Observed readings make the device online: it is born with the connection.
    expect(births.map(kind)).toEqual(['NBIRTH', 'DBIRTH']);
    const temp = metricsOf(births[1]!).find((m) => m.name === 'fast/temp');
    expect(temp?.value).toBe(30);
    expect(big(temp?.timestamp)).toBe(BigInt(T0 + 10));
    // observe() numbers nothing: the next message follows the births.
    s.observe('plc1', [{ metric: 'fast/temp', value: 31, timestamp: T0 + 20 }]);
    expect(s.data('plc1', [{ metric: 'fast/temp', value: 31, timestamp: T0 + 20 }]).map(seqOf)).toEqual([2]);
  });

  it('publishes buffered readings older than the births as historical, without touching the values the births carried', () => {
    const { s, clock: c } = session();
    s.defineDevice('plc1', PLC);
    // The outage: readings kept as current, the same readings waiting in the buffer.
    const outage = [1, 2, 3].map((n) => ({ metric: 'fast/temp', value: n, timestamp: T0 + n }));
    for (const r of outage) s.observe('plc1', [r]);
    c.advance(100);
    s.willMessage();
    const births = s.onConnected();
    expect(metricsOf(births[1]!).find((m) => m.name === 'fast/temp')?.value).toBe(3);
    const drained = outage.flatMap((r) => s.forwardedData('plc1', [r]));
    // The last reading is the one the birth carried: not published twice.
    expect(drained.map(kind)).toEqual(['DDATA', 'DDATA']);
    expect(drained.map(seqOf)).toEqual([2, 3]);
    expect(drained.map((m) => metricsOf(m)[0]?.value)).toEqual([1, 2]);
    expect(drained.map(isHistorical)).toEqual([[true], [true]]);
    // The next birth still carries the newest value, not the last one drained.
    s.observe('plc1', [{ metric: 'fast/temp', value: 9, timestamp: T0 + 200 }]);
    s.forwardedData('plc1', [{ metric: 'fast/temp', value: 2, timestamp: T0 + 2 }]);
    expect(metricsOf(s.rebirth()[1]!).find((m) => m.name === 'fast/temp')?.value).toBe(9);
  });

  it('publishes buffered readings newer than what the host holds as current data, and keeps them', () => {
    const { s } = connected();
    s.deviceOnline('plc1', [{ metric: 'fast/temp', value: 1, timestamp: T0 }]);
    // Read after the birth, buffered behind a backlog: news to the host, not history.
    const [ddata] = s.forwardedData('plc1', [
      { metric: 'fast/temp', value: 0.5, timestamp: T0 - 1 },
      { metric: 'fast/setpoint', value: 7, timestamp: T0 + 5 },
    ]);
    expect(metricsOf(ddata!).map((m) => m.value)).toEqual([0.5, 7]);
    expect(isHistorical(ddata!)).toEqual([true, undefined]);
    expect(metricsOf(s.rebirth()[1]!).map((m) => m.value)).toEqual([1, 7, null]);
    // A DDATA the host got moves what it holds as current: an older buffered reading is history.
    s.data('plc1', [{ metric: 'fast/run', value: true, timestamp: T0 + 50 }]);
    const [late] = s.forwardedData('plc1', [{ metric: 'fast/run', value: false, timestamp: T0 + 40 }]);
    expect(isHistorical(late!)).toEqual([true]);
  });

  it('leaves out a reading the host already holds: one sent again after its send seemed to fail', () => {
    const { s } = connected();
    s.deviceOnline('plc1');
    const reading = { metric: 'fast/temp', value: 7, timestamp: T0 + 3 };
    expect(s.forwardedData('plc1', [reading]).map(kind)).toEqual(['DDATA']);
    expect(s.forwardedData('plc1', [reading])).toEqual([]);
  });

  it('takes a buffered reading of a metric born without a value as news, unless it predates the device going offline', () => {
    const { s, clock: c } = connected();
    c.advance(1_000);
    // Born with no values (a device that just answered): any reading is news, whatever its time.
    s.deviceOnline('plc1');
    const [first] = s.forwardedData('plc1', [{ metric: 'fast/temp', value: 1, timestamp: T0 }]);
    expect(isHistorical(first!)).toEqual([undefined]);
    // It went away and came back: what it read before it went away is stale.
    s.deviceOffline('plc1');
    c.advance(1_000);
    s.deviceOnline('plc1');
    const [stale] = s.forwardedData('plc1', [{ metric: 'fast/setpoint', value: 3, timestamp: T0 + 500 }]);
    expect(isHistorical(stale!)).toEqual([true]);
    const [fresh] = s.forwardedData('plc1', [{ metric: 'fast/setpoint', value: 4, timestamp: T0 + 2_000 }]);
    expect(isHistorical(fresh!)).toEqual([undefined]);
  });

  it('births an online device before its buffered readings, and drops (counting) those of a device that is offline', () => {
    const { s } = session();
    s.defineDevice('plc1', PLC);
    s.defineDevice('plc2', PLC);
    s.willMessage();
    s.onConnected();
    s.observe('plc1', [{ metric: 'fast/temp', value: 4, timestamp: T0 }]);
    s.observe('plc1', [{ metric: 'fast/temp', value: 5, timestamp: T0 + 1 }]);
    const out = s.forwardedData('plc1', [
      { metric: 'fast/temp', value: 4, timestamp: T0 },
      { metric: 'fast/temp', value: 5, timestamp: T0 + 1 },
    ]);
    expect(out.map(kind)).toEqual(['DBIRTH', 'DDATA']);
    expect(metricsOf(out[0]!).find((m) => m.name === 'fast/temp')?.value).toBe(5);
    expect(metricsOf(out[1]!).map((m) => m.value)).toEqual([4]);
    expect(isHistorical(out[1]!)).toEqual([true]);
    expect(s.forwardedData('plc2', [{ metric: 'fast/temp', value: 5, timestamp: T0 }])).toEqual([]);
    expect(s.droppedReadings).toBe(1);
    s.onDisconnected();
    expect(s.forwardedData('plc1', [{ metric: 'fast/temp', value: 5, timestamp: T0 }])).toEqual([]);
    expect(s.droppedReadings).toBe(1);
  });

  it('defines devices as a whole: unchanged is a no-op, a changed born device rebirths the node, a removed one dies', () => {
    const { s } = connected({ bdSeq: 4 });
    s.defineDevice('plc2', PLC);
    s.deviceOnline('plc1');
    expect(s.define(new Map([['plc1', PLC], ['plc2', PLC]]))).toEqual([]);
    // A new device is defined without births; it is born once online.
    expect(s.define(new Map([['plc1', PLC], ['plc2', PLC], ['plc3', PLC]]))).toEqual([]);
    expect(s.deviceOnline('plc3').map(kind)).toEqual(['DBIRTH']);
    // plc2 was never born: changing it needs no birth.
    const wider = [...PLC, { name: 'slow/count', type: 'uint16' as const, writable: false }];
    expect(s.define(new Map([['plc1', PLC], ['plc2', wider], ['plc3', PLC]]))).toEqual([]);
    const out = s.define(new Map([['plc1', wider], ['plc2', wider]]));
    expect(out.map((m) => m.topic)).toEqual(['spBv1.0/Plant A/DDEATH/edge-1/plc3', 'spBv1.0/Plant A/NBIRTH/edge-1', 'spBv1.0/Plant A/DBIRTH/edge-1/plc1']);
    expect(out.map(seqOf)).toEqual([expect.any(Number), 0, 1]);
    expect(bdSeqOf(out[1]!)).toBe(4n);
    expect(metricsOf(out[2]!).map((m) => m.name)).toEqual(['fast/temp', 'fast/setpoint', 'fast/run', 'slow/count']);
    expect(s.hasDevice('plc3')).toBe(false);
    expect(s.hasMetric('plc1', 'slow/count')).toBe(true);
    // A change of access alone is a change too (DCMD acceptance follows the birth).
    expect(s.define(new Map([['plc1', wider.map((m) => ({ ...m, writable: !m.writable }))], ['plc2', wider]])).map(kind)).toEqual(['NBIRTH', 'DBIRTH']);
  });
});
