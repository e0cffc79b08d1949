import { describe, expect, it } from 'vitest';
import { resolvePoint } from './point.js';

const settings = { addressBase: 1 as 0 | 1, order16: 'AB' as const, order32: 'CDAB' as const, order64: 'ABCDEFGH' as const };

describe('resolvePoint', () => {
  it('turns a Neuron address into wire terms: slave, area, zero-based offset, span, order', () => {
    expect(resolvePoint({ name: 'a', address: '2!400010', type: 'float32', access: 'r' }, settings)).toEqual({
      ok: true,
      point: { name: 'a', type: 'float32', writable: false, slave: 2, area: 4, offset: 9, span: 2, order: 'CDAB', stringMode: 'H' },
    });
    expect(resolvePoint({ name: 'b', address: '1!400001#BB', type: 'float64', access: 'rw' }, settings)).toMatchObject({ ok: true, point: { offset: 0, span: 4, order: 'HGFEDCBA', writable: true } });
    expect(resolvePoint({ name: 'c', address: '1!300005.7', type: 'bool', access: 'r' }, settings)).toMatchObject({ ok: true, point: { area: 3, offset: 4, bit: 7, span: 1 } });
    expect(resolvePoint({ name: 'd', address: '1!400001.9E', type: 'string', access: 'r' }, settings)).toMatchObject({ ok: true, point: { span: 9, length: 9, stringMode: 'E' } });
    expect(resolvePoint({ name: 'e', address: '1!000100', type: 'bit', access: 'rw' }, { ...settings, addressBase: 0 })).toMatchObject({ ok: true, point: { area: 0, offset: 100, span: 1 } });
  });

  it('explains a tag it cannot use', () => {
    expect(resolvePoint({ name: 'x', address: '1!500001', type: 'int16', access: 'r' }, settings)).toEqual({
      ok: false,
      message: "tag 'x': '1!500001': area 5 does not exist; use 0 (coils), 1 (discrete inputs), 3 (input registers) or 4 (holding registers)",
    });
    expect(resolvePoint({ name: 'y', address: '1!300001', type: 'int16', access: 'rw' }, settings)).toEqual({
      ok: false,
      message: "tag 'y' (1!300001): input registers are read only; use a holding register (area 4) to write",
    });
  });
});
