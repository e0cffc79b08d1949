import { describe, expect, it } from 'vitest';
import type { Group, GroupValues } from '@edgefleet/protocol';
import { positional } from '../test-support/fixtures.js';
import type { GroupSample } from './group-sample.js';
import { ValuesCache } from './values-cache.js';

const groupOf = (...names: string[]): Group => ({ name: 'g', intervalMs: 1000, tags: names.map((name) => ({ name, address: 'counter', type: 'float64', access: 'r' })) });

/** A full read of `group` (or, with `changed`, a delivery of those tags only). */
function sample(group: Group, values: GroupValues['values'], errors: GroupValues['errors'] = {}, timestamp = 1, opts: { device?: string; changed?: string[] } = {}): GroupSample {
  const changed = opts.changed?.map((n) => group.tags.findIndex((t) => t.name === n));
  return { device: opts.device ?? 'd', group, timestamp, ...positional(group.tags, values, errors), ...(changed ? { changed } : {}) };
}

const expected = (values: GroupValues['values'], errors: GroupValues['errors'] = {}, timestamp = 1, device = 'd', group = 'g'): GroupValues => ({ device, group, timestamp, values, errors });

describe('ValuesCache', () => {
  it('keeps each tag’s latest value or error across partial deliveries', () => {
    const cache = new ValuesCache();
    const g = groupOf('a', 'b', 'c', 'd');
    cache.put(sample(g, { a: 1, b: 'x' }, { c: 3008 }, 1, { changed: ['a', 'b', 'c'] }));
    cache.put(sample(g, { c: true }, { a: 2002 }, 2, { changed: ['c', 'a'] }));
    cache.put(sample(g, { d: [1, 2] }, {}, 3, { changed: ['d'] }));
    expect(cache.query()).toEqual([expected({ b: 'x', c: true, d: [1, 2] }, { a: 2002 }, 3)]);
  });

  it('takes a full read by position, and a later partial one on top', () => {
    const cache = new ValuesCache();
    const g = groupOf('a', 'b', 'c');
    cache.put(sample(g, { a: 1, b: 2.5, c: false }, {}, 1));
    cache.put(sample(g, { a: -0, c: 'on' }, { b: 2002 }, 2));
    expect(cache.query()).toEqual([expected({ a: -0, c: 'on' }, { b: 2002 }, 2)]);
    cache.put(sample(g, { b: 7 }, {}, 3, { changed: ['b'] }));
    expect(cache.query()).toEqual([expected({ a: -0, b: 7, c: 'on' }, {}, 3)]);
    cache.put(sample(g, { a: 1.5, b: 2, c: 3 }, {}, 4));
    expect(cache.query()).toEqual([expected({ a: 1.5, b: 2, c: 3 }, {}, 4)]);
  });

  it('reports a tag given as both a value and an error as an error', () => {
    const cache = new ValuesCache();
    cache.put(sample(groupOf('a', 'b'), { a: 1, b: 2 }, { a: 3008 }));
    expect(cache.query()).toEqual([expected({ b: 2 }, { a: 3008 })]);
  });

  it('keeps what it knows of the tags still configured after a new tag list, and forgets the removed ones', () => {
    const cache = new ValuesCache();
    cache.put(sample(groupOf('a', 'old', 'c'), { a: 1, old: 9 }, { c: 3008 }, 1));
    // The new list's first delivery carries only 'b'; 'a' and 'c' keep what was known of them.
    cache.put(sample(groupOf('c', 'a', 'b'), { b: 3 }, {}, 2, { changed: ['b'] }));
    expect(cache.query()).toEqual([expected({ a: 1, b: 3 }, { c: 3008 }, 2)]);
  });

  it('handles large groups and tag names that are Object.prototype keys', () => {
    const cache = new ValuesCache();
    const names = Array.from({ length: 40 }, (_, i) => `t${i}`);
    const g = groupOf(...names, 'constructor', 'toString');
    cache.put(sample(g, { ...Object.fromEntries(names.map((n, i) => [n, i])), constructor: 1, toString: 'x' }));
    const [got] = cache.query();
    expect(Object.keys(got!.values)).toHaveLength(42);
    expect(got!.values.t39).toBe(39);
    expect(got!.values.constructor).toBe(1);
  });

  it('answers copies, filters by device and group, and forgets groups no longer configured', () => {
    const cache = new ValuesCache();
    const g = groupOf('a');
    cache.put(sample(g, { a: 1 }, {}, 1, { device: 'd1' }));
    cache.put(sample(g, { a: 2 }, {}, 1, { device: 'd2' }));
    const [first] = cache.query({ device: 'd1' });
    first!.values.a = 99;
    expect(cache.query({ device: 'd1' })[0]?.values).toEqual({ a: 1 });
    expect(cache.query({ group: 'g' })).toHaveLength(2);
    cache.retain((device) => device === 'd2');
    expect(cache.query().map((v) => v.device)).toEqual(['d2']);
  });

  it('copies the sample’s values: the arrays may be refilled after the call', () => {
    const cache = new ValuesCache();
    const g = groupOf('a', 'b');
    const s = sample(g, { a: 1, b: 2 });
    cache.put(s);
    (s.values as unknown[])[0] = 100;
    expect(cache.query()[0]?.values).toEqual({ a: 1, b: 2 });
  });
});
