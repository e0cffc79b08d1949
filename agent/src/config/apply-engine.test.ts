import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { Group, LinkState, Sink as SinkConfig, SinkStats } from '@edgefleet/protocol';
import { DriverRegistry } from '../drivers/registry.js';
import { SimulatorDriver } from '../drivers/simulator/simulator-driver.js';
import type { GroupSample } from '../runtime/group-sample.js';
import { createMqttSink } from '../sinks/mqtt/mqtt-sink.js';
import { SinkRegistry } from '../sinks/registry.js';
import type { Sink, SinkDevice } from '../sinks/sink.js';
import { config, simDevice, sinkContext, silentLog, testEngine, waitFor } from '../test-support/fixtures.js';
import { ApplyEngine } from './apply-engine.js';

/** A sink that records what the engine tells it. */
class RecordingSink implements Sink {
  readonly kind = 'sparkplug-b' as const;
  readonly events: string[] = [];
  readonly definitions: Array<Array<{ name: string; link: LinkState; groups: Array<{ name: string; tags: string[] }> }>> = [];
  constructor(readonly name: string) {}
  async start(): Promise<void> {
    this.events.push('start');
  }
  async stop(): Promise<void> {
    this.events.push('stop');
  }
  publish(sample: GroupSample): void {
    if (this.events.at(-1) !== `values:${sample.device}`) this.events.push(`values:${sample.device}`);
  }
  link(): LinkState {
    return 'connected';
  }
  stats(): SinkStats {
    return { name: this.name, kind: this.kind, link: 'connected', published: 0, errors: 0, dropped: 0, bufferDepth: 0, bufferOldestAgeMs: 0 };
  }
  define(devices: readonly SinkDevice[]): void {
    this.events.push('define');
    this.definitions.push(devices.map((d) => ({ name: d.name, link: d.link, groups: d.groups.map((g: Group) => ({ name: g.name, tags: g.tags.map((t) => t.name) })) })));
  }
  deviceLink(device: string, link: LinkState): void {
    this.events.push(`link:${device}:${link}`);
  }
}

/** A simulator whose link the test sets, standing for a machine that stops answering. */
class SwitchableSimulator extends SimulatorDriver {
  static down = new Set<string>();
  override link(): LinkState {
    const link = super.link();
    return link === 'connected' && SwitchableSimulator.down.has(this.name) ? 'error' : link;
  }
  constructor(private readonly name: string, device: ConstructorParameters<typeof SimulatorDriver>[0]) {
    super(device);
  }
}

function recordingEngine() {
  const sinks: RecordingSink[] = [];
  const registry = new SinkRegistry()
    .register('mqtt', (c, context) => {
      if (c.kind !== 'mqtt') throw new Error('fixture');
      return createMqttSink(c, context);
    })
    .register('sparkplug-b', (c: SinkConfig) => {
      const sink = new RecordingSink(c.name);
      sinks.push(sink);
      return sink;
    });
  const drivers = new DriverRegistry().register('simulator', (device) => {
    if (device.driver !== 'simulator') throw new Error('fixture');
    return new SwitchableSimulator(device.name, device);
  });
  const engine = new ApplyEngine({ drivers, sinks: registry, sinkContext: sinkContext(), driverContext: { stateDir: os.tmpdir(), log: silentLog }, log: silentLog });
  return { engine, sinks };
}

const spb = (subscriptions: Array<{ device: string; group: string }>) => ({ name: 'spb', kind: 'sparkplug-b' as const, settings: { broker: { url: 'mqtt://127.0.0.1:1' }, groupId: 'plant' }, subscriptions });

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
    const onlyMqtt = new SinkRegistry().register('mqtt', (c, context) => {
      if (c.kind !== 'mqtt') throw new Error('fixture');
      return createMqttSink(c, context);
    });
    const { engine } = testEngine(new Set(), onlyMqtt);
    stopAll = () => engine.stopAll();
    const result = await engine.apply(config({ devices: [simDevice('a')], northbound: [{ name: 'cloud', kind: 'aws-iot', settings: { endpoint: 'x.iot.eu-west-1.amazonaws.com', thingName: 't', certificate: 'BEGIN CERTIFICATE', privateKey: 'PRIVATE KEY' } }] }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('DRIVER_UNAVAILABLE');
    expect(result.error.message).toContain("sink 'cloud'");
    expect(engine.deviceRunners()).toHaveLength(0);
  });

  it('refuses a sink whose TLS client certificate and key cannot be used, naming it, and keeps the previous set', async () => {
    const { engine } = testEngine();
    stopAll = () => engine.stopAll();
    await engine.apply(config({ devices: [simDevice('a')] }));
    const a = engine.device('a')!;
    const pem = (label: string) => `-----BEGIN ${label}-----\nbm90IGEga2V5\n-----END ${label}-----\n`;
    const broker = { url: 'mqtts://127.0.0.1:1', tls: { cert: pem('CERTIFICATE'), key: pem('PRIVATE KEY') } };
    for (const sink of [
      { name: 'cloud', kind: 'mqtt' as const, settings: { broker } },
      { name: 'cloud', kind: 'sparkplug-b' as const, settings: { broker, groupId: 'plant' } },
    ]) {
      const result = await engine.apply(config({ devices: [simDevice('a'), simDevice('b')], northbound: [sink] }));
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.code).toBe('CONFIG_APPLY_FAILED');
      expect(result.error.message).toMatch(/^sink 'cloud': the TLS client certificate and key cannot be used: /);
      expect(engine.device('a')).toBe(a);
      expect(engine.device('b')).toBeUndefined();
      expect(engine.runningSinks()).toHaveLength(0);
    }
  });

  it('runs a Sparkplug B sink: the kind is in this build', async () => {
    const { engine } = testEngine();
    stopAll = () => engine.stopAll();
    const result = await engine.apply(config({ devices: [simDevice('a')], northbound: [spb([{ device: 'a', group: 'g' }])] }));
    expect(result).toMatchObject({ ok: true, started: ['sink:spb', 'device:a'] });
    expect(engine.sinkStates()).toEqual([{ name: 'spb', kind: 'sparkplug-b', link: expect.stringMatching(/^(connecting|disconnected)$/) }]);
  });

  it('defines sinks with their subscribed groups and device links, again after every apply, and routes link changes', async () => {
    const { engine, sinks } = recordingEngine();
    stopAll = () => engine.stopAll();
    const two = (tag: string) => ({ name: 'a', driver: 'simulator' as const, groups: [{ name: 'g', intervalMs: 20, tags: [{ name: tag, address: 'counter', type: 'float64' as const }] }, { name: 'other', intervalMs: 20, tags: [{ name: 'x', address: 'counter', type: 'float64' as const }] }] });
    expect((await engine.apply(config({ devices: [two('t'), simDevice('b')], northbound: [spb([{ device: 'a', group: 'g' }])] }))).ok).toBe(true);
    const [sink] = sinks;
    // Before it starts (the new device not opened yet), then once applied.
    expect(sink!.events.slice(0, 3)).toEqual(['define', 'start', 'define']);
    expect(sink!.definitions).toEqual([
      [{ name: 'a', link: 'disconnected', groups: [{ name: 'g', tags: ['t'] }] }],
      [{ name: 'a', link: 'connected', groups: [{ name: 'g', tags: ['t'] }] }],
    ]);
    await waitFor(() => sink!.events.includes('values:a'), 2000, 'values');
    expect(sink!.events).toContain('link:a:connected');

    SwitchableSimulator.down.add('a');
    try {
      await waitFor(() => sink!.events.includes('link:a:error'), 3000, 'the link loss');
    } finally {
      SwitchableSimulator.down.delete('a');
    }
    await waitFor(() => sink!.events.lastIndexOf('link:a:connected') > sink!.events.indexOf('link:a:error'), 3000, 'the link back');

    // A tag of the subscribed group changes: the device restarts, the sink is kept and redefined.
    const result = await engine.apply(config({ devices: [two('t2'), simDevice('b')], northbound: [spb([{ device: 'a', group: 'g' }])] }));
    expect(result).toMatchObject({ ok: true, kept: expect.arrayContaining(['sink:spb']) });
    expect(sinks).toHaveLength(1);
    expect(sink!.definitions.at(-1)).toEqual([{ name: 'a', link: 'connected', groups: [{ name: 'g', tags: ['t2'] }] }]);
    // Device b is not subscribed: never defined, never routed.
    expect(sink!.events.some((e) => e.endsWith(':b') || e.includes(':b:'))).toBe(false);
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
