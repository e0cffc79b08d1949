import type { TagType, TagValue } from '@edgefleet/protocol';
import { BuiltinType, builtinTypeName } from './builtin-types.js';

/**
 * Converts between OPC UA values (as node-opcua decodes a Variant: numbers, booleans, strings,
 * Dates, Buffers, 64-bit integers as [high, low] pairs of 32-bit words, typed arrays) and tag
 * values (as the pipeline publishes them: numbers, with 64-bit integers beyond ±2^53 as decimal
 * strings, booleans, strings, bytes as arrays of octets).
 *
 * Reading is on the hot path of subscriptions (one call per notification): no allocations beyond
 * the value itself, no exceptions for control flow; `undefined` means "cannot be represented".
 */

const TWO_32 = 4_294_967_296;
const MAX_FLOAT32 = 3.4028234663852886e38;

/** Variant array types (OPC 10000-6 §5.2.2.16 encoding mask): node-opcua's VariantArrayType. */
export const ArrayKind = { Scalar: 0, Array: 1, Matrix: 2 } as const;

/** Shortest decimal that reads back as the same 32-bit float: 1.1f is published as 1.1, not 1.100000023841858. */
export function float32ToNumber(x: number): number {
  if (!Number.isFinite(x) || Number.isInteger(x)) return x;
  for (let p = 6; p <= 9; p++) {
    const n = Number(x.toPrecision(p));
    if (Math.fround(n) === x) return n;
  }
  return x;
}

/** A 64-bit integer as node-opcua carries it ([high, low] 32-bit words) to a tag value. */
export function int64ToTagValue(words: readonly number[], signed: boolean): number | string {
  const hi = words[0] ?? 0;
  const lo = words[1] ?? 0;
  // Two's complement high word for Int64; exact in a double while |value| < 2^53.
  const high = signed && hi >= 0x8000_0000 ? hi - TWO_32 : hi;
  if (high >= -0x20_0000 && high < 0x20_0000) return high * TWO_32 + lo;
  const big = (BigInt(high) << 32n) + BigInt(lo);
  return big.toString();
}

/** A tag value (number or decimal string) to node-opcua's [high, low] words; throws if out of range. */
export function tagValueToInt64(value: TagValue, signed: boolean): [number, number] {
  let big: bigint;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new WriteValueError(`${value} is not a whole number within ±2^53 (give larger 64-bit values as decimal strings)`);
    big = BigInt(value);
  } else if (typeof value === 'string' && /^\s*-?\d{1,20}\s*$/.test(value)) {
    big = BigInt(value.trim());
  } else if (typeof value === 'boolean') {
    big = value ? 1n : 0n;
  } else {
    throw new WriteValueError(`${JSON.stringify(value)} is not a whole number`);
  }
  const [min, max] = signed ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
  if (big < min || big > max) throw new WriteValueError(`${big} is outside ${min}…${max} of ${signed ? 'Int64' : 'UInt64'}`);
  const u = signed && big < 0n ? big + 2n ** 64n : big;
  return [Number(u >> 32n), Number(u & 0xffff_ffffn)];
}

interface HasToString {
  toString(): string;
}

/**
 * The value of a Variant as the closest plain JavaScript value: numbers stay numbers, 64-bit
 * integers become a number or a decimal string, Dates stay Dates, ByteStrings stay Buffers,
 * structured built-ins (NodeId, QualifiedName, LocalizedText, StatusCode) become text or a number.
 */
function naturalScalar(builtin: number, value: unknown): unknown {
  switch (builtin) {
    case BuiltinType.Float:
      return typeof value === 'number' ? float32ToNumber(value) : value;
    case BuiltinType.Int64:
    case BuiltinType.UInt64:
      return Array.isArray(value) ? int64ToTagValue(value as number[], builtin === BuiltinType.Int64) : value;
    case BuiltinType.LocalizedText:
      return value && typeof value === 'object' ? ((value as { text?: string | null }).text ?? '') : value;
    case BuiltinType.StatusCode:
      return value && typeof value === 'object' ? (value as { value: number }).value : value;
    case BuiltinType.NodeId:
    case BuiltinType.ExpandedNodeId:
    case BuiltinType.QualifiedName:
      return value && typeof value === 'object' ? (value as HasToString).toString() : value;
    case BuiltinType.ExtensionObject:
    case BuiltinType.DataValue:
    case BuiltinType.DiagnosticInfo:
      // Structures have no tag value of their own; as a string tag they read as JSON.
      return value && typeof value === 'object' ? { json: JSON.stringify(value) } : value;
    default:
      return value;
  }
}

function toNumber(v: unknown): number | undefined {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? v : undefined;
    case 'boolean':
      return v ? 1 : 0;
    case 'string': {
      if (v.trim() === '') return undefined;
      const n = Number(v);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'object':
      return v instanceof Date ? v.getTime() : undefined;
    default:
      return undefined;
  }
}

function toText(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
      return String(v);
    case 'object':
      if (v === null) return undefined;
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
      if (Buffer.isBuffer(v)) return v.toString('base64');
      if ('json' in v) return (v as { json: string }).json;
      return undefined;
    default:
      return undefined;
  }
}

/** Converts one plain value to the tag's type, or `undefined` when it has no sensible reading. */
function coerceScalar(tagType: TagType, v: unknown): TagValue | undefined {
  if (v === null || v === undefined) return undefined;
  switch (tagType) {
    case 'bool':
    case 'bit':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v !== 0;
      if (v === 'true' || v === 'false') return v === 'true';
      if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v) !== 0;
      return undefined;
    case 'int64':
    case 'uint64':
      // A 64-bit value beyond ±2^53 arrives as a decimal string: keep its digits.
      if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number.isSafeInteger(Number(v)) ? Number(v) : v;
      return toNumber(v);
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'float32':
    case 'float64':
      return toNumber(v);
    case 'string':
      return toText(v);
    case 'bytes':
      if (Buffer.isBuffer(v)) return Array.from(v);
      if (typeof v === 'string') return Array.from(Buffer.from(v, 'utf8'));
      return undefined;
  }
}

/**
 * A Variant's value as a value of the tag's type, or `undefined` when it cannot be one (no value,
 * NaN, a structure read as a number, an array read as anything but bytes or a string).
 */
export function decodeValue(tagType: TagType, builtin: number, arrayKind: number, value: unknown): TagValue | undefined {
  if (arrayKind === ArrayKind.Scalar) {
    // The common cases first, without the general path.
    if (typeof value === 'number' && builtin !== BuiltinType.Float) {
      if (tagType === 'string') return String(value);
      if (tagType === 'bool' || tagType === 'bit') return value !== 0;
      return Number.isFinite(value) ? value : undefined;
    }
    if (typeof value === 'boolean' && (tagType === 'bool' || tagType === 'bit')) return value;
    return coerceScalar(tagType, naturalScalar(builtin, value));
  }
  if (value === null || value === undefined || typeof (value as ArrayLike<unknown>).length !== 'number') return undefined;
  const items = value as ArrayLike<unknown>;
  if (tagType === 'bytes') {
    const out: number[] = new Array<number>(items.length);
    for (let i = 0; i < items.length; i++) {
      const n = items[i];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 255) return undefined;
      out[i] = n;
    }
    return out;
  }
  if (tagType === 'string') {
    const out: unknown[] = new Array<unknown>(items.length);
    for (let i = 0; i < items.length; i++) {
      const n = naturalScalar(builtin, items[i]);
      out[i] = n instanceof Date ? n.toISOString() : Buffer.isBuffer(n) ? n.toString('base64') : n && typeof n === 'object' && 'json' in n ? JSON.parse((n as { json: string }).json) : n;
    }
    return JSON.stringify(out);
  }
  return undefined;
}

/** Why a value cannot be written to a variable: the value does not fit, or the type is not supported. */
export class WriteValueError extends Error {
  constructor(
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
    this.name = 'WriteValueError';
  }
}

const INTEGER_RANGES: Partial<Record<number, readonly [number, number]>> = {
  [BuiltinType.SByte]: [-128, 127],
  [BuiltinType.Byte]: [0, 255],
  [BuiltinType.Int16]: [-32_768, 32_767],
  [BuiltinType.UInt16]: [0, 65_535],
  [BuiltinType.Int32]: [-2_147_483_648, 2_147_483_647],
  [BuiltinType.UInt32]: [0, 4_294_967_295],
};

const GUID_RE = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

function writableNumber(value: TagValue, type: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'boolean' ? Number(value) : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new WriteValueError(`${JSON.stringify(value)} is not a number, as ${type} needs`);
  return n;
}

function octets(value: TagValue, type: string): number[] {
  if (!Array.isArray(value)) throw new WriteValueError(`${type} takes an array of octets (0–255)`);
  for (const b of value) {
    if (!Number.isInteger(b) || b < 0 || b > 255) throw new WriteValueError(`${type} takes octets (0–255); ${JSON.stringify(b)} is not one`);
  }
  return value;
}

/** A value node-opcua can put in a Variant of `builtin` (with arrayKind), for a Write. */
export interface EncodedValue {
  builtin: number;
  arrayKind: number;
  value: unknown;
}

/**
 * Converts a tag value to what a variable of the given built-in type and value rank takes,
 * checking ranges so the server is not asked to store a value that cannot fit. Throws a
 * `WriteValueError` saying why not.
 */
export function encodeValue(builtin: number, valueRank: number, value: TagValue): EncodedValue {
  const type = builtinTypeName(builtin);
  if (valueRank >= 0) {
    // Arrays: a Byte array (or a ByteString-typed array of one) is written from octets.
    if (builtin === BuiltinType.Byte && (valueRank === 1 || valueRank === 0)) return { builtin, arrayKind: ArrayKind.Array, value: Uint8Array.from(octets(value, 'Byte[]')) };
    throw new WriteValueError(`the variable holds an array of ${type}; only Byte arrays can be written`, true);
  }
  const scalar = (v: unknown): EncodedValue => ({ builtin, arrayKind: ArrayKind.Scalar, value: v });
  switch (builtin) {
    case BuiltinType.Boolean:
      if (typeof value === 'boolean') return scalar(value);
      if (value === 0 || value === 1 || value === 'true' || value === 'false' || value === '0' || value === '1') return scalar(value === 1 || value === 'true' || value === '1');
      throw new WriteValueError(`${JSON.stringify(value)} is not a Boolean (true/false or 1/0)`);
    case BuiltinType.SByte:
    case BuiltinType.Byte:
    case BuiltinType.Int16:
    case BuiltinType.UInt16:
    case BuiltinType.Int32:
    case BuiltinType.UInt32: {
      const n = writableNumber(value, type);
      if (!Number.isInteger(n)) throw new WriteValueError(`${n} is not a whole number, as ${type} needs`);
      const [min, max] = INTEGER_RANGES[builtin]!;
      if (n < min || n > max) throw new WriteValueError(`${n} is outside ${min}…${max} of ${type}`);
      return scalar(n);
    }
    case BuiltinType.Int64:
    case BuiltinType.UInt64:
      return scalar(tagValueToInt64(value, builtin === BuiltinType.Int64));
    case BuiltinType.Float: {
      const n = writableNumber(value, type);
      if (Math.abs(n) > MAX_FLOAT32) throw new WriteValueError(`${n} does not fit a 32-bit Float`);
      return scalar(n);
    }
    case BuiltinType.Double:
      return scalar(writableNumber(value, type));
    case BuiltinType.String:
    case BuiltinType.XmlElement:
      if (typeof value === 'string') return scalar(value);
      if (typeof value === 'number' || typeof value === 'boolean') return scalar(String(value));
      throw new WriteValueError(`${type} takes text`);
    case BuiltinType.LocalizedText:
      if (typeof value !== 'string') throw new WriteValueError('LocalizedText takes text');
      return scalar({ text: value });
    case BuiltinType.DateTime: {
      const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
      if (!Number.isFinite(ms)) throw new WriteValueError(`${JSON.stringify(value)} is not a date (give an ISO 8601 string or milliseconds since 1970)`);
      return scalar(new Date(ms));
    }
    case BuiltinType.Guid:
      if (typeof value !== 'string' || !GUID_RE.test(value)) throw new WriteValueError(`${JSON.stringify(value)} is not a GUID`);
      return scalar(value);
    case BuiltinType.ByteString:
      if (typeof value === 'string') return scalar(Buffer.from(value, 'utf8'));
      return scalar(Buffer.from(octets(value, 'ByteString')));
    default:
      throw new WriteValueError(`writing a value of type ${type} is not supported`, true);
  }
}
