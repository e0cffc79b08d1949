import { describe, expect, it } from 'vitest';
import { DeviceSchema, TagErrorNumber, type Group, type GroupValues } from '@edgefleet/protocol';
import { silentLog } from '../test-support/fixtures.js';
import { DeviceRunner } from './device-runner.js';
import type { Driver, GroupRead } from './driver.js';

/** A driver that answers every read with the same record, filled again each time (as the Modbus driver does). */
function reusingDriver(fill: (values: GroupRead['values']) => void, errors: GroupRead['errors'] = {}): Driver {
  const values: GroupRead['values'] = {};
  return {
    kind: 'simulator',
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    waitConnected: () => Promise.resolve(),
    readGroup: () => {
      fill(values);
      return Promise.resolve({ values, errors: { ...errors } });
    },
    link: () => 'connected',
    lastError: () => null,
  };
}

const device = DeviceSchema.parse({
  name: 'd',
  driver: 'simulator',
  groups: [
    {
      name: 'g',
      intervalMs: 1000,
      tags: [
        { name: 'plain', address: 'counter', type: 'uint16' },
        { name: 'scaled', address: 'counter', type: 'uint16', scale: 0.1, offset: 2, precision: 1 },
        { name: 'offset', address: 'counter', type: 'int16', offset: -5 },
        { name: 'text', address: 'counter', type: 'string', scale: 2 },
        { name: 'failing', address: 'counter', type: 'uint16' },
      ],
    },
  ],
});

describe('DeviceRunner poll', () => {
  it('publishes scaled values in a record of its own, leaving unscaled tags as read', async () => {
    let n = 0;
    const driver = reusingDriver(
      (v) => {
        n++;
        v.plain = n;
        v.scaled = 123 * n;
        v.offset = 10;
        v.text = 'abc';
        v.stray = 1; // not a tag of the group: not published
      },
      { failing: TagErrorNumber.READ_FAILURE },
    );
    const published: GroupValues[] = [];
    const runner = new DeviceRunner(device, driver, (gv) => published.push(gv), silentLog);
    const group = device.groups[0] as Group;
    await runner.poll(group);
    await runner.poll(group);
    expect(published.map((p) => p.values)).toEqual([
      { plain: 1, scaled: 14.3, offset: 5, text: 'abc' },
      { plain: 2, scaled: 26.6, offset: 5, text: 'abc' },
    ]);
    expect(published[0]!.errors).toEqual({ failing: TagErrorNumber.READ_FAILURE });
    expect(runner.tagErrors).toBe(2);
    expect((await runner.readNow(group)).values).toEqual({ plain: 3, scaled: 38.9, offset: 5, text: 'abc' });
  });
});

describe('DeviceRunner last error', () => {
  it('reports why a poll failed until that group reads again, then the driver’s own reason', async () => {
    let failing = true;
    const driver: Driver = {
      ...reusingDriver((v) => void (v.plain = 1)),
      readGroup: () => (failing ? Promise.reject(new Error('slave 1 not answering')) : Promise.resolve({ values: { plain: 1 }, errors: {} })),
      lastError: () => null,
    };
    const runner = new DeviceRunner(device, driver, () => undefined, silentLog);
    const group = device.groups[0] as Group;
    await runner.poll(group);
    expect(runner.stats().lastError).toBe('slave 1 not answering');
    expect(runner.stats().pollErrors).toBe(1);
    failing = false;
    await runner.poll(group);
    expect(runner.stats().lastError).toBeNull();
    expect(runner.stats().pollErrors).toBe(1);
  });
});
