import { describe, expect, it } from 'vitest';
import type { GroupValues } from '@edgefleet/protocol';
import { ValuesCache } from './values-cache.js';

const read = (values: GroupValues['values'], errors: GroupValues['errors'] = {}, timestamp = 1, device = 'd', group = 'g'): GroupValues => ({ device, group, timestamp, values, errors });
const tags = (...names: string[]) => names.map((name) => ({ name }));

describe('ValuesCache', () => {
  it('keeps each tag’s latest value or error across partial deliveries', () => {
    const cache = new ValuesCache();
    cache.put(read({ a: 1, b: 'x' }, { c: 3008 }, 1));
    cache.put(read({ c: true }, { a: 2002 }, 2));
    cache.put(read({ d: [1, 2] }, {}, 3));
    expect(cache.query()).toEqual([read({ b: 'x', c: true, d: [1, 2] }, { a: 2002 }, 3)]);
  });

  it('takes a full read by its tag list, and a later partial one on top', () => {
    const cache = new ValuesCache();
    const list = tags('a', 'b', 'c');
    cache.put(read({ a: 1, b: 2.5, c: false }, {}, 1), list);
    cache.put(read({ a: -0, c: 'on' }, { b: 2002 }, 2), list);
    expect(cache.query()).toEqual([read({ a: -0, c: 'on' }, { b: 2002 }, 2)]);
    cache.put(read({ b: 7 }, {}, 3), list);
    expect(cache.query()).toEqual([read({ a: -0, b: 7, c: 'on' }, {}, 3)]);
    cache.put(read({ a: 1.5, b: 2, c: 3 }, {}, 4), list);
    expect(cache.query()).toEqual([read({ a: 1.5, b: 2, c: 3 }, {}, 4)]);
  });

  it('reports a tag given as both a value and an error as an error, as merging did', () => {
    const cache = new ValuesCache();
    cache.put(read({ a: 1, b: 2 }, { a: 3008 }), tags('a', 'b'));
    expect(cache.query()).toEqual([read({ b: 2 }, { a: 3008 })]);
  });

  it('keeps tags known before a new tag list (a changed device config)', () => {
    const cache = new ValuesCache();
    cache.put(read({ a: 1, old: 9 }, {}, 1), tags('a', 'old'));
    cache.put(read({ a: 2, b: 3 }, {}, 2), tags('a', 'b'));
    expect(cache.query()).toEqual([read({ a: 2, b: 3, old: 9 }, {}, 2)]);
    cache.put(read({ x: 4 }, {}, 3));
    expect(cache.query()[0]?.values).toEqual({ a: 2, b: 3, old: 9, x: 4 });
  });

  it('grows past its initial size and handles tag names that are Object.prototype keys', () => {
    const cache = new ValuesCache();
    const names = Array.from({ length: 40 }, (_, i) => `t${i}`);
    for (const [i, name] of names.entries()) cache.put(read({ [name]: i }));
    cache.put(read({ constructor: 1, toString: 'x' }));
    const [g] = cache.query();
    expect(Object.keys(g!.values)).toHaveLength(42);
    expect(g!.values.t39).toBe(39);
    expect(g!.values.constructor).toBe(1);
    cache.put(read({ a: 1 }, {}, 1, 'd', 'h'), tags('a', 'constructor'));
    expect(cache.query({ group: 'h' })).toEqual([read({ a: 1 }, {}, 1, 'd', 'h')]);
  });

  it('answers copies, filters by device and group, and forgets groups no longer configured', () => {
    const cache = new ValuesCache();
    cache.put(read({ a: 1 }, {}, 1, 'd1', 'g'));
    cache.put(read({ a: 2 }, {}, 1, 'd2', 'g'));
    const [first] = cache.query({ device: 'd1' });
    first!.values.a = 99;
    expect(cache.query({ device: 'd1' })[0]?.values).toEqual({ a: 1 });
    expect(cache.query({ group: 'g' })).toHaveLength(2);
    cache.retain((device) => device === 'd2');
    expect(cache.query().map((g) => g.device)).toEqual(['d2']);
  });
});
