import { describe, expect, it } from 'vitest';
import { ShutdownStack, StartAborted } from './shutdown-stack.js';

describe('ShutdownStack', () => {
  it('stops in reverse order, reports a failing step and goes on', async () => {
    const order: string[] = [];
    const errors: string[] = [];
    const stack = new ShutdownStack((name, err) => errors.push(`${name}: ${(err as Error).message}`));
    await stack.add('database', async () => void order.push('database'));
    await stack.add('broker', async () => {
      order.push('broker');
      throw new Error('boom');
    });
    await stack.add('agent', async () => void order.push('agent'));
    await stack.close();
    expect(order).toEqual(['agent', 'broker', 'database']);
    expect(errors).toEqual(['broker: boom']);
  });

  it('leaves a step that hangs behind after the limit, so stopping never hangs', async () => {
    const order: string[] = [];
    const errors: string[] = [];
    const stack = new ShutdownStack((name, err) => errors.push(`${name}: ${(err as Error).message}`), 50);
    await stack.add('database', async () => void order.push('database'));
    await stack.add('control plane', () => new Promise<void>(() => undefined));
    await stack.close();
    expect(order).toEqual(['database']);
    expect(errors).toEqual(['control plane: it did not stop within 0 s; moving on']);
  });

  it('stops a component added after shutdown began at once, and aborts the start', async () => {
    const stack = new ShutdownStack(() => undefined);
    await stack.close();
    let stopped = false;
    await expect(stack.add('late', async () => void (stopped = true))).rejects.toBeInstanceOf(StartAborted);
    expect(stopped).toBe(true);
  });
});
