import { describe, expect, it } from 'vitest';
import { TagErrorNumber } from '@edgefleet/protocol/browser';
import type { TagInfo } from './catalog';
import { describeTagError, describeTagType, formatTagValue } from './tag-format';

const tag = (type: TagInfo['type'], extra: Partial<TagInfo> = {}): TagInfo => ({ name: 't', type, access: 'r', ...extra });

describe('formatTagValue', () => {
  it('formats by type, with the unit and the precision of the tag', () => {
    expect(formatTagValue(21.456, tag('float32', { unit: '°C', precision: 1 }))).toBe('21.5 °C');
    expect(formatTagValue(23, tag('float32', { unit: '°C', precision: 1 }))).toBe('23.0 °C');
    expect(formatTagValue(0.1 + 0.2, tag('float64'))).toBe('0.3');
    expect(formatTagValue(1500, tag('uint16', { unit: 'rpm' }))).toBe('1500 rpm');
    expect(formatTagValue(true, tag('bool'))).toBe('true');
    expect(formatTagValue([0, 15, 255], tag('bytes'))).toBe('00 0F FF');
    expect(formatTagValue('9007199254740993', tag('uint64', { unit: 'pcs' }))).toBe('9007199254740993 pcs');
    expect(formatTagValue('42', tag('string', { unit: 'x' }))).toBe('42');
    expect(formatTagValue(7, null)).toBe('7');
  });
});

describe('describeTagError', () => {
  it('says what every error number of the protocol means', () => {
    for (const code of Object.values(TagErrorNumber)) {
      const d = describeTagError(code);
      expect(d.label).not.toMatch(/^Error /);
      expect(d.meaning.length).toBeGreaterThan(10);
    }
    expect(describeTagError(3022)).toMatchObject({ label: 'No response', meaning: expect.stringContaining('did not answer') });
  });

  it('names an unknown number rather than hiding it', () => {
    expect(describeTagError(9999)).toMatchObject({ code: 9999, label: 'Error 9999' });
  });
});

describe('describeTagType', () => {
  it('names the type and the scaling, leaving out what does nothing', () => {
    expect(describeTagType(tag('int16', { scale: 0.1 }))).toBe('int16 · × 0.1');
    expect(describeTagType(tag('int16', { scale: 0.1, offset: -40 }))).toBe('int16 · × 0.1 − 40');
    expect(describeTagType(tag('float32', { scale: 1, offset: 0 }))).toBe('float32');
  });
});
