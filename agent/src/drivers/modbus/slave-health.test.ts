import { describe, expect, it } from 'vitest';
import { SlaveHealth } from './slave-health.js';

describe('SlaveHealth', () => {
  it('backs a slave off after N silent cycles in a row, for backoffMs', () => {
    let t = 1_000;
    const h = new SlaveHealth(3, 10_000, () => t);
    h.silent(3, 'timed out after 3000 ms');
    h.silent(3, 'timed out after 3000 ms');
    expect(h.skipped(3)).toBe(false);
    expect(h.problem()).toBe('slave 3 not answering: timed out after 3000 ms (2 of 3 cycles before it is skipped)');
    h.silent(3, 'timed out after 3000 ms');
    expect(h.skipped(3)).toBe(true);
    expect(h.backedOff()).toEqual([3]);
    expect(h.problem()).toBe('slave 3 not answering: timed out after 3000 ms; skipped for 10 s');
    t += 9_999;
    expect(h.skipped(3)).toBe(true);
    t += 1;
    expect(h.skipped(3)).toBe(false);
    expect(h.backedOff()).toEqual([]);
    expect(h.failing()).toEqual([3]);
  });

  it('a silent probe after the pause backs off again at once; an answer heals', () => {
    let t = 0;
    const h = new SlaveHealth(2, 500, () => t);
    h.silent(1, 'x');
    h.silent(1, 'x');
    t += 600;
    expect(h.skipped(1)).toBe(false);
    h.silent(1, 'x');
    expect(h.skipped(1)).toBe(true);
    t += 600;
    h.answered(1);
    expect(h.skipped(1)).toBe(false);
    expect(h.problem()).toBeNull();
    h.silent(1, 'x');
    expect(h.skipped(1)).toBe(false);
  });

  it('an answer in between resets the count', () => {
    const h = new SlaveHealth(2, 500);
    h.silent(1, 'x');
    h.answered(1);
    h.silent(1, 'x');
    expect(h.skipped(1)).toBe(false);
  });

  it('keeps slaves apart and names each problem', () => {
    const h = new SlaveHealth(1, 1_500);
    h.silent(4, 'timed out after 100 ms');
    h.silent(2, 'gave an unusable answer: CRC error');
    expect(h.backedOff()).toEqual([2, 4]);
    expect(h.problem()).toBe('slave 2 not answering: gave an unusable answer: CRC error; skipped for 1.5 s; slave 4 not answering: timed out after 100 ms; skipped for 1.5 s');
  });
});
