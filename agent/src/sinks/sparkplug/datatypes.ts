import { INTEGER_TAG_RANGES, type Tag, type TagType, type TagValue } from '@edgefleet/protocol';
import type { TypeStr, UMetric } from 'sparkplug-payload/lib/sparkplugbpayload.js';

/**
 * Our tag types as Sparkplug metric datatypes (spec §6.4.16 "Data Types"). `bit` (0/1, Neuron's
 * BIT) and `bool` are both Boolean: Sparkplug has no 1-bit integer and hosts show a Boolean as a
 * switch, which is what a coil is.
 *
 * UInt32 goes out as Tahu's JS encoder writes it, in `long_value`, where spec §6.4.17 lists the
 * uint32 `int_value`; Tahu-based decoders read it from there. Commands are read from either field.
 */
export const SPARKPLUG_DATATYPES = {
  bool: 'Boolean',
  bit: 'Boolean',
  int16: 'Int16',
  uint16: 'UInt16',
  int32: 'Int32',
  uint32: 'UInt32',
  int64: 'Int64',
  uint64: 'UInt64',
  float32: 'Float',
  float64: 'Double',
  string: 'String',
  bytes: 'Bytes',
} as const satisfies Record<TagType, TypeStr>;
export type SparkplugDataType = (typeof SPARKPLUG_DATATYPES)[TagType];

/** The DataType enum of sparkplug_b.proto (spec §6.4.16), for the basic types a command may carry. */
export const DATATYPE_NUMBERS = {
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
  Bytes: 17,
  File: 18,
} as const;

/**
 * The type of the value a tag publishes: an integer tag with a scale or offset publishes
 * engineering units (raw × scale + offset), which are not whole numbers, so its metric is a
 * Double. Everything else publishes its own type.
 */
export function publishedTagType(tag: Tag): TagType {
  if (INTEGER_TAG_RANGES[tag.type] && (tag.scale !== undefined || tag.offset !== undefined)) return 'float64';
  return tag.type;
}

/** A whole number as a bigint: integral numbers and decimal strings (64-bit values beyond ±2^53). */
export function integerOf(value: TagValue): bigint | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : null;
  if (typeof value === 'string' && /^-?\d{1,20}$/u.test(value)) return BigInt(value);
  return null;
}

/** A bigint as our JS value: a number while exact (±2^53), else a decimal string, as values.ts says. */
export function integerValue(n: bigint): number | string {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

export type SparkplugValue = Exclude<UMetric['value'], null>;

/**
 * Our value as the metric value the Tahu encoder takes for the tag type's datatype, or undefined
 * when the value does not fit that datatype (the caller publishes no value rather than a wrong one).
 *
 * 64-bit integers are handed over as a number when exact and otherwise as a decimal string: the
 * encoder passes `long_value` to protobufjs, which turns a string into a Long (`Long.fromString`)
 * without going through a double, so values beyond 2^53 keep every digit.
 */
export function toSparkplugValue(type: TagType, value: TagValue): SparkplugValue | undefined {
  switch (type) {
    case 'bool':
    case 'bit':
      if (typeof value === 'boolean') return value;
      if (value === 0 || value === 1) return value === 1;
      return undefined;
    case 'float32':
    case 'float64':
      return typeof value === 'number' ? value : undefined;
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'bytes':
      if (!Array.isArray(value) || !value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return undefined;
      return Uint8Array.from(value);
    default: {
      const range = INTEGER_TAG_RANGES[type];
      const n = integerOf(value);
      if (!range || n === null || n < range[0] || n > range[1]) return undefined;
      return integerValue(n);
    }
  }
}
