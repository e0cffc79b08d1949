import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@edgefleet/protocol';
import { AgentError } from '../util/errors.js';
import { Deadline, askDevice, workBudgetMs } from './deadline.js';

describe('workBudgetMs', () => {
  const at = (ms: number) => new Date(1_000_000 + ms).toISOString();
  it('keeps a margin to send the reply: a fifth of the time left, at most half a second', () => {
    expect(workBudgetMs(at(30_000), 1_000_000)).toBe(29_500);
    expect(workBudgetMs(at(1000), 1_000_000)).toBe(800);
    expect(workBudgetMs(at(-5), 1_000_000)).toBe(0);
  });
});

describe('Deadline', () => {
  it('settles with the work when it is in time, and with the timeout error when it is not', async () => {
    const deadline = new Deadline(50);
    expect(await deadline.race(Promise.resolve(1), () => new AgentError(ErrorCode.DEVICE_ERROR, 'late'))).toBe(1);
    const started = Date.now();
    await expect(deadline.race(new Promise(() => undefined), () => new AgentError(ErrorCode.DEVICE_ERROR, 'late'))).rejects.toThrow('late');
    expect(Date.now() - started).toBeLessThan(500);
    expect(deadline.left()).toBe(0);
  });

  it('reports a driver library error as the device failing, in its words, and keeps agent errors as they are', async () => {
    const deadline = new Deadline(1000);
    await expect(askDevice(deadline, 'plc', Promise.reject(new Error('ECONNREFUSED')), 'late')).rejects.toMatchObject({ code: 'DEVICE_ERROR', message: "device 'plc': ECONNREFUSED" });
    await expect(askDevice(deadline, 'plc', Promise.reject(new AgentError(ErrorCode.TAG_NOT_WRITABLE, 'no')), 'late')).rejects.toMatchObject({ code: 'TAG_NOT_WRITABLE' });
    await expect(askDevice(new Deadline(10), 'plc', new Promise(() => undefined), 'did not answer in time')).rejects.toMatchObject({ code: 'DEVICE_ERROR', message: "device 'plc' did not answer in time" });
  });
});
