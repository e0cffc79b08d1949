import { describe, expect, it } from 'vitest';
import { parseSimulatorAddress, type Group } from '@edgefleet/protocol';
import { config } from '../../test-support/fixtures.js';
import { coerceToType, createPoint, seededRandom } from './points.js';
import { toRecords } from '../../runtime/group-sample.js';
import { SimulatorDriver } from './simulator-driver.js';

const point = (address: string, random = Math.random) => {
  const parsed = parseSimulatorAddress(address);
  if (!parsed.ok) throw new Error(parsed.message);
  return createPoint(parsed.value, random);
};

describe('simulator points', () => {
  it('sine follows amplitude, period, offset and phase (degrees)', () => {
    const p = point('sine(amplitude=10, period=4000, offset=20)');
    expect(p.read(0)).toBeCloseTo(20);
    expect(p.read(1000)).toBeCloseTo(30);
    expect(p.read(3000)).toBeCloseTo(10);
    expect(point('sine(period=4000, phase=90)').read(0)).toBeCloseTo(1);
  });

  it('ramp rises by step and wraps to min after max', () => {
    const p = point('ramp(min=0, max=2, step=1)');
    expect([0, 1, 2, 3, 4].map(() => p.read(0))).toEqual([0, 1, 2, 0, 1]);
  });

  it('counter counts from start by step', () => {
    const p = point('counter(start=5, step=5)');
    expect([p.read(0), p.read(0), p.read(0)]).toEqual([5, 10, 15]);
  });

  it('random stays in range and repeats with the same seed', () => {
    const a = point('random(min=10, max=20)', seededRandom(42));
    const b = point('random(min=10, max=20)', seededRandom(42));
    const xs = Array.from({ length: 50 }, () => a.read(0));
    expect(xs).toEqual(Array.from({ length: 50 }, () => b.read(0)));
    expect(xs.every((x) => typeof x === 'number' && x >= 10 && x < 20)).toBe(true);
  });

  it('coerces to the tag type', () => {
    expect(coerceToType('bool', 0.5)).toBe(true);
    expect(coerceToType('bool', -1)).toBe(false);
    expect(coerceToType('bit', 0.5)).toBe(1);
    expect(coerceToType('bit', true)).toBe(1);
    expect(coerceToType('bit', false)).toBe(0);
    expect(coerceToType('int16', 40_000.4)).toBe(32_767);
    expect(coerceToType('uint16', -3)).toBe(0);
    expect(coerceToType('int32', 2.6)).toBe(3);
    expect(coerceToType('float32', 0.1)).toBe(Math.fround(0.1));
    expect(coerceToType('float64', 0.1)).toBe(0.1);
  });
});

describe('SimulatorDriver', () => {
  const cfg = config({
    devices: [
      {
        name: 'sim',
        driver: 'simulator',
        settings: { seed: 7 },
        groups: [
          {
            name: 'g',
            intervalMs: 100,
            tags: [
              { name: 'count', address: 'counter', type: 'int32' },
              { name: 'mem', address: 'memory(initial=3)', type: 'float64', access: 'rw' },
              { name: 'flag', address: 'memory(initial=1)', type: 'bool', access: 'rw' },
              { name: 'rnd', address: 'random', type: 'float64' },
            ],
          },
        ],
      },
    ],
  });
  const device = cfg.devices[0]!;
  if (device.driver !== 'simulator') throw new Error('fixture');
  const group = device.groups[0] as Group;

  it('reads every tag, holds written memory values and refuses writes to functions', async () => {
    const driver = new SimulatorDriver(device);
    await driver.start();
    expect(driver.link()).toBe('connected');
    const first = toRecords(group.tags, await driver.readGroup(group));
    expect(first.values).toMatchObject({ count: 0, mem: 3, flag: true });
    expect(first.errors).toEqual({});
    await driver.writeTag(group, group.tags[1]!, 42);
    await driver.writeTag(group, group.tags[2]!, 0);
    const second = toRecords(group.tags, await driver.readGroup(group));
    expect(second.values).toMatchObject({ count: 1, mem: 42, flag: false });
    await expect(driver.writeTag(group, group.tags[0]!, 1)).rejects.toMatchObject({ code: 'TAG_NOT_WRITABLE' });
  });

  it('is deterministic with a device seed', async () => {
    const a = new SimulatorDriver(device);
    const b = new SimulatorDriver(device);
    await a.start();
    await b.start();
    expect(toRecords(group.tags, await a.readGroup(group)).values.rnd).toBe(toRecords(group.tags, await b.readGroup(group)).values.rnd);
  });
});
