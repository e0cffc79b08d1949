import { describe, expect, it } from 'vitest';
import { GroupSchema } from '@edgefleet/protocol';
import { deviceMetrics, metricName, parseMetricName } from './metrics.js';

describe('Sparkplug metric names', () => {
  it('names a metric {group}/{tag} and splits it back', () => {
    expect(metricName('fast', 'temp 1')).toBe('fast/temp 1');
    expect(parseMetricName('fast/temp 1')).toEqual({ group: 'fast', tag: 'temp 1' });
    for (const bad of ['temp', '/temp', 'fast/', 'a/b/c', '']) expect(parseMetricName(bad), bad).toBeNull();
  });

  it('defines every tag of the subscribed groups, in config order, typed as published and writable when rw', () => {
    const fast = GroupSchema.parse({
      name: 'fast',
      intervalMs: 100,
      tags: [
        { name: 'temp', address: '1!40001', type: 'int16', scale: 0.1 },
        { name: 'count', address: '1!40002', type: 'uint32' },
        { name: 'run', address: '1!00001', type: 'bit', access: 'rw' },
      ],
    });
    const slow = GroupSchema.parse({ name: 'slow', intervalMs: 1000, tags: [{ name: 'setpoint', address: '1!40010#BB', type: 'float32', access: 'rw' }] });
    expect(deviceMetrics([fast, slow])).toEqual([
      { name: 'fast/temp', type: 'float64', writable: false },
      { name: 'fast/count', type: 'uint32', writable: false },
      { name: 'fast/run', type: 'bit', writable: true },
      { name: 'slow/setpoint', type: 'float32', writable: true },
    ]);
  });
});
