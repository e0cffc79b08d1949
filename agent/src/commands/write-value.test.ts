import { describe, expect, it } from 'vitest';
import type { Tag, TagType } from '@edgefleet/protocol';
import { AgentError } from '../util/errors.js';
import { rawWriteValue } from './write-value.js';

const tag = (type: TagType, over: Partial<Tag> = {}): Tag => ({ name: 't', address: 'x', type, access: 'rw', ...over });
const refusal = (t: Tag, value: Parameters<typeof rawWriteValue>[1]): string => {
  try {
    rawWriteValue(t, value);
  } catch (err) {
    if (err instanceof AgentError) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error('the value was accepted');
};

describe('rawWriteValue', () => {
  it('undoes scale and offset, and rounds integer tags to the nearest whole number', () => {
    expect(rawWriteValue(tag('float64', { scale: 10, offset: 1 }), 51)).toBe(5);
    // 2.5 / 0.1 is 24.999… in floating point: an int16 gets 25.
    expect(rawWriteValue(tag('int16', { scale: 0.1 }), 2.5)).toBe(25);
    expect(rawWriteValue(tag('uint16'), 65_535)).toBe(65_535);
  });

  it('takes booleans (or 1 and 0) for bool and bit, strings, and octet arrays', () => {
    expect(rawWriteValue(tag('bool'), true)).toBe(true);
    expect(rawWriteValue(tag('bit'), 0)).toBe(false);
    expect(rawWriteValue(tag('string'), 'run')).toBe('run');
    expect(rawWriteValue(tag('bytes'), [1, 255])).toEqual([1, 255]);
  });

  it('keeps 64-bit integers beyond 2^53 as decimal strings', () => {
    expect(rawWriteValue(tag('uint64'), '18446744073709551615')).toBe('18446744073709551615');
    expect(rawWriteValue(tag('int64'), '42')).toBe(42);
  });

  it('refuses what does not fit the type, naming the tag and the rule', () => {
    expect(refusal(tag('int16'), 32_768)).toBe("VALIDATION_FAILED: value: tag 't' is int16; the raw value 32768 is outside -32768…32767");
    expect(refusal(tag('uint32'), -1)).toBe("VALIDATION_FAILED: value: tag 't' is uint32; the raw value -1 is outside 0…4294967295");
    expect(refusal(tag('uint64'), '18446744073709551616')).toContain('is outside 0…18446744073709551615');
    expect(refusal(tag('int32'), 'ten')).toBe("VALIDATION_FAILED: value: tag 't' is int32; write a whole number");
    expect(refusal(tag('int64', { scale: 2 }), '10')).toContain('a scaled tag takes a number, not a string');
    expect(refusal(tag('bool'), 2)).toContain('write true or false (or 1 or 0)');
    expect(refusal(tag('float32'), 1e39)).toContain('does not fit a 32-bit float');
    expect(refusal(tag('float64'), 'x')).toContain('write a finite number');
    expect(refusal(tag('string'), 1)).toContain('write a string');
    expect(refusal(tag('bytes'), 'ab')).toContain('write an array of octets');
  });
});
