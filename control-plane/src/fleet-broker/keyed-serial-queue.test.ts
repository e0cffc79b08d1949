import { describe, expect, it } from 'vitest';
import { KeyedSerialQueue } from './keyed-serial-queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('KeyedSerialQueue', () => {
  it('keeps order per key even when an earlier task is slower, and survives failures', async () => {
    const q = new KeyedSerialQueue();
    const seen: string[] = [];
    void q.run('a', async () => { await sleep(20); seen.push('a1'); });
    void q.run('a', async () => { throw new Error('boom'); }).catch(() => seen.push('a2-failed'));
    void q.run('a', async () => { seen.push('a3'); });
    void q.run('b', async () => { seen.push('b1'); });
    await q.drain();
    await sleep(0);
    expect(seen.indexOf('b1')).toBe(0);
    expect(seen.filter((s) => s.startsWith('a'))).toEqual(['a1', 'a2-failed', 'a3']);
  });
});
