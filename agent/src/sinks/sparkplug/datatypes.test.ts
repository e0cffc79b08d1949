import { describe, expect, it } from 'vitest';
import { TagSchema } from '@edgefleet/protocol';
import { publishedTagType, toSparkplugValue } from './datatypes.js';

describe('Sparkplug datatypes', () => {
  it('publishes a scaled integer tag as float64', () => {
    const tag = (extra: object) => TagSchema.parse({ name: 't', address: '40001', type: 'int16', ...extra });
    expect(publishedTagType(tag({}))).toBe('int16');
    expect(publishedTagType(tag({ scale: 0.1 }))).toBe('float64');
    expect(publishedTagType(tag({ offset: -40 }))).toBe('float64');
    expect(publishedTagType(TagSchema.parse({ name: 't', address: '40001', type: 'float32', scale: 2 }))).toBe('float32');
  });

  it('refuses values that do not fit the datatype', () => {
    expect(toSparkplugValue('int16', 1.5)).toBeUndefined();
    expect(toSparkplugValue('int16', 32768)).toBeUndefined();
    expect(toSparkplugValue('uint16', -1)).toBeUndefined();
    expect(toSparkplugValue('uint64', '-1')).toBeUndefined();
    expect(toSparkplugValue('int64', '9223372036854775808')).toBeUndefined();
    expect(toSparkplugValue('int64', 2 ** 60)).toBeUndefined(); // not exact as a number: must come as a string
    expect(toSparkplugValue('bool', 2)).toBeUndefined();
    expect(toSparkplugValue('bytes', [256])).toBeUndefined();
    expect(toSparkplugValue('string', 1)).toBeUndefined();
    expect(toSparkplugValue('float64', '1.5')).toBeUndefined();
  });

  it('hands 64-bit integers over as exact numbers or canonical decimal strings', () => {
    expect(toSparkplugValue('int64', '-0042')).toBe(-42);
    expect(toSparkplugValue('uint64', '18446744073709551615')).toBe('18446744073709551615');
    expect(toSparkplugValue('bit', 0)).toBe(false);
  });
});
