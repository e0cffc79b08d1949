import { INTEGER_TAG_RANGES, type TagType, type TagValue } from '@edgefleet/protocol';
import proto from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import { DATATYPE_NUMBERS, SPARKPLUG_DATATYPES, integerValue } from './datatypes.js';

const { Payload } = proto.org.eclipse.tahu.protobuf;
type IMetric = proto.org.eclipse.tahu.protobuf.Payload.IMetric;

/** Which `value` field of the metric was set, with its content. */
type RawValue =
  | { field: 'int'; value: number }
  | { field: 'long'; bits: bigint }
  | { field: 'float'; value: number }
  | { field: 'boolean'; value: boolean }
  | { field: 'string'; value: string }
  | { field: 'bytes'; value: Uint8Array }
  | { field: 'none' };

/** One metric of an NCMD/DCMD, as it is on the wire. */
export interface CommandMetric {
  name?: string;
  /** The alias as a bigint: `alias` is a uint64 and a host may send anything. */
  alias?: bigint;
  /** 0 or absent when the host left it out, which it should for commands [tck-id-payloads-metric-datatype-not-req]. */
  datatype?: number;
  isNull: boolean;
  raw: RawValue;
}

/** protobufjs gives uint64 fields as a Long (low/high 32-bit halves) or, without long.js, a number. */
function uint64Bits(v: number | { low: number; high: number }): bigint {
  if (typeof v === 'number') return BigInt.asUintN(64, BigInt(Math.trunc(v)));
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
}

/**
 * Decodes a command payload with the Sparkplug protobuf schema itself rather than Tahu's
 * `decodePayload`: that one picks the value field from `datatype`, so a command without a
 * datatype (the spec advises hosts to leave it out of commands) would lose its value, and it reads a UInt32
 * only from `long_value` while spec §6.4.17 puts it in the uint32 `int_value`. Here the field the
 * host actually set is kept and interpreted afterwards. Throws on bytes that are not a payload.
 */
export function decodeCommandMetrics(payload: Uint8Array): CommandMetric[] {
  const decoded = Payload.decode(payload);
  return decoded.metrics.map((m): CommandMetric => {
    const metric: CommandMetric = { isNull: m.isNull === true, raw: rawValue(m) };
    if (m.name != null && Object.hasOwn(m, 'name')) metric.name = m.name;
    if (m.alias != null && Object.hasOwn(m, 'alias')) metric.alias = uint64Bits(m.alias);
    if (m.datatype != null && Object.hasOwn(m, 'datatype')) metric.datatype = m.datatype;
    return metric;
  });
}

/** The value field that is set: decoding sets own properties only for the fields on the wire. */
function rawValue(m: IMetric): RawValue {
  const has = (field: keyof IMetric): boolean => m[field] != null && Object.hasOwn(m, field);
  if (has('intValue')) return { field: 'int', value: m.intValue ?? 0 };
  if (has('longValue')) return { field: 'long', bits: uint64Bits(m.longValue ?? 0) };
  if (has('floatValue')) return { field: 'float', value: m.floatValue ?? 0 };
  if (has('doubleValue')) return { field: 'float', value: m.doubleValue ?? 0 };
  if (has('booleanValue')) return { field: 'boolean', value: m.booleanValue === true };
  if (has('stringValue')) return { field: 'string', value: m.stringValue ?? '' };
  if (has('bytesValue')) return { field: 'bytes', value: m.bytesValue ?? new Uint8Array() };
  return { field: 'none' };
}

/** A command value before it meets the target tag: integers as bigint, whatever field carried them. */
type Plain = bigint | number | boolean | string | Uint8Array;

/**
 * Reads the raw field by the metric's datatype, or by the target tag's datatype when the host
 * sent none. Spec §6.4.17 carries Int8/16/32 in a uint32 and Int64 in a uint64, negative values
 * as two's complement (as Tahu writes them), so the sign comes from the datatype, not the field.
 */
function plainValue(raw: RawValue, datatype: number): Plain | undefined {
  switch (raw.field) {
    case 'int':
      if (datatype === DATATYPE_NUMBERS.Int8) return BigInt((raw.value << 24) >> 24);
      if (datatype === DATATYPE_NUMBERS.Int16) return BigInt((raw.value << 16) >> 16);
      if (datatype === DATATYPE_NUMBERS.Int32) return BigInt(raw.value | 0);
      return BigInt(raw.value >>> 0);
    case 'long': {
      const signed = datatype === DATATYPE_NUMBERS.Int64 || datatype === DATATYPE_NUMBERS.Int32 || datatype === DATATYPE_NUMBERS.Int16 || datatype === DATATYPE_NUMBERS.Int8;
      return signed ? BigInt.asIntN(64, raw.bits) : raw.bits;
    }
    case 'none':
      return undefined;
    default:
      return raw.value;
  }
}

export type ConvertedValue = { value: TagValue } | { error: string };

/**
 * The command value as the JS value our write path takes for a metric of `type` (the type the
 * metric was born with): integers as numbers while exact and decimal strings beyond ±2^53,
 * `bit` as 0/1 and `bool` as a boolean, bytes as an array of octets. Range and scaling are left to
 * the write path, which knows the tag; only whole-number ranges of integer metrics are checked
 * here, so a value that cannot be what the host meant is refused before anything else.
 */
export function commandValue(metric: CommandMetric, type: TagType): ConvertedValue {
  if (metric.isNull) return { error: 'is null (is_null set): there is no value to write' };
  const datatype = metric.datatype || DATATYPE_NUMBERS[SPARKPLUG_DATATYPES[type]];
  const v = plainValue(metric.raw, datatype);
  if (v === undefined) return { error: 'carries no value of a basic type' };
  switch (type) {
    case 'bool':
    case 'bit': {
      const on = typeof v === 'boolean' ? v : v === 0n || v === 1n || v === 0 || v === 1 ? v === 1n || v === 1 : undefined;
      if (on === undefined) return { error: `is ${type}: expected a Boolean (or 0/1)` };
      return { value: type === 'bit' ? (on ? 1 : 0) : on };
    }
    case 'float32':
    case 'float64':
      if (typeof v === 'number') return { value: v };
      if (typeof v === 'bigint') return { value: Number(v) };
      return { error: `is ${type}: expected a number` };
    case 'string':
      return typeof v === 'string' ? { value: v } : { error: 'is string: expected a String' };
    case 'bytes':
      return v instanceof Uint8Array ? { value: Array.from(v) } : { error: 'is bytes: expected Bytes' };
    default: {
      const range = INTEGER_TAG_RANGES[type];
      const n = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined;
      if (!range || n === undefined) return { error: `is ${type}: expected a whole number` };
      if (n < range[0] || n > range[1]) return { error: `is ${type}: ${n} is outside ${range[0]}…${range[1]}` };
      return { value: integerValue(n) };
    }
  }
}
