import type { ModbusOrder, ModbusStringMode, TagValue } from '@edgefleet/protocol';
import { ModbusValueError } from './errors.js';
import type { ModbusPoint } from './point.js';

/**
 * Registers ⇄ tag values. A register travels high byte first, so a block of registers is a
 * sequence of wire bytes A, B, C, … An order names, from the value's most significant byte to
 * its least, which wire byte lands there: `ABCD` is big-endian, `DCBA` little-endian, `CDAB`
 * swaps the words, `BADC` the bytes inside each word (and likewise for 16 and 64 bits).
 *
 * 64-bit integers beyond ±2^53 are decimal strings (as `TagValue` carries them); floats that are
 * NaN or infinite cannot travel in JSON and are reported as read failures instead.
 */

/** Registers → the bytes as they came on the wire. */
export function registersToWire(registers: ArrayLike<number>): Uint8Array {
  const wire = new Uint8Array(registers.length * 2);
  for (let i = 0; i < registers.length; i++) {
    const r = registers[i]!;
    wire[2 * i] = (r >> 8) & 0xff;
    wire[2 * i + 1] = r & 0xff;
  }
  return wire;
}

/** Wire bytes → registers (an odd last byte is padded with 0). */
export function wireToRegisters(wire: ArrayLike<number>): number[] {
  const registers: number[] = [];
  for (let i = 0; i < wire.length; i += 2) registers.push(((wire[i] ?? 0) << 8) | (wire[i + 1] ?? 0));
  return registers;
}

/** Rearranges wire bytes into the value's bytes, most significant first. */
export function wireToValueBytes(wire: Uint8Array, order: ModbusOrder): Uint8Array {
  const out = new Uint8Array(order.length);
  for (let i = 0; i < order.length; i++) out[i] = wire[order.charCodeAt(i) - 65]!;
  return out;
}

/** The inverse: the value's bytes (most significant first) → the bytes to put on the wire. */
export function valueBytesToWire(bytes: Uint8Array, order: ModbusOrder): Uint8Array {
  const wire = new Uint8Array(order.length);
  for (let i = 0; i < order.length; i++) wire[order.charCodeAt(i) - 65] = bytes[i]!;
  return wire;
}

const INT_RANGES = {
  int16: [-32_768, 32_767],
  uint16: [0, 65_535],
  int32: [-2_147_483_648, 2_147_483_647],
  uint32: [0, 4_294_967_295],
} as const;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const FLOAT32_MAX = 3.4028234663852886e38;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

const utf8 = new TextDecoder('utf-8');

/** Decodes a register tag from exactly its registers (`point.span` of them). */
export function decodeRegisters(point: ModbusPoint, registers: ArrayLike<number>): TagValue {
  if (registers.length < point.span) throw new ModbusValueError(`tag '${point.name}' needs ${point.span} registers, got ${registers.length}`);
  switch (point.type) {
    case 'bit':
    case 'bool': {
      const on = ((registers[0]! >> (point.bit ?? 0)) & 1) === 1;
      return point.type === 'bool' ? on : on ? 1 : 0;
    }
    case 'string':
      return decodeString(registersToText(registers, point.length ?? 0, point.stringMode));
    case 'bytes':
      return Array.from(registersToText(registers, point.length ?? 0, point.stringMode));
    default:
      return decodeNumber(point, registers);
  }
}

function decodeNumber(point: ModbusPoint, registers: ArrayLike<number>): TagValue {
  const order = point.order ?? defaultOrder(point.span);
  const bytes = wireToValueBytes(registersToWire(Array.prototype.slice.call(registers, 0, point.span) as number[]), order);
  const view = new DataView(bytes.buffer);
  switch (point.type) {
    case 'int16':
      return view.getInt16(0);
    case 'uint16':
      return view.getUint16(0);
    case 'int32':
      return view.getInt32(0);
    case 'uint32':
      return view.getUint32(0);
    case 'int64':
      return bigToValue(view.getBigInt64(0));
    case 'uint64':
      return bigToValue(view.getBigUint64(0));
    case 'float32':
      return finite(point, view.getFloat32(0));
    case 'float64':
      return finite(point, view.getFloat64(0));
    default:
      throw new ModbusValueError(`tag '${point.name}': type ${point.type} is not a number`);
  }
}

function finite(point: ModbusPoint, v: number): number {
  if (!Number.isFinite(v)) throw new ModbusValueError(`tag '${point.name}' holds ${v}, which JSON cannot carry`);
  return v;
}

function bigToValue(v: bigint): number | string {
  return v <= SAFE_MAX && v >= -SAFE_MAX ? Number(v) : v.toString();
}

function defaultOrder(span: number): ModbusOrder {
  return span === 1 ? 'AB' : span === 2 ? 'ABCD' : 'ABCDEFGH';
}

/** The text bytes of a string/bytes tag, by mode (H/L two per register, D/E one). */
function registersToText(registers: ArrayLike<number>, length: number, mode: ModbusStringMode, at = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    let byte: number;
    if (mode === 'D' || mode === 'E') {
      const r = registers[at + i]!;
      byte = mode === 'D' ? r & 0xff : (r >> 8) & 0xff;
    } else {
      const r = registers[at + (i >> 1)]!;
      const highFirst = mode === 'H';
      byte = (i & 1) === 0 === highFirst ? (r >> 8) & 0xff : r & 0xff;
    }
    out[i] = byte;
  }
  return out;
}

function decodeString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return utf8.decode(nul === -1 ? bytes : bytes.subarray(0, nul));
}

/** Decodes a coil or discrete input: `bit` as 0/1 (Neuron's BIT), `bool` as true/false. */
export function decodeBit(point: ModbusPoint, on: boolean): TagValue {
  return point.type === 'bool' ? on : on ? 1 : 0;
}

/** Encodes a value for a coil write (FC 5). */
export function encodeBit(point: ModbusPoint, value: TagValue): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (value === 'true' || value === 'false') return value === 'true';
  if (value === '0' || value === '1') return value === '1';
  throw new ModbusValueError(`tag '${point.name}' (${point.type}) takes true/false or 1/0, not ${show(value)}`);
}

/** Encodes a value into the registers the tag occupies (for FC 6/16). */
export function encodeRegisters(point: ModbusPoint, value: TagValue): number[] {
  switch (point.type) {
    case 'bit':
    case 'bool':
      throw new ModbusValueError(`tag '${point.name}' is a bit inside a register; writing it would overwrite the other 15 bits`);
    case 'string':
      return encodeString(point, value);
    case 'bytes':
      return encodeBytes(point, value);
    default:
      return encodeNumber(point, value);
  }
}

function encodeNumber(point: ModbusPoint, value: TagValue): number[] {
  const order = point.order ?? defaultOrder(point.span);
  const bytes = new Uint8Array(point.span * 2);
  const view = new DataView(bytes.buffer);
  switch (point.type) {
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      const n = toInteger(point, value);
      const [min, max] = INT_RANGES[point.type];
      if (n < min || n > max) throw new ModbusValueError(`${show(value)} is out of range for tag '${point.name}' (${point.type}: ${min} to ${max})`);
      if (point.type === 'int16') view.setInt16(0, n);
      else if (point.type === 'uint16') view.setUint16(0, n);
      else if (point.type === 'int32') view.setInt32(0, n);
      else view.setUint32(0, n);
      break;
    }
    case 'int64':
    case 'uint64': {
      const n = toBigInt(point, value);
      const [min, max] = point.type === 'int64' ? [INT64_MIN, INT64_MAX] : [0n, UINT64_MAX];
      if (n < min || n > max) throw new ModbusValueError(`${show(value)} is out of range for tag '${point.name}' (${point.type}: ${min} to ${max})`);
      if (point.type === 'int64') view.setBigInt64(0, n);
      else view.setBigUint64(0, n);
      break;
    }
    case 'float32': {
      const n = toFloat(point, value);
      if (Math.abs(n) > FLOAT32_MAX) throw new ModbusValueError(`${show(value)} is out of range for tag '${point.name}' (float32: ±${FLOAT32_MAX})`);
      view.setFloat32(0, n);
      break;
    }
    case 'float64':
      view.setFloat64(0, toFloat(point, value));
      break;
    default:
      throw new ModbusValueError(`tag '${point.name}': type ${point.type} is not a number`);
  }
  return wireToRegisters(valueBytesToWire(bytes, order));
}

/** Integers accept numbers (rounded to the nearest: a scaled write may carry float residue) and decimal strings. */
function toInteger(point: ModbusPoint, value: TagValue): number {
  const n = typeof value === 'string' && /^\s*[-+]?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new ModbusValueError(`tag '${point.name}' (${point.type}) takes a number, not ${show(value)}`);
  return Math.round(n);
}

function toBigInt(point: ModbusPoint, value: TagValue): bigint {
  if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return BigInt(value.trim().replace(/^\+/, ''));
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.round(value));
  throw new ModbusValueError(`tag '${point.name}' (${point.type}) takes an integer or a decimal string, not ${show(value)}`);
}

function toFloat(point: ModbusPoint, value: TagValue): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new ModbusValueError(`tag '${point.name}' (${point.type}) takes a finite number, not ${show(value)}`);
  return n;
}

function encodeString(point: ModbusPoint, value: TagValue): number[] {
  if (typeof value !== 'string') throw new ModbusValueError(`tag '${point.name}' (string) takes a string, not ${show(value)}`);
  const bytes = new TextEncoder().encode(value);
  return textToRegisters(point, bytes, `'${value}' is ${bytes.length} bytes in UTF-8`);
}

function encodeBytes(point: ModbusPoint, value: TagValue): number[] {
  if (!Array.isArray(value) || !value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
    throw new ModbusValueError(`tag '${point.name}' (bytes) takes an array of octets (0–255), not ${show(value)}`);
  }
  return textToRegisters(point, Uint8Array.from(value), `${value.length} bytes`);
}

/** Lays text bytes into the tag's registers by mode, padded with zeros to the full length. */
function textToRegisters(point: ModbusPoint, bytes: Uint8Array, what: string): number[] {
  const length = point.length ?? 0;
  if (bytes.length > length) throw new ModbusValueError(`${what}; tag '${point.name}' holds at most ${length}`);
  const registers = new Array<number>(point.span).fill(0);
  for (let i = 0; i < length; i++) {
    const byte = bytes[i] ?? 0;
    switch (point.stringMode) {
      case 'D':
        registers[i] = byte;
        break;
      case 'E':
        registers[i] = byte << 8;
        break;
      default: {
        const highFirst = point.stringMode === 'H';
        const high = (i & 1) === 0 === highFirst;
        registers[i >> 1] = registers[i >> 1]! | (high ? byte << 8 : byte);
      }
    }
  }
  return registers;
}

function show(value: TagValue): string {
  return JSON.stringify(value);
}

/**
 * A decoder made once per tag (at plan time) for the driver's read loop: reads the tag's value
 * straight out of a block's registers (or bits) at `at`, with no copy, allocation or dispatch on
 * type and order per value. Answers `undefined` for a value JSON cannot carry (a NaN or infinite
 * float), which the driver reports as a read failure. Gives the same values as `decodeRegisters`
 * and `decodeBit` (the codec tests hold them to it).
 */
export type WordDecoder = (words: ArrayLike<number>, at: number) => TagValue | undefined;
export type BitDecoder = (bits: ArrayLike<boolean>, at: number) => TagValue;

/** One shared scratch: decoders run one at a time, and each is done with it before returning. */
const scratch = new DataView(new ArrayBuffer(8));

const swap16 = (r: number): number => ((r & 0xff) << 8) | ((r >> 8) & 0xff);

const boolBit: BitDecoder = (bits, at) => bits[at]!;
const numberBit: BitDecoder = (bits, at) => (bits[at] ? 1 : 0);

/** Two decoders serve every coil and discrete input. */
export function bitDecoder(point: ModbusPoint): BitDecoder {
  return point.type === 'bool' ? boolBit : numberBit;
}

export function wordDecoder(point: ModbusPoint): WordDecoder {
  const { type, span } = point;
  switch (type) {
    case 'bit':
    case 'bool': {
      const bit = point.bit ?? 0;
      return type === 'bool' ? (w, at) => ((w[at]! >> bit) & 1) === 1 : (w, at) => (w[at]! >> bit) & 1;
    }
    case 'string':
    case 'bytes': {
      const length = point.length ?? 0;
      const mode = point.stringMode;
      return type === 'string'
        ? (w, at) => decodeString(registersToText(w, length, mode, at))
        : (w, at) => Array.from(registersToText(w, length, mode, at));
    }
    default:
      break;
  }
  const order = point.order ?? defaultOrder(span);
  if (span === 1) {
    const swapped = order === 'BA';
    if (type === 'uint16') return swapped ? (w, at) => swap16(w[at]!) : (w, at) => w[at]! & 0xffff;
    if (type === 'int16') return swapped ? (w, at) => (swap16(w[at]!) << 16) >> 16 : (w, at) => (w[at]! << 16) >> 16;
  }
  if (span === 2 && (order === 'ABCD' || order === 'CDAB')) {
    const hi = order === 'ABCD' ? 0 : 1;
    const lo = 1 - hi;
    if (type === 'uint32') return (w, at) => (w[at + hi]! & 0xffff) * 0x10000 + (w[at + lo]! & 0xffff);
    if (type === 'int32') return (w, at) => ((w[at + hi]! & 0xffff) << 16) | (w[at + lo]! & 0xffff);
    if (type === 'float32')
      return (w, at) => {
        scratch.setUint16(0, w[at + hi]! & 0xffff);
        scratch.setUint16(2, w[at + lo]! & 0xffff);
        const v = scratch.getFloat32(0);
        return v - v === 0 ? v : undefined;
      };
  }
  // Any order: gather the value's bytes (most significant first) into the scratch, then read it.
  const bytes = span * 2;
  const from = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) from[i] = order.charCodeAt(i) - 65;
  const gather = (w: ArrayLike<number>, at: number): void => {
    for (let i = 0; i < bytes; i++) {
      const b = from[i]!;
      const r = w[at + (b >> 1)]!;
      scratch.setUint8(i, (b & 1) === 0 ? (r >> 8) & 0xff : r & 0xff);
    }
  };
  const finiteOrUndefined = (v: number): number | undefined => (v - v === 0 ? v : undefined);
  switch (type) {
    case 'int16':
      return (w, at) => (gather(w, at), scratch.getInt16(0));
    case 'uint16':
      return (w, at) => (gather(w, at), scratch.getUint16(0));
    case 'int32':
      return (w, at) => (gather(w, at), scratch.getInt32(0));
    case 'uint32':
      return (w, at) => (gather(w, at), scratch.getUint32(0));
    case 'int64':
      return (w, at) => (gather(w, at), bigToValue(scratch.getBigInt64(0)));
    case 'uint64':
      return (w, at) => (gather(w, at), bigToValue(scratch.getBigUint64(0)));
    case 'float32':
      return (w, at) => (gather(w, at), finiteOrUndefined(scratch.getFloat32(0)));
    case 'float64':
      return (w, at) => (gather(w, at), finiteOrUndefined(scratch.getFloat64(0)));
    default:
      return () => undefined;
  }
}
