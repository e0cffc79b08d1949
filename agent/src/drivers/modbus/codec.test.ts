import { describe, expect, it } from 'vitest';
import { MODBUS_ORDERS_16, MODBUS_ORDERS_32, MODBUS_ORDERS_64, type ModbusOrder16, type ModbusOrder32, type ModbusOrder64, type TagType } from '@edgefleet/protocol';
import { bitDecoder, decodeBit, decodeRegisters, encodeBit, encodeRegisters, registersToWire, wireToRegisters, wordDecoder } from './codec.js';
import { ModbusValueError } from './errors.js';
import { resolvePoint, type ModbusPoint } from './point.js';

const DEFAULTS: { addressBase: 0 | 1; order16: ModbusOrder16; order32: ModbusOrder32; order64: ModbusOrder64 } = { addressBase: 1, order16: 'AB', order32: 'ABCD', order64: 'ABCDEFGH' };

function pt(address: string, type: TagType, access: 'r' | 'rw' = 'rw', defaults = DEFAULTS): ModbusPoint {
  const r = resolvePoint({ name: 't', address, type, access }, defaults);
  if (!r.ok) throw new Error(r.message);
  return r.point;
}

const hex = (registers: number[]) => Buffer.from(registersToWire(registers)).toString('hex');
const regs = (wireHex: string) => wireToRegisters(Buffer.from(wireHex, 'hex'));

describe('wire bytes', () => {
  it('puts each register high byte first', () => {
    expect(hex([0x0102, 0xa0ff])).toBe('0102a0ff');
    expect(regs('0102a0ff')).toEqual([0x0102, 0xa0ff]);
    expect(regs('01')).toEqual([0x0100]);
  });
});

describe('16-bit orders', () => {
  const cases: Array<[string, string]> = [
    ['', '1234'],
    ['#L', '1234'],
    ['#AB', '1234'],
    ['#B', '3412'],
    ['#BA', '3412'],
  ];
  for (const [suffix, wire] of cases) {
    it(`uint16 0x1234 with '${suffix || 'default'}' is ${wire} on the wire, both ways`, () => {
      const p = pt(`1!400001${suffix}`, 'uint16');
      expect(decodeRegisters(p, regs(wire))).toBe(0x1234);
      expect(hex(encodeRegisters(p, 0x1234))).toBe(wire);
    });
  }

  it('int16 is signed, uint16 is not', () => {
    expect(decodeRegisters(pt('1!400001', 'int16'), [0xffff])).toBe(-1);
    expect(decodeRegisters(pt('1!400001', 'uint16'), [0xffff])).toBe(65_535);
    expect(decodeRegisters(pt('1!400001#B', 'int16'), [0x0080])).toBe(-32_768);
    expect(encodeRegisters(pt('1!400001', 'int16'), -2)).toEqual([0xfffe]);
  });

  it('takes the device default when the tag names no order', () => {
    const p = pt('1!400001', 'uint16', 'rw', { ...DEFAULTS, order16: 'BA' });
    expect(decodeRegisters(p, [0x3412])).toBe(0x1234);
  });
});

describe('32-bit orders', () => {
  // The value 0x01020304: byte 1 is the most significant.
  const cases: Array<[string, string]> = [
    ['#LL', '01020304'],
    ['#ABCD', '01020304'],
    ['#LB', '02010403'],
    ['#BADC', '02010403'],
    ['#BL', '03040102'],
    ['#CDAB', '03040102'],
    ['#BB', '04030201'],
    ['#DCBA', '04030201'],
  ];
  for (const type of ['int32', 'uint32'] as const) {
    for (const [suffix, wire] of cases) {
      it(`${type} 0x01020304 with ${suffix} is ${wire}`, () => {
        const p = pt(`1!400001${suffix}`, type);
        expect(decodeRegisters(p, regs(wire))).toBe(0x01020304);
        expect(hex(encodeRegisters(p, 0x01020304))).toBe(wire);
      });
    }
  }
  // 1.5 is 0x3fc00000.
  const float: Array<[string, string]> = [
    ['#LL', '3fc00000'],
    ['#LB', 'c03f0000'],
    ['#BL', '00003fc0'],
    ['#BB', '0000c03f'],
    ['#CDAB', '00003fc0'],
  ];
  for (const [suffix, wire] of float) {
    it(`float32 1.5 with ${suffix} is ${wire}`, () => {
      const p = pt(`1!400001${suffix}`, 'float32');
      expect(hex(encodeRegisters(p, 1.5))).toBe(wire);
      expect(decodeRegisters(p, regs(wire))).toBe(1.5);
    });
  }

  it('int32 is signed, uint32 is not', () => {
    expect(decodeRegisters(pt('1!400001', 'int32'), [0xffff, 0xfffe])).toBe(-2);
    expect(decodeRegisters(pt('1!400001', 'uint32'), [0xffff, 0xfffe])).toBe(4_294_967_294);
    expect(decodeRegisters(pt('1!400001#BB', 'int32'), [0xfeff, 0xffff])).toBe(-2);
  });

  it('float32 keeps the single-precision value', () => {
    const p = pt('1!400001', 'float32');
    expect(decodeRegisters(p, encodeRegisters(p, 0.1))).toBe(Math.fround(0.1));
    expect(decodeRegisters(p, encodeRegisters(p, -273.15))).toBe(Math.fround(-273.15));
  });
});

describe('64-bit orders', () => {
  // 0x0102030405060708
  const cases: Array<[string, string]> = [
    ['#LL', '0102030405060708'],
    ['#ABCDEFGH', '0102030405060708'],
    ['#LB', '0201040306050807'],
    ['#BADCFEHG', '0201040306050807'],
    ['#BL', '0708050603040102'],
    ['#GHEFCDAB', '0708050603040102'],
    ['#BB', '0807060504030201'],
    ['#HGFEDCBA', '0807060504030201'],
  ];
  for (const type of ['int64', 'uint64'] as const) {
    for (const [suffix, wire] of cases) {
      it(`${type} 0x0102030405060708 with ${suffix} is ${wire}`, () => {
        const p = pt(`1!400001${suffix}`, type);
        // Beyond 2^53: a decimal string.
        expect(decodeRegisters(p, regs(wire))).toBe('72623859790382856');
        expect(hex(encodeRegisters(p, '72623859790382856'))).toBe(wire);
      });
    }
  }
  for (const [suffix] of cases) {
    it(`float64 round-trips with ${suffix}`, () => {
      const p = pt(`1!400001${suffix}`, 'float64');
      for (const v of [Math.PI, -1e300, 5e-324, 0]) expect(decodeRegisters(p, encodeRegisters(p, v))).toBe(v);
    });
  }

  it('float64 -> big-endian bytes under ABCDEFGH and reversed under HGFEDCBA', () => {
    // 1.0 = 3ff0000000000000
    expect(hex(encodeRegisters(pt('1!400001', 'float64'), 1))).toBe('3ff0000000000000');
    expect(hex(encodeRegisters(pt('1!400001#BB', 'float64'), 1))).toBe('000000000000f03f');
    expect(hex(encodeRegisters(pt('1!400001#BL', 'float64'), 1))).toBe('000000000000' + '3ff0');
  });

  it('integers within ±2^53 are numbers, beyond are decimal strings', () => {
    const i64 = pt('1!400001', 'int64');
    const u64 = pt('1!400001', 'uint64');
    expect(decodeRegisters(i64, [0xffff, 0xffff, 0xffff, 0xffff])).toBe(-1);
    expect(decodeRegisters(u64, [0xffff, 0xffff, 0xffff, 0xffff])).toBe('18446744073709551615');
    expect(decodeRegisters(i64, [0x8000, 0, 0, 0])).toBe('-9223372036854775808');
    expect(decodeRegisters(i64, encodeRegisters(i64, Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeRegisters(i64, encodeRegisters(i64, Number.MAX_SAFE_INTEGER + 1))).toBe('9007199254740992');
    expect(decodeRegisters(i64, encodeRegisters(i64, '-42'))).toBe(-42);
    expect(decodeRegisters(u64, encodeRegisters(u64, '18446744073709551615'))).toBe('18446744073709551615');
  });
});

describe('bits', () => {
  it('reads a bit of a register: bit as 0/1, bool as true/false', () => {
    expect(decodeRegisters(pt('1!400001.0', 'bit', 'r'), [0b1000_0000_0000_0001])).toBe(1);
    expect(decodeRegisters(pt('1!400001.1', 'bit', 'r'), [0b1000_0000_0000_0001])).toBe(0);
    expect(decodeRegisters(pt('1!400001.15', 'bool', 'r'), [0b1000_0000_0000_0001])).toBe(true);
    expect(decodeRegisters(pt('1!300001.14', 'bool', 'r'), [0b1000_0000_0000_0001])).toBe(false);
  });

  it('refuses to write a bit of a register', () => {
    const p = { ...pt('1!400001.3', 'bit', 'r'), writable: true };
    expect(() => encodeRegisters(p, 1)).toThrow(/overwrite the other 15 bits/);
  });

  it('coils and discrete inputs', () => {
    expect(decodeBit(pt('1!000001', 'bit'), true)).toBe(1);
    expect(decodeBit(pt('1!000001', 'bool'), false)).toBe(false);
    expect(decodeBit(pt('1!100001', 'bool', 'r'), true)).toBe(true);
    const coil = pt('1!000001', 'bool');
    expect([true, false, 1, 0, 'true', '0'].map((v) => encodeBit(coil, v))).toEqual([true, false, true, false, true, false]);
    expect(() => encodeBit(coil, 2)).toThrow("tag 't' (bool) takes true/false or 1/0, not 2");
    expect(() => encodeBit(coil, 'on')).toThrow(ModbusValueError);
  });
});

describe('strings and bytes', () => {
  const text = 'ABCDE';
  const cases: Array<[string, number[]]> = [
    ['H', [0x4142, 0x4344, 0x4500]],
    ['L', [0x4241, 0x4443, 0x0045]],
    ['D', [0x41, 0x42, 0x43, 0x44, 0x45]],
    ['E', [0x4100, 0x4200, 0x4300, 0x4400, 0x4500]],
  ];
  for (const [mode, registers] of cases) {
    it(`mode ${mode}: '${text}' in 5 bytes`, () => {
      const p = pt(`1!400001.5${mode}`, 'string');
      expect(p.span).toBe(registers.length);
      expect(encodeRegisters(p, text)).toEqual(registers);
      expect(decodeRegisters(p, registers)).toBe(text);
    });
  }

  it('pads with NUL and stops at the first NUL', () => {
    const p = pt('1!400001.10H', 'string');
    expect(encodeRegisters(p, 'OK')).toEqual([0x4f4b, 0, 0, 0, 0]);
    expect(decodeRegisters(p, [0x4f4b, 0, 0x4142, 0, 0])).toBe('OK');
    expect(decodeRegisters(p, [0x4f4b, 0x4c, 0, 0, 0])).toBe('OK');
    expect(pt('1!400001.10', 'string').stringMode).toBe('H');
  });

  it('counts UTF-8 bytes against the length', () => {
    const p = pt('1!400001.4H', 'string');
    expect(decodeRegisters(p, encodeRegisters(p, 'çà'))).toBe('çà');
    expect(() => encodeRegisters(p, 'été')).toThrow("'été' is 5 bytes in UTF-8; tag 't' holds at most 4");
    expect(() => encodeRegisters(p, 12)).toThrow('takes a string, not 12');
  });

  it('bytes are octets, high byte first, not cut at NUL', () => {
    const p = pt('1!400001.5', 'bytes');
    expect(decodeRegisters(p, [0x0100, 0xff02, 0x0300])).toEqual([1, 0, 255, 2, 3]);
    expect(encodeRegisters(p, [1, 0, 255])).toEqual([0x0100, 0xff00, 0]);
    expect(() => encodeRegisters(p, [1, 2, 3, 4, 5, 6])).toThrow('6 bytes; tag');
    expect(() => encodeRegisters(p, [256])).toThrow('array of octets');
  });
});

describe('range checks on write', () => {
  const bounds: Array<[TagType, string, number | string, number | string]> = [
    ['int16', '1!400001', -32_768, 32_767],
    ['uint16', '1!400001', 0, 65_535],
    ['int32', '1!400001', -2_147_483_648, 2_147_483_647],
    ['uint32', '1!400001', 0, 4_294_967_295],
    ['int64', '1!400001', '-9223372036854775808', '9223372036854775807'],
    ['uint64', '1!400001', 0, '18446744073709551615'],
  ];
  for (const [type, address, min, max] of bounds) {
    it(`${type} accepts ${min}…${max} and refuses one beyond either end`, () => {
      const p = pt(address, type);
      expect(decodeRegisters(p, encodeRegisters(p, min))).toBe(min);
      expect(decodeRegisters(p, encodeRegisters(p, max))).toBe(max);
      const below = typeof min === 'string' ? (BigInt(min) - 1n).toString() : min - 1;
      const above = typeof max === 'string' ? (BigInt(max) + 1n).toString() : max + 1;
      expect(() => encodeRegisters(p, below)).toThrow(new RegExp(`out of range for tag 't' \\(${type}: `));
      expect(() => encodeRegisters(p, above)).toThrow(new RegExp(`out of range for tag 't' \\(${type}: `));
    });
  }

  it('rounds scaled residue to the nearest integer and accepts decimal strings', () => {
    const p = pt('1!400001', 'int16');
    expect(encodeRegisters(p, 125.00000000000001)).toEqual([125]);
    expect(encodeRegisters(p, '-7')).toEqual([0xfff9]);
    expect(() => encodeRegisters(p, 'abc')).toThrow("tag 't' (int16) takes a number, not \"abc\"");
    expect(() => encodeRegisters(p, true)).toThrow('takes a number');
    expect(() => encodeRegisters(p, Number.NaN)).toThrow('takes a number');
  });

  it('floats: finite only, float32 within its range', () => {
    expect(() => encodeRegisters(pt('1!400001', 'float32'), 1e39)).toThrow('out of range for tag \'t\' (float32');
    expect(() => encodeRegisters(pt('1!400001', 'float64'), Number.POSITIVE_INFINITY)).toThrow('takes a finite number');
    expect(decodeRegisters(pt('1!400001', 'float64'), encodeRegisters(pt('1!400001', 'float64'), '2.5'))).toBe(2.5);
  });

  it('a NaN or infinite float read is an error, not a value JSON cannot carry', () => {
    expect(() => decodeRegisters(pt('1!400001', 'float32'), [0x7fc0, 0])).toThrow('holds NaN');
    expect(() => decodeRegisters(pt('1!400001', 'float64'), [0x7ff0, 0, 0, 0])).toThrow('holds Infinity');
  });
});

describe('the decoders made per tag for the read loop', () => {
  /** What decodeRegisters gives for the tag's registers at `at`, with a read failure as undefined. */
  const reference = (p: ModbusPoint, words: number[], at: number) => {
    try {
      return decodeRegisters(p, words.slice(at, at + p.span));
    } catch (err) {
      if (err instanceof ModbusValueError) return undefined;
      throw err;
    }
  };
  // Deterministic words, with the edges (sign bits, all ones, NaN and infinity patterns) mixed in.
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const EDGES = [0, 1, 0x7fff, 0x8000, 0xffff, 0x7fc0, 0x7f80, 0xff80, 0x7ff0, 0xfff0, 0x7ff8, 0x00ff, 0xff00];
  const words = (n: number) => Array.from({ length: n }, () => (random() % 3 === 0 ? EDGES[random() % EDGES.length]! : random() & 0xffff));

  const numeric: Array<[TagType, readonly string[]]> = [
    ['int16', MODBUS_ORDERS_16],
    ['uint16', MODBUS_ORDERS_16],
    ['int32', MODBUS_ORDERS_32],
    ['uint32', MODBUS_ORDERS_32],
    ['float32', MODBUS_ORDERS_32],
    ['int64', MODBUS_ORDERS_64],
    ['uint64', MODBUS_ORDERS_64],
    ['float64', MODBUS_ORDERS_64],
  ];
  for (const [type, orders] of numeric) {
    for (const order of orders) {
      it(`${type} ${order}: the same values as decodeRegisters, at any offset in a block`, () => {
        const p = pt(`1!400001#${order}`, type, 'r');
        const decode = wordDecoder(p);
        for (let i = 0; i < 2000; i++) {
          const block = words(p.span + 5);
          const at = i % 6;
          expect(decode(block, at)).toStrictEqual(reference(p, block, at));
        }
      });
    }
  }

  it('a bit of a register, strings and bytes: the same values as decodeRegisters', () => {
    const points = [
      ...Array.from({ length: 16 }, (_, b) => pt(`1!400001.${b}`, 'bit', 'r')),
      ...Array.from({ length: 16 }, (_, b) => pt(`1!300001.${b}`, 'bool', 'r')),
      ...['H', 'L', 'D', 'E'].map((m) => pt(`1!400001.7${m}`, 'string')),
      pt('1!400001.4', 'bytes'),
      pt('1!400001.5', 'bytes'),
    ];
    for (const p of points) {
      const decode = wordDecoder(p);
      for (let i = 0; i < 200; i++) {
        // Printable ASCII and NULs, so the strings compare exactly.
        const block = p.type === 'string' ? Array.from({ length: p.span + 3 }, () => (random() % 5 === 0 ? 0 : 0x2020 + (random() % 0x5e) * 0x101)) : words(p.span + 3);
        const at = i % 4;
        expect(decode(block, at)).toStrictEqual(reference(p, block, at));
      }
    }
  });

  it('NaN and infinite floats are undefined (a read failure)', () => {
    expect(wordDecoder(pt('1!400001', 'float32'))([0x7fc0, 0], 0)).toBeUndefined();
    expect(wordDecoder(pt('1!400001#CDAB', 'float32'))([0, 0x7f80], 0)).toBeUndefined();
    expect(wordDecoder(pt('1!400001', 'float64'))([9, 0x7ff0, 0, 0, 0], 1)).toBeUndefined();
    expect(wordDecoder(pt('1!400001', 'float32'))([0x3fc0, 0], 0)).toBe(1.5);
  });

  it('coils and discrete inputs: the same values as decodeBit', () => {
    for (const p of [pt('1!000001', 'bit'), pt('1!000001', 'bool'), pt('1!100001', 'bool', 'r'), pt('1!100001', 'bit', 'r')]) {
      const decode = bitDecoder(p);
      for (const on of [true, false]) expect(decode([!on, on, !on], 1)).toStrictEqual(decodeBit(p, on));
    }
  });
});
