import { describe, expect, it } from 'vitest';
import { TagSchema } from '@edgefleet/protocol';
import { scaleValue, unscaleValue } from './scaling.js';

const tag = (extra: object) => TagSchema.parse({ name: 't', address: 'x', type: 'float64', ...extra });

describe('scaling', () => {
  it('applies raw × scale + offset and rounds to precision', () => {
    expect(scaleValue(tag({ scale: 0.1, offset: -40 }), 655)).toBeCloseTo(25.5);
    expect(scaleValue(tag({ scale: 1 / 3, precision: 2 }), 1)).toBe(0.33);
    expect(scaleValue(tag({ precision: 0 }), 2.5)).toBe(3);
    expect(scaleValue(tag({}), 7)).toBe(7);
  });

  it('leaves non-numbers alone', () => {
    expect(scaleValue(tag({ scale: 2 }), true)).toBe(true);
    expect(scaleValue(tag({ scale: 2 }), 'abc')).toBe('abc');
  });

  it('divides back on write', () => {
    const t = tag({ scale: 0.1, offset: -40 });
    expect(unscaleValue(t, scaleValue(t, 655) as number)).toBeCloseTo(655);
  });
});
