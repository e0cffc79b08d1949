import { describe, expect, it } from 'vitest';
import { nextRevision } from './revision-numbering.js';

describe('nextRevision', () => {
  it('starts at 1 and counts up by one', () => {
    expect(nextRevision(0)).toBe(1);
    expect(nextRevision(1)).toBe(2);
    expect(nextRevision(41)).toBe(42);
  });

  it('refuses impossible inputs', () => {
    expect(() => nextRevision(-1)).toThrow();
    expect(() => nextRevision(1.5)).toThrow();
  });
});
