import { describe, expect, it } from 'vitest';
import { BuiltinType as B } from './builtin-types.js';
import { ArrayKind, decodeValue, encodeValue, float32ToNumber, int64ToTagValue, tagValueToInt64, WriteValueError } from './value-codec.js';

const S = ArrayKind.Scalar;

describe('reading OPC UA values as tag values', () => {
  it('passes numbers and booleans through, converting to the tag type', () => {
    expect(decodeValue('int16', B.Int16, S, -5)).toBe(-5);
    expect(decodeValue('float64', B.Double, S, 1.25)).toBe(1.25);
    expect(decodeValue('bool', B.Boolean, S, true)).toBe(true);
    expect(decodeValue('bool', B.Int32, S, 2)).toBe(true);
    expect(decodeValue('int32', B.Boolean, S, true)).toBe(1);
    expect(decodeValue('string', B.UInt32, S, 7)).toBe('7');
    expect(decodeValue('float64', B.String, S, '2.5')).toBe(2.5);
    expect(decodeValue('float64', B.String, S, 'abc')).toBeUndefined();
  });

  it('publishes a 32-bit float as the shortest decimal that reads back the same', () => {
    expect(float32ToNumber(Math.fround(1.1))).toBe(1.1);
    expect(float32ToNumber(Math.fround(3.14159))).toBe(3.14159);
    expect(float32ToNumber(Math.fround(1e-7))).toBe(1e-7);
    expect(float32ToNumber(16777216)).toBe(16777216);
    expect(decodeValue('float32', B.Float, S, Math.fround(0.1))).toBe(0.1);
  });

  it('has no value for NaN, null or structures read as numbers', () => {
    expect(decodeValue('float64', B.Double, S, NaN)).toBeUndefined();
    expect(decodeValue('float32', B.Float, S, Infinity)).toBeUndefined();
    expect(decodeValue('string', B.String, S, null)).toBeUndefined();
    expect(decodeValue('int32', B.ExtensionObject, S, { a: 1 })).toBeUndefined();
    expect(decodeValue('string', B.ExtensionObject, S, { a: 1 })).toBe('{"a":1}');
  });

  it('reads 64-bit integers as numbers within ±2^53 and decimal strings beyond', () => {
    expect(int64ToTagValue([0, 5], true)).toBe(5);
    expect(int64ToTagValue([0xffff_ffff, 0xffff_fffb], true)).toBe(-5);
    expect(int64ToTagValue([0x7fff_ffff, 0xffff_ffff], true)).toBe('9223372036854775807');
    expect(int64ToTagValue([0x8000_0000, 0], true)).toBe('-9223372036854775808');
    expect(int64ToTagValue([0xffff_ffff, 0xffff_ffff], false)).toBe('18446744073709551615');
    expect(int64ToTagValue([0x1f_ffff, 0xffff_ffff], false)).toBe(Number.MAX_SAFE_INTEGER);
    expect(int64ToTagValue([0x20_0000, 0], false)).toBe('9007199254740992');
    expect(decodeValue('int64', B.Int64, S, [0, 42])).toBe(42);
    expect(decodeValue('uint64', B.UInt64, S, [0xffff_ffff, 0xffff_ffff])).toBe('18446744073709551615');
    expect(decodeValue('string', B.UInt64, S, [0, 42])).toBe('42');
  });

  it('reads dates, bytes and text-like built-ins', () => {
    const d = new Date('2024-05-06T07:08:09.123Z');
    expect(decodeValue('string', B.DateTime, S, d)).toBe('2024-05-06T07:08:09.123Z');
    expect(decodeValue('int64', B.DateTime, S, d)).toBe(d.getTime());
    expect(decodeValue('bytes', B.ByteString, S, Buffer.from([1, 2, 255]))).toEqual([1, 2, 255]);
    expect(decodeValue('string', B.ByteString, S, Buffer.from('hi'))).toBe('aGk=');
    expect(decodeValue('bytes', B.String, S, 'hé')).toEqual([104, 195, 169]);
    expect(decodeValue('string', B.LocalizedText, S, { text: 'Hallo', locale: 'de' })).toBe('Hallo');
    expect(decodeValue('uint32', B.StatusCode, S, { value: 0x80740000 })).toBe(0x80740000);
    expect(decodeValue('string', B.NodeId, S, { toString: () => 'ns=1;i=5' })).toBe('ns=1;i=5');
  });

  it('reads arrays only as bytes or as a JSON string', () => {
    expect(decodeValue('bytes', B.Byte, ArrayKind.Array, Uint8Array.from([1, 2]))).toEqual([1, 2]);
    expect(decodeValue('string', B.Double, ArrayKind.Array, Float64Array.from([1.5, 2]))).toBe('[1.5,2]');
    expect(decodeValue('string', B.Int64, ArrayKind.Array, [[0, 1], [0xffff_ffff, 0xffff_ffff]])).toBe('[1,-1]');
    expect(decodeValue('float64', B.Double, ArrayKind.Array, Float64Array.from([1]))).toBeUndefined();
    expect(decodeValue('bytes', B.Int32, ArrayKind.Array, [1, 300])).toBeUndefined();
  });
});

describe('writing tag values to OPC UA variables', () => {
  const err = (fn: () => unknown): WriteValueError => {
    try {
      fn();
    } catch (e) {
      if (e instanceof WriteValueError) return e;
      throw e;
    }
    throw new Error('expected a WriteValueError');
  };

  it('types the value by the variable’s built-in type, within its range', () => {
    expect(encodeValue(B.Boolean, -1, 1)).toEqual({ builtin: B.Boolean, arrayKind: S, value: true });
    expect(encodeValue(B.Boolean, -1, 'false').value).toBe(false);
    expect(encodeValue(B.SByte, -1, -128).value).toBe(-128);
    expect(encodeValue(B.UInt16, -1, '65535').value).toBe(65535);
    expect(err(() => encodeValue(B.Int16, -1, 40000)).message).toBe('40000 is outside -32768…32767 of Int16');
    expect(err(() => encodeValue(B.Byte, -1, 1.5)).message).toBe('1.5 is not a whole number, as Byte needs');
    expect(err(() => encodeValue(B.Int32, -1, 'x')).message).toBe('"x" is not a number, as Int32 needs');
    expect(encodeValue(B.Float, -1, 1.5).value).toBe(1.5);
    expect(err(() => encodeValue(B.Float, -1, 1e39)).message).toBe('1e+39 does not fit a 32-bit Float');
    expect(encodeValue(B.Double, -1, '2.25').value).toBe(2.25);
    expect(encodeValue(B.String, -1, 12).value).toBe('12');
    expect(encodeValue(B.LocalizedText, -1, 'hi').value).toEqual({ text: 'hi' });
  });

  it('takes 64-bit integers as numbers or decimal strings', () => {
    expect(tagValueToInt64(-1, true)).toEqual([0xffff_ffff, 0xffff_ffff]);
    expect(tagValueToInt64('9223372036854775807', true)).toEqual([0x7fff_ffff, 0xffff_ffff]);
    expect(tagValueToInt64('18446744073709551615', false)).toEqual([0xffff_ffff, 0xffff_ffff]);
    expect(encodeValue(B.UInt64, -1, 5).value).toEqual([0, 5]);
    expect(err(() => encodeValue(B.UInt64, -1, -1)).message).toBe('-1 is outside 0…18446744073709551615 of UInt64');
    expect(err(() => encodeValue(B.Int64, -1, 2 ** 60)).message).toMatch(/not a whole number within ±2\^53/);
    for (const v of ['-9223372036854775808', '123', '-42']) {
      expect(int64ToTagValue(tagValueToInt64(v, true), true).toString()).toBe(v);
    }
  });

  it('takes dates, GUIDs and bytes', () => {
    expect(encodeValue(B.DateTime, -1, '2024-01-02T03:04:05Z').value).toEqual(new Date('2024-01-02T03:04:05Z'));
    expect(encodeValue(B.DateTime, -1, 0).value).toEqual(new Date(0));
    expect(err(() => encodeValue(B.DateTime, -1, 'soon')).message).toMatch(/not a date/);
    expect(encodeValue(B.Guid, -1, '09087e75-8e5e-499b-954f-f2a9603db28a').value).toBe('09087e75-8e5e-499b-954f-f2a9603db28a');
    expect(err(() => encodeValue(B.Guid, -1, 'nope')).message).toBe('"nope" is not a GUID');
    expect(encodeValue(B.ByteString, -1, [1, 2]).value).toEqual(Buffer.from([1, 2]));
    expect(err(() => encodeValue(B.ByteString, -1, [1, 256])).message).toMatch(/256 is not one/);
    expect(encodeValue(B.Byte, 1, [1, 2])).toEqual({ builtin: B.Byte, arrayKind: ArrayKind.Array, value: Uint8Array.from([1, 2]) });
  });

  it('refuses types and shapes it does not write', () => {
    const structure = err(() => encodeValue(B.ExtensionObject, -1, 'x'));
    expect(structure.unsupported).toBe(true);
    expect(structure.message).toBe('writing a value of type ExtensionObject is not supported');
    expect(err(() => encodeValue(B.Double, 1, 1)).unsupported).toBe(true);
  });
});
