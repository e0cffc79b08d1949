import { describe, expect, it } from 'vitest';
import { GroupScheduler } from './group-scheduler.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GroupScheduler', () => {
  it('runs on its interval', async () => {
    let runs = 0;
    const s = new GroupScheduler(20, async () => {
      runs++;
    });
    s.start();
    await sleep(210);
    s.stop();
    expect(runs).toBeGreaterThanOrEqual(7);
    expect(runs).toBeLessThanOrEqual(12);
    const after = runs;
    await sleep(60);
    expect(runs).toBe(after);
  });

  it('skips, never queues, cycles that overlap a slow task', async () => {
    let running = 0;
    let maxConcurrent = 0;
    let runs = 0;
    const s = new GroupScheduler(10, async () => {
      runs++;
      running++;
      maxConcurrent = Math.max(maxConcurrent, running);
      await sleep(55);
      running--;
    });
    s.start();
    await sleep(300);
    s.stop();
    await s.idle();
    expect(maxConcurrent).toBe(1);
    expect(runs).toBeLessThanOrEqual(7);
    expect(s.skipped).toBeGreaterThan(10);
  });
});
