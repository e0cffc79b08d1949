import { afterEach, describe, expect, it } from 'vitest';
import { config, simDevice, testEngine, waitFor } from '../test-support/fixtures.js';

describe('ApplyEngine', () => {
  let stopAll: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stopAll?.();
  });

  it('keeps unchanged devices (same instance, no restart), restarts changed ones and stops removed ones', async () => {
    const { engine, created } = testEngine();
    stopAll = () => engine.stopAll();
    const first = await engine.apply(config({ devices: [simDevice('keep'), simDevice('change'), simDevice('remove')] }));
    expect(first.ok).toBe(true);
    const keep = engine.device('keep')!;
    const change = engine.device('change')!;
    const remove = engine.device('remove')!;

    const second = await engine.apply(config({ devices: [simDevice('keep'), simDevice('change', 'ramp'), simDevice('added')] }));
    expect(second).toMatchObject({ ok: true });
    expect(engine.device('keep')).toBe(keep);
    expect(created.find((d) => d === keep.driver)?.starts).toBe(1);
    expect(created.find((d) => d === keep.driver)?.stops).toBe(0);
    expect(engine.device('change')).not.toBe(change);
    expect(created.find((d) => d === change.driver)?.stops).toBe(1);
    expect(created.find((d) => d === remove.driver)?.stops).toBe(1);
    expect(engine.device('remove')).toBeUndefined();
    expect(engine.device('added')).toBeDefined();
    expect(engine.deviceRunners().map((r) => r.name).sort()).toEqual(['added', 'change', 'keep']);
  });

  it('fails on an unavailable driver and leaves the previous set running exactly as it was', async () => {
    const { engine, created } = testEngine();
    stopAll = () => engine.stopAll();
    await engine.apply(config({ devices: [simDevice('a'), simDevice('b')] }));
    const a = engine.device('a')!;
    const b = engine.device('b')!;
    const pollsBefore = a.polls;

    const result = await engine.apply(
      config({
        devices: [simDevice('a'), simDevice('b', 'ramp'), simDevice('c'), { name: 'plc', driver: 'modbus-tcp', settings: { host: '10.0.0.1' }, groups: [] }],
      }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('DRIVER_UNAVAILABLE');
    expect(result.error.message).toContain("device 'plc'");
    expect(engine.device('a')).toBe(a);
    expect(engine.device('b')).toBe(b);
    expect(engine.device('c')).toBeUndefined();
    for (const d of created.filter((d) => d === a.driver || d === b.driver)) {
      expect(d.starts).toBe(1);
      expect(d.stops).toBe(0);
    }
    await waitFor(() => a.polls > pollsBefore + 2, 2000, 'the old device to keep polling');
  });

  it('closes the components it opened when a later one fails to start, and names the device', async () => {
    const { engine, created } = testEngine(new Set(['bad']));
    stopAll = () => engine.stopAll();
    await engine.apply(config({ devices: [simDevice('a')] }));
    const a = engine.device('a')!;
    const result = await engine.apply(config({ devices: [simDevice('a'), simDevice('n1'), simDevice('bad')] }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('CONFIG_APPLY_FAILED');
    expect(result.error.message).toBe("device 'bad' failed to start: port is busy");
    const n1 = created.find((d) => d !== a.driver && d.starts === 1 && d.stops === 1);
    expect(n1).toBeDefined();
    expect(engine.device('a')).toBe(a);
    expect(engine.device('n1')).toBeUndefined();
  });

  it('reports a sink kind not in this build as DRIVER_UNAVAILABLE naming the sink', async () => {
    const { engine } = testEngine();
    stopAll = () => engine.stopAll();
    const result = await engine.apply(config({ devices: [simDevice('a')], northbound: [{ name: 'cloud', kind: 'sparkplug-b', settings: { broker: { url: 'mqtt://127.0.0.1:1' }, groupId: 'plant' } }] }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('DRIVER_UNAVAILABLE');
    expect(result.error.message).toContain("sink 'cloud'");
    expect(engine.deviceRunners()).toHaveLength(0);
  });

  it('routes group values to subscribed sinks and to the values listener', async () => {
    const { engine, fleet, values } = testEngine();
    stopAll = () => engine.stopAll();
    await engine.apply(
      config({
        devices: [simDevice('a'), simDevice('b')],
        northbound: [{ name: 'up', kind: 'mqtt', subscriptions: [{ device: 'a', group: 'g' }] }],
      }),
    );
    await waitFor(() => fleet.messages.length >= 2 && values.some((v) => v.device === 'b'), 2000, 'values');
    expect(new Set(fleet.messages.map((m) => m.topic))).toEqual(new Set(['ef/v1/00000000-0000-4000-8000-000000000001/data/up/a/g']));
  });
});
