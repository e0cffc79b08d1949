import { describe, expect, it } from 'vitest';
import type { GroupValues } from '@edgefleet/protocol';
import { emptyHistory, recordPoll, sampleOf } from './history';

const poll = (timestamp: number, values: GroupValues['values'], errors: GroupValues['errors'] = {}): GroupValues[] => [{ device: 'plc', group: 'fast', timestamp, values, errors }];

describe('recordPoll', () => {
  it('adds each new read of a group once, oldest first', () => {
    let h = recordPoll(emptyHistory, poll(1000, { temp: 20, running: true }));
    h = recordPoll(h, poll(2000, { temp: 21, running: false }));
    expect(h.get('plc/fast/temp')).toEqual([
      [1000, 20],
      [2000, 21],
    ]);
    expect(h.get('plc/fast/running')).toEqual([
      [1000, 1],
      [2000, 0],
    ]);
  });

  it('adds nothing when the agent has not read the group again, and keeps the same object', () => {
    const h1 = recordPoll(emptyHistory, poll(1000, { temp: 20 }));
    const h2 = recordPoll(h1, poll(1000, { temp: 20 }));
    const h3 = recordPoll(h2, poll(500, { temp: 19 }));
    expect(h2).toBe(h1);
    expect(h3).toBe(h1);
    expect(h3.get('plc/fast/temp')).toEqual([[1000, 20]]);
  });

  it('keeps the last `limit` values of each tag (a ring of fixed size)', () => {
    let h = emptyHistory;
    for (let t = 1; t <= 10; t++) h = recordPoll(h, poll(t * 1000, { temp: t }), { limit: 4 });
    expect(h.get('plc/fast/temp')).toEqual([
      [7000, 7],
      [8000, 8],
      [9000, 9],
      [10_000, 10],
    ]);
  });

  it('leaves the arrays of unchanged tags alone so their rows need not redraw', () => {
    const groups = (ts: number, other: number): GroupValues[] => [
      { device: 'plc', group: 'fast', timestamp: ts, values: { temp: ts }, errors: {} },
      { device: 'plc', group: 'slow', timestamp: other, values: { level: 1 }, errors: {} },
    ];
    const h1 = recordPoll(emptyHistory, groups(1000, 1000));
    const h2 = recordPoll(h1, groups(2000, 1000));
    expect(h2).not.toBe(h1);
    expect(h2.get('plc/slow/level')).toBe(h1.get('plc/slow/level'));
    expect(h2.get('plc/fast/temp')).toHaveLength(2);
  });

  it('skips tags in error, values that are not numbers, and tags that are not charted', () => {
    const h = recordPoll(emptyHistory, poll(1000, { name: 'Line 7', code: '1234', bytes: [1, 2], big: '9007199254740993', temp: 20 }, { broken: 3022 }), {
      chartable: (_d, _g, tag) => tag !== 'code',
    });
    expect([...h.keys()].sort()).toEqual(['plc/fast/big', 'plc/fast/temp']);
    expect(h.get('plc/fast/big')).toEqual([[1000, 9007199254740992]]);
  });
});

describe('sampleOf', () => {
  it('charts numbers, booleans as 0/1 and decimal-string integers', () => {
    expect(sampleOf(2.5)).toBe(2.5);
    expect(sampleOf(true)).toBe(1);
    expect(sampleOf('-42')).toBe(-42);
    expect(sampleOf('12.5 bar')).toBeNull();
    expect(sampleOf([1])).toBeNull();
    expect(sampleOf(undefined)).toBeNull();
  });
});
