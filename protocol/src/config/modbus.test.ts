import { describe, expect, it } from 'vitest';
import {
  ModbusRtuSettingsSchema,
  ModbusTcpSettingsSchema,
  checkModbusTag,
  modbusOffset,
  modbusStringLength,
  modbusTagSpan,
  normaliseModbusOrder,
  parseModbusAddress,
  resolveModbusOrder,
  type ModbusAddress,
} from './modbus.js';
import type { TagAccess, TagType } from './tag.js';

function parsed(text: string): ModbusAddress {
  const r = parseModbusAddress(text);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

/** The problem checkModbusTag finds, or undefined. */
function check(text: string, type: TagType, access: TagAccess = 'r', base: 0 | 1 = 1): string | undefined {
  return checkModbusTag(parsed(text), type, access, base);
}

const DEFAULTS = { order16: 'AB', order32: 'ABCD', order64: 'ABCDEFGH' } as const;

describe('parseModbusAddress', () => {
  it('reads the slave, the area and the address of every area', () => {
    expect(parsed('1!000001')).toEqual({ slave: 1, area: 0, address: 1 });
    expect(parsed('2!100010')).toEqual({ slave: 2, area: 1, address: 10 });
    expect(parsed('17!300100')).toEqual({ slave: 17, area: 3, address: 100 });
    expect(parsed('255!465536')).toEqual({ slave: 255, area: 4, address: 65_536 });
    expect(parsed(' 0!400000 ')).toEqual({ slave: 0, area: 4, address: 0 });
  });

  it('reads a bit, a string length with its mode, and the order in either place', () => {
    expect(parsed('1!400010.4')).toEqual({ slave: 1, area: 4, address: 10, bit: 4 });
    expect(parsed('1!400001.10H')).toEqual({ slave: 1, area: 4, address: 1, length: 10, stringMode: 'H' });
    expect(parsed('1!400001.7l')).toMatchObject({ length: 7, stringMode: 'L' });
    expect(parsed('1!400001.3D').stringMode).toBe('D');
    expect(parsed('1!400001.3E').stringMode).toBe('E');
    expect(parsed('1!400010#BB')).toEqual({ slave: 1, area: 4, address: 10, order: 'BB' });
    expect(parsed('1!400010#cdab')).toMatchObject({ order: 'CDAB' });
    expect(parsed('1!400010.2#LB')).toMatchObject({ bit: 2, order: 'LB' });
  });

  it('explains what is wrong', () => {
    const message = (text: string) => {
      const r = parseModbusAddress(text);
      return r.ok ? undefined : r.message;
    };
    expect(message('400001')).toBe("'400001' is not a Modbus address: expected slave!<area><address>[#order][.bit|.len[H|L|D|E]], e.g. 1!400001 or 1!400010#BB");
    expect(message('1!4000001')).toMatch(/is not a Modbus address/);
    expect(message('300!400001')).toBe("'300!400001': slave 300 is out of range (0–255)");
    expect(message('1!200001')).toBe("'1!200001': area 2 does not exist; use 0 (coils), 1 (discrete inputs), 3 (input registers) or 4 (holding registers)");
    expect(message('1!400001.10X')).toBe("'1!400001.10X': string mode 'X' is unknown; use H, L, D or E");
    expect(message('1!400001#LL.2#BB')).toBe("'1!400001#LL.2#BB': give the byte order once");
  });
});

describe('orders', () => {
  it('maps Neuron suffixes to letters by width', () => {
    const cases: Array<[string, TagType, string]> = [
      ['L', 'int16', 'AB'],
      ['B', 'uint16', 'BA'],
      ['LL', 'int32', 'ABCD'],
      ['LB', 'float32', 'BADC'],
      ['BL', 'uint32', 'CDAB'],
      ['BB', 'float32', 'DCBA'],
      ['LL', 'int64', 'ABCDEFGH'],
      ['LB', 'uint64', 'BADCFEHG'],
      ['BL', 'float64', 'GHEFCDAB'],
      ['BB', 'int64', 'HGFEDCBA'],
    ];
    for (const [suffix, type, letters] of cases) expect(normaliseModbusOrder(suffix, type)).toEqual({ ok: true, value: letters });
  });

  it('accepts the letter forms of the right width only', () => {
    for (const o of ['AB', 'BA']) expect(normaliseModbusOrder(o, 'int16')).toEqual({ ok: true, value: o });
    for (const o of ['ABCD', 'BADC', 'CDAB', 'DCBA']) expect(normaliseModbusOrder(o, 'float32')).toEqual({ ok: true, value: o });
    for (const o of ['ABCDEFGH', 'BADCFEHG', 'GHEFCDAB', 'HGFEDCBA']) expect(normaliseModbusOrder(o, 'uint64')).toEqual({ ok: true, value: o });
    expect(normaliseModbusOrder('ABCD', 'int16')).toEqual({ ok: false, message: "byte order 'ABCD' does not fit a 16-bit int16; use L, B, AB, BA" });
    expect(normaliseModbusOrder('L', 'int32')).toEqual({ ok: false, message: "byte order 'L' does not fit a 32-bit int32; use LL, LB, BL, BB, ABCD, BADC, CDAB, DCBA" });
    expect(normaliseModbusOrder('ACBD', 'float64')).toMatchObject({ ok: false, message: expect.stringContaining('ABCDEFGH, BADCFEHG, GHEFCDAB, HGFEDCBA') });
    expect(normaliseModbusOrder('BB', 'string')).toEqual({ ok: false, message: 'a string tag takes no byte order' });
  });

  it('resolves a tag order, else the device default for its width', () => {
    expect(resolveModbusOrder(parsed('1!400001#BL'), 'float32', DEFAULTS)).toBe('CDAB');
    expect(resolveModbusOrder(parsed('1!400001'), 'float32', { ...DEFAULTS, order32: 'DCBA' })).toBe('DCBA');
    expect(resolveModbusOrder(parsed('1!400001'), 'int16', { ...DEFAULTS, order16: 'BA' })).toBe('BA');
    expect(resolveModbusOrder(parsed('1!400001'), 'uint64', DEFAULTS)).toBe('ABCDEFGH');
    expect(resolveModbusOrder(parsed('1!400001.3'), 'bit', DEFAULTS)).toBeUndefined();
  });
});

describe('spans, lengths and offsets', () => {
  it('counts registers by type, bits in bit areas', () => {
    expect(modbusTagSpan(parsed('1!400001'), 'int16')).toBe(1);
    expect(modbusTagSpan(parsed('1!400001'), 'float32')).toBe(2);
    expect(modbusTagSpan(parsed('1!400001'), 'uint64')).toBe(4);
    expect(modbusTagSpan(parsed('1!400001.3'), 'bool')).toBe(1);
    expect(modbusTagSpan(parsed('1!000001'), 'bool')).toBe(1);
    expect(modbusTagSpan(parsed('1!400001.11H'), 'string')).toBe(6);
    expect(modbusTagSpan(parsed('1!400001.11L'), 'string')).toBe(6);
    expect(modbusTagSpan(parsed('1!400001.11D'), 'string')).toBe(11);
    expect(modbusTagSpan(parsed('1!400001.11E'), 'string')).toBe(11);
    expect(modbusTagSpan(parsed('1!400001.10'), 'bytes')).toBe(5);
    expect(modbusStringLength(parsed('1!400001.10'))).toBe(10);
  });

  it('turns the written address into the wire address by the address base', () => {
    expect(modbusOffset(parsed('1!400001'), 1)).toBe(0);
    expect(modbusOffset(parsed('1!400001'), 0)).toBe(1);
    expect(modbusOffset(parsed('1!465536'), 1)).toBe(65_535);
  });
});

describe('checkModbusTag', () => {
  it('accepts good tags of every area and type', () => {
    expect(check('1!000001', 'bool', 'rw')).toBeUndefined();
    expect(check('1!000001', 'bit')).toBeUndefined();
    expect(check('1!100001', 'bool')).toBeUndefined();
    expect(check('1!300001', 'int16')).toBeUndefined();
    expect(check('1!300001.15', 'bit')).toBeUndefined();
    for (const type of ['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64'] as const) {
      expect(check('1!400001', type, 'rw')).toBeUndefined();
    }
    expect(check('1!400001#BB', 'float64', 'rw')).toBeUndefined();
    expect(check('1!400001.20H', 'string', 'rw')).toBeUndefined();
    expect(check('1!400001.20', 'string')).toBeUndefined();
    expect(check('1!400001.6', 'bytes', 'rw')).toBeUndefined();
    expect(check('1!400000', 'int16', 'r', 0)).toBeUndefined();
  });

  it('names the reason a tag does not fit', () => {
    const cases: Array<[string, TagType, TagAccess, 0 | 1, string]> = [
      ['1!400000', 'int16', 'r', 1, 'holding register address 0 is out of range (1–65536 with address base 1)'],
      ['1!465537', 'int16', 'r', 1, 'holding register address 65537 is out of range (1–65536 with address base 1)'],
      ['1!000001', 'int16', 'r', 1, 'a coil holds one bit: use type bit or bool, not int16'],
      ['1!000001.1', 'bool', 'r', 1, 'a coil takes no .bit or .len'],
      ['1!100001#BB', 'bool', 'r', 1, 'a discrete input takes no byte order'],
      ['1!100001', 'bool', 'rw', 1, 'discrete inputs are read only'],
      ['1!400001', 'bit', 'r', 1, 'a bit tag in a register needs the bit: add .0 to .15 (e.g. 1!400001.3)'],
      ['1!400001.16', 'bool', 'r', 1, 'bit 16 is out of range (0–15)'],
      ['1!400001.2#B', 'bool', 'r', 1, 'a bit of a register takes no byte order'],
      ['1!400001.2', 'bool', 'rw', 1, 'a bit inside a register is read only (writing it would overwrite the other 15 bits)'],
      ['1!400001.2H', 'bit', 'r', 1, 'a bit tag takes no string mode; give the bit of the register as .0 to .15'],
      ['1!400001', 'string', 'r', 1, 'a string tag needs its length in bytes: add .len (e.g. 1!400001.10H)'],
      ['1!400001.0H', 'string', 'r', 1, 'the length must be at least 1 byte'],
      ['1!400001.10H#BB', 'string', 'r', 1, 'a string tag takes no byte order (the H/L/D/E mode sets it)'],
      ['1!400001.10D', 'bytes', 'r', 1, 'a bytes tag takes no string mode'],
      ['1!400001.126D', 'string', 'r', 1, '126 bytes need 126 registers; one read carries at most 125'],
      ['1!465536.4H', 'string', 'r', 1, 'the tag runs past register 65535'],
      ['1!465534', 'int64', 'r', 1, 'the tag runs past register 65535'],
      ['1!465536', 'float32', 'r', 1, 'the tag runs past register 65535'],
      ['1!400001.3', 'int16', 'r', 1, 'an int16 tag takes no .bit or .len'],
      ['1!400001.4H', 'uint32', 'r', 1, 'a uint32 tag takes no .bit or .len'],
      ['1!400001#LL', 'int16', 'r', 1, "byte order 'LL' does not fit a 16-bit int16; use L, B, AB, BA"],
      ['1!300001', 'int16', 'rw', 1, 'input registers are read only; use a holding register (area 4) to write'],
    ];
    for (const [text, type, access, base, message] of cases) expect({ text, problem: check(text, type, access, base) }).toEqual({ text, problem: message });
  });
});

describe('settings', () => {
  it('fills in the documented defaults', () => {
    expect(ModbusTcpSettingsSchema.parse({ host: '10.0.0.5' })).toEqual({
      host: '10.0.0.5',
      port: 502,
      timeoutMs: 3000,
      retries: 1,
      retryIntervalMs: 100,
      requestDelayMs: 0,
      addressBase: 1,
      maxRegistersPerRequest: 125,
      maxBitsPerRequest: 2000,
      maxGapRegisters: 10,
      maxGapBits: 160,
      failuresBeforeBackoff: 3,
      backoffMs: 10_000,
      order16: 'AB',
      order32: 'ABCD',
      order64: 'ABCDEFGH',
    });
    expect(ModbusRtuSettingsSchema.parse({ path: '/dev/ttyUSB0' })).toMatchObject({ baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1, timeoutMs: 3000 });
  });

  it('refuses settings out of range and unknown keys', () => {
    expect(ModbusTcpSettingsSchema.safeParse({ host: 'x', maxRegistersPerRequest: 126 }).success).toBe(false);
    expect(ModbusTcpSettingsSchema.safeParse({ host: 'x', order32: 'ACBD' }).success).toBe(false);
    expect(ModbusTcpSettingsSchema.safeParse({ host: 'x', addressBase: 2 }).success).toBe(false);
    expect(ModbusTcpSettingsSchema.safeParse({ host: 'x', baudRate: 9600 }).success).toBe(false);
  });
});
