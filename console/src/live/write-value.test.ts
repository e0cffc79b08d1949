import { describe, expect, it } from 'vitest';
import type { TagInfo } from './catalog';
import { initialInput, parseWriteValue } from './write-value';

const tag = (type: TagInfo['type'], extra: Partial<TagInfo> = {}): TagInfo => ({ name: 't', type, access: 'rw', ...extra });

describe('parseWriteValue', () => {
  it('takes on/off for bool (as a boolean) and bit (as 1/0, as it is published)', () => {
    expect(parseWriteValue(tag('bool'), true)).toEqual({ ok: true, value: true });
    expect(parseWriteValue(tag('bit'), false)).toEqual({ ok: true, value: 0 });
    expect(parseWriteValue(tag('bool'), 'yes').ok).toBe(false);
  });

  it('checks whole numbers against the range of the integer type', () => {
    expect(parseWriteValue(tag('int16'), ' -32768 ')).toEqual({ ok: true, value: -32768 });
    expect(parseWriteValue(tag('int16'), '40000')).toEqual({ ok: false, message: '40000 is outside -32768 to 32767, the range of int16' });
    expect(parseWriteValue(tag('uint16'), '2.5')).toEqual({ ok: false, message: 'uint16 takes a whole number from 0 to 65535' });
    expect(parseWriteValue(tag('uint32'), 'abc').ok).toBe(false);
    expect(parseWriteValue(tag('int16'), '')).toEqual({ ok: false, message: 'Enter a value' });
  });

  it('sends 64-bit integers beyond ±2^53 as decimal strings, so no digit is lost', () => {
    expect(parseWriteValue(tag('uint64'), '18446744073709551615')).toEqual({ ok: true, value: '18446744073709551615' });
    expect(parseWriteValue(tag('int64'), '42')).toEqual({ ok: true, value: 42 });
    expect(parseWriteValue(tag('uint64'), '18446744073709551616').ok).toBe(false);
  });

  it('checks a scaled integer by its raw value, as the agent will', () => {
    const setpoint = tag('int16', { scale: 0.1 });
    expect(parseWriteValue(setpoint, '2500.5')).toEqual({ ok: true, value: 2500.5 });
    const tooBig = parseWriteValue(setpoint, '4000');
    expect(tooBig).toEqual({ ok: false, message: '4000 is the raw value 40000 (scale 0.1, offset 0), outside -32768 to 32767 for int16' });
  });

  it('takes floats, says to use a decimal point, and bounds float32', () => {
    expect(parseWriteValue(tag('float64'), '-1.5e3')).toEqual({ ok: true, value: -1500 });
    expect(parseWriteValue(tag('float32'), '12,5')).toEqual({ ok: false, message: 'Use a point as the decimal separator (12.5, not 12,5)' });
    expect(parseWriteValue(tag('float32'), '1e39')).toEqual({ ok: false, message: '1e39 does not fit a 32-bit float' });
    expect(parseWriteValue(tag('float64'), 'NaN').ok).toBe(false);
  });

  it('takes strings as typed and bytes as octets', () => {
    expect(parseWriteValue(tag('string'), ' Batch 7 ')).toEqual({ ok: true, value: ' Batch 7 ' });
    expect(parseWriteValue(tag('bytes'), '0x01, 2 0xFF')).toEqual({ ok: true, value: [1, 2, 255] });
    expect(parseWriteValue(tag('bytes'), '256').ok).toBe(false);
  });
});

describe('initialInput', () => {
  it('starts from the current value', () => {
    expect(initialInput(tag('bool'), true)).toBe(true);
    expect(initialInput(tag('bit'), 0)).toBe(false);
    expect(initialInput(tag('int16'), 12)).toBe('12');
    expect(initialInput(tag('bytes'), [1, 2])).toBe('1 2');
    expect(initialInput(tag('string'), undefined)).toBe('');
  });
});
