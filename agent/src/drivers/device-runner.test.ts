import { describe, expect, it, vi } from 'vitest';
import { DeviceSchema, TagErrorNumber, type Group, type GroupValues, type LinkState, type TagValue } from '@edgefleet/protocol';
import { toGroupValues } from '../runtime/group-sample.js';
import { positional, silentLog } from '../test-support/fixtures.js';
import { DeviceRunner, LINK_CHECK_MS } from './device-runner.js';
import type { Driver, GroupRead } from './driver.js';

/** A driver that answers every read with the same arrays, filled again each time (as the Modbus driver does). */
function reusingDriver(group: Group, fill: (values: Record<string, TagValue>) => void, errors: Record<string, number> = {}): Driver {
  const read: GroupRead = positional(group.tags, {}, errors);
  return {
    kind: 'simulator',
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    waitConnected: () => Promise.resolve(),
    readGroup: () => {
      const record: Record<string, TagValue> = {};
      fill(record);
      const next = positional(group.tags, record, errors);
      for (let i = 0; i < read.values.length; i++) read.values[i] = next.values[i];
      return Promise.resolve(read);
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
  it('publishes scaled values, leaving unscaled tags as read and the driver’s arrays alone', async () => {
    let n = 0;
    const group = device.groups[0] as Group;
    const driver = reusingDriver(
      group,
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
    const runner = new DeviceRunner(device, driver, (sample) => published.push(toGroupValues(sample)), silentLog);
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
      ...reusingDriver(device.groups[0] as Group, (v) => void (v.plain = 1)),
      readGroup: () => (failing ? Promise.reject(new Error('slave 1 not answering')) : Promise.resolve(positional((device.groups[0] as Group).tags, { plain: 1 }))),
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

describe('DeviceRunner deliveries', () => {
  it('scales only the tags a delivery carries, each once, and leaves the driver’s values as they were', async () => {
    const group = device.groups[0] as Group;
    let deliver: ((read: GroupRead, timestamp: number) => void) | undefined;
    const driver: Driver & { subscribe: (g: Group, d: (read: GroupRead, timestamp: number) => void) => Promise<void> } = {
      ...reusingDriver(group, () => undefined),
      subscribe: (_g, d) => {
        deliver = d;
        return Promise.resolve();
      },
    };
    const published: GroupValues[] = [];
    const runner = new DeviceRunner({ ...device, groups: [{ ...group, acquisition: 'subscribe' }] }, driver, (sample) => published.push(toGroupValues(sample)), silentLog);
    await runner.open();
    runner.run();
    const subscribed = runner.device.groups[0] as Group;
    const first: GroupRead = { values: [10, 100, undefined, undefined, undefined], errors: new Map(), changed: [0, 1] };
    deliver!(first, 1);
    const second: GroupRead = { values: [undefined, undefined, 7, undefined, undefined], errors: new Map([[4, TagErrorNumber.READ_FAILURE]]), changed: [2, 4] };
    deliver!(second, 2);
    expect(published).toEqual([
      { device: 'd', group: subscribed.name, timestamp: 1, values: { plain: 10, scaled: 12 }, errors: {} },
      { device: 'd', group: subscribed.name, timestamp: 2, values: { offset: 2 }, errors: { failing: TagErrorNumber.READ_FAILURE } },
    ]);
    expect(first.values).toEqual([10, 100, undefined, undefined, undefined]);
    expect(runner.tagErrors).toBe(1);
    await runner.stop();
  });
});

describe('DeviceRunner link changes', () => {
  /** A device that stops answering when told: its reads fail and its link goes to `error`. */
  function flakyDevice() {
    const group = device.groups[0] as Group;
    const state = { answering: true };
    const driver: Driver = {
      ...reusingDriver(group, (v) => void (v.plain = 1)),
      readGroup: () => (state.answering ? Promise.resolve(positional(group.tags, { plain: 1 })) : Promise.reject(new Error('no answer'))),
      link: (): LinkState => (state.answering ? 'connected' : 'error'),
    };
    return { group, state, driver };
  }

  it('reports a change of link before the read that shows it, once per change', async () => {
    const { group, state, driver } = flakyDevice();
    const events: string[] = [];
    const runner = new DeviceRunner(device, driver, (sample) => events.push(sample.errors.size === 0 ? 'values' : 'errors'), silentLog, (link) => events.push(`link:${link}`));
    await runner.open();
    runner.run();
    await runner.poll(group);
    state.answering = false;
    await runner.poll(group);
    await runner.poll(group);
    state.answering = true;
    await runner.poll(group);
    await runner.stop();
    // The schedulers of run() may have read too: only the order relative to the link matters.
    const compact = events.filter((e, i) => e !== events[i - 1]);
    expect(compact).toEqual(['link:connected', 'values', 'link:error', 'errors', 'link:connected', 'values']);
  });

  it('notices a change between reads, and reports nothing once stopped', async () => {
    vi.useFakeTimers();
    try {
      const { state, driver } = flakyDevice();
      const links: LinkState[] = [];
      // A group read once a day: the link is still watched.
      const daily = { ...device, groups: [{ ...(device.groups[0] as Group), intervalMs: 86_400_000 }] };
      const runner = new DeviceRunner(daily, driver, () => undefined, silentLog, (link) => links.push(link));
      await runner.open();
      runner.run();
      state.answering = false;
      await vi.advanceTimersByTimeAsync(LINK_CHECK_MS);
      expect(links).toEqual(['connected', 'error']);
      await runner.stop();
      state.answering = true;
      await vi.advanceTimersByTimeAsync(LINK_CHECK_MS * 3);
      expect(links).toEqual(['connected', 'error']);
    } finally {
      vi.useRealTimers();
    }
  });
});
