/**
 * The Sparkplug B sink against real brokers, the Debian Mosquitto and an in-process aedes (the
 * embedded broker's library), watched by a plain MQTT.js "host application" subscribed to
 * `spBv1.0/#` that decodes every payload with Eclipse Tahu's `sparkplug-payload`.
 *
 * The sink reaches the broker through a TCP relay the test can cut (the agent's connection dies
 * without a DISCONNECT, so the broker publishes the will) or hold down (an outage while broker
 * and host stay up, so the host misses nothing).
 *
 * Every test checks, on everything the host received, the rules a host application relies on:
 * births before data (a device's DDATA only between its DBIRTH and its death, after the node's
 * NBIRTH), seq 0 on each NBIRTH and +1 (255 wrapping to 0) on every other message of the node.
 */
import os from 'node:os';
import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import tahu from 'sparkplug-payload/lib/sparkplugbpayload.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GroupSchema, SinkSchema, type AgentConfigInput, type Group } from '@edgefleet/protocol';
import { CommandHandler } from '../../../agent/src/commands/command-handler.js';
import { ApplyEngine } from '../../../agent/src/config/apply-engine.js';
import { defaultDriverRegistry } from '../../../agent/src/drivers/registry.js';
import { ValuesCache } from '../../../agent/src/runtime/values-cache.js';
import { defaultSinkRegistry } from '../../../agent/src/sinks/registry.js';
import { SparkplugSink } from '../../../agent/src/sinks/sparkplug/sparkplug-sink.js';
import type { WriteHandler, WriteRequest } from '../../../agent/src/sinks/transport/transport.js';
import { config, FakeFleet, sampleOf, silentLog, sinkContext } from '../../../agent/src/test-support/fixtures.js';
import { Backoff } from '../../../agent/src/util/backoff.js';
import { startModbusPeer, type ModbusPeer } from '../peers/modbus/modbus-peer.js';
import { eventually } from '../support/eventually.js';
import { bdSeqOf, historical, Host, type SpMessage } from '../support/sparkplug-host.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startUserAedes, startUserMosquitto, type UserBroker } from '../support/user-brokers.js';

/**
 * The rules a host checks on an edge node's stream: seq 0 on every NBIRTH, then +1 mod 256 on
 * every message but NDEATH; DDATA of a device only after its DBIRTH since the last NBIRTH and
 * not after its DDEATH; nothing of a session after its NDEATH but a new NBIRTH.
 */
function expectSparkplugRules(messages: SpMessage[]): void {
  let expected: number | undefined;
  let nodeAlive = false;
  const born = new Set<string>();
  messages.forEach((m, i) => {
    const where = `message ${i} (${m.type} ${m.device ?? ''})`;
    if (m.type === 'NDEATH') {
      expect(m.seq, `${where}: NDEATH has no seq`).toBeUndefined();
      nodeAlive = false;
      born.clear();
      expected = undefined;
      return;
    }
    if (m.type === 'NBIRTH') {
      expect(m.seq, `${where}: NBIRTH seq`).toBe(0);
      nodeAlive = true;
      born.clear();
      expected = 1;
      return;
    }
    expect(nodeAlive, `${where}: after an NBIRTH`).toBe(true);
    expect(m.seq, `${where}: seq`).toBe(expected);
    expected = ((expected ?? 0) + 1) % 256;
    const device = m.device ?? '';
    if (m.type === 'DBIRTH') born.add(device);
    else if (m.type === 'DDEATH') born.delete(device);
    else if (m.type === 'DDATA') expect(born.has(device), `${where}: DDATA of a born device`).toBe(true);
  });
}

const FAST: Group = GroupSchema.parse({
  name: 'fast',
  intervalMs: 100,
  tags: [
    { name: 'temp', address: 'counter', type: 'float64' },
    { name: 'count', address: 'counter', type: 'uint32' },
    { name: 'setpoint', address: 'memory', type: 'float64', access: 'rw' },
  ],
});

let nodes = 0;
const sinks: SparkplugSink[] = [];
const proxies: TcpProxy[] = [];
const hosts: Host[] = [];

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.stop()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

describe.each([
  ['Mosquitto', () => startUserMosquitto()],
  ['the embedded broker (aedes)', startUserAedes],
] as const)('Sparkplug B sink against %s', (_name, startBroker) => {
  let broker: UserBroker;
  beforeAll(async () => {
    broker = await startBroker();
  });
  afterAll(async () => {
    await broker?.close();
  });

  /** A sink for device `press` (group `fast`) reaching the broker through a relay, and a host watching. */
  async function setup(options: { writes?: WriteHandler; writesSetting?: boolean; node?: string; stateDir?: string; host?: Host } = {}) {
    const node = options.node ?? `edge-${++nodes}`;
    const host = options.host ?? (await Host.connect(broker.url));
    hosts.push(host);
    const proxy = await startTcpProxy(broker.port);
    proxies.push(proxy);
    const sinkConfig = SinkSchema.parse({
      name: 'spb',
      kind: 'sparkplug-b',
      settings: { broker: { url: `mqtt://127.0.0.1:${proxy.port}`, keepaliveSec: 5 }, groupId: 'Plant A', edgeNodeId: node, writes: options.writesSetting ?? true },
      subscriptions: [{ device: 'press', group: 'fast' }],
    });
    if (sinkConfig.kind !== 'sparkplug-b') throw new Error('fixture');
    const context = { ...sinkContext(new FakeFleet(), options.stateDir), ...(options.writes ? { writes: options.writes } : {}) };
    const sink = new SparkplugSink(sinkConfig, context, { backoff: new Backoff(100, 400) });
    sinks.push(sink);
    // As the apply engine does: defined before it starts.
    sink.define([{ name: 'press', groups: [FAST], link: 'connected' }]);
    await sink.start();
    await host.waitFor(node, 'the births', (m) => m.some((x) => x.type === 'DBIRTH'));
    await eventually(async () => sink.link() === 'connected', 'the sink connected', 10_000, 20);
    let t = 1_700_000_000_000;
    const read = (values: Record<string, number>) => sink.publish(sampleOf('press', FAST, ++t, values));
    return { node, host, proxy, sink, read };
  }

  it('births NBIRTH then DBIRTH before any DDATA, numbers every message 0…255 and wraps', async () => {
    const { node, host, sink, read } = await setup();
    for (let i = 1; i <= 300; i++) read({ temp: i, count: i });
    const got = await host.waitFor(node, '300 DDATA', (m) => m.filter((x) => x.type === 'DDATA').length === 300);
    expect(got.slice(0, 2).map((m) => m.type)).toEqual(['NBIRTH', 'DBIRTH']);
    expect(got.map((m) => m.seq)).toEqual(Array.from({ length: 302 }, (_, i) => i % 256));
    expectSparkplugRules(got);
    // The birth names every metric with its datatype; data go by alias only, as read, in order.
    const birth = got[1]!;
    expect(birth.metrics.map((m) => [m.name, m.type])).toEqual([
      ['fast/temp', 'Double'],
      ['fast/count', 'UInt32'],
      ['fast/setpoint', 'Double'],
    ]);
    const ddata = got.filter((m) => m.type === 'DDATA');
    expect(ddata.every((m) => m.metrics.every((x) => x.name === undefined && x.alias !== undefined))).toBe(true);
    expect(host.data(node, 'press').filter((x) => x.name === 'fast/temp').map((x) => x.value)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(ddata.flatMap(historical).some((h) => h)).toBe(false);
    expect(sink.stats()).toMatchObject({ kind: 'sparkplug-b', link: 'connected', dropped: 0, errors: 0, refusedCommands: 0 });
  });

  it('registers the NDEATH as the will with the NBIRTH’s bdSeq: delivered when the connection dies, published on a clean stop', async () => {
    const { node, host, proxy, sink } = await setup();
    const [nbirth] = host.of(node, 'NBIRTH');
    const bdSeq = bdSeqOf(nbirth!);
    // The agent's connection dies without a DISCONNECT: the broker publishes the will.
    proxy.cut();
    const [death] = await host.waitFor(node, 'the will', (m) => m.some((x) => x.type === 'NDEATH')).then((m) => m.filter((x) => x.type === 'NDEATH'));
    expect(death!.metrics.map((m) => m.name)).toEqual(['bdSeq']);
    expect(bdSeqOf(death!)).toBe(bdSeq);
    // The next connection has the next bdSeq, in its will and its NBIRTH, and births again from seq 0.
    const again = await host.waitFor(node, 'the births of the next connection', (m) => m.filter((x) => x.type === 'DBIRTH').length === 2);
    const second = again.filter((m) => m.type === 'NBIRTH')[1]!;
    expect(bdSeqOf(second)).toBe(bdSeq + 1n);
    await eventually(async () => sink.link() === 'connected', 'the sink connected again', 10_000, 20);
    // A clean stop: the NDEATH is published before the DISCONNECT (which discards the will).
    await sink.stop();
    const deaths = await host.waitFor(node, 'the NDEATH of the clean stop', (m) => m.filter((x) => x.type === 'NDEATH').length === 2);
    expect(bdSeqOf(deaths.filter((m) => m.type === 'NDEATH')[1]!)).toBe(bdSeq + 1n);
    await new Promise((r) => setTimeout(r, 300));
    expect(host.of(node, 'NDEATH')).toHaveLength(2);
    expectSparkplugRules(host.of(node));
  });

  it('goes on from the last will’s bdSeq after the agent restarts (kept in the state dir), not from 0', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'ef-spb-state-'));
    const first = await setup({ stateDir });
    const bdSeq = bdSeqOf(first.host.of(first.node, 'NBIRTH')[0]!);
    // A crash: the sink's process is gone without a DISCONNECT (the relay cut and the sink dropped).
    first.proxy.refuse(true);
    first.proxy.cut();
    await first.host.waitFor(first.node, 'the will', (m) => m.some((x) => x.type === 'NDEATH'));
    await first.sink.stop();
    // The next run of the agent, same state dir and node.
    await setup({ stateDir, node: first.node, host: first.host });
    const births = await first.host.waitFor(first.node, 'the next run’s NBIRTH', (m) => m.filter((x) => x.type === 'NBIRTH').length === 2).then((m) => m.filter((x) => x.type === 'NBIRTH'));
    expect(bdSeq).toBe(0n);
    // The first run registered bdSeq and bdSeq + 1 (its retry while the relay refused); the new run goes on after the last.
    expect(bdSeqOf(births[1]!)).toBeGreaterThan(bdSeq);
    expect(readFileSync(path.join(stateDir, 'sparkplug', 'spb.json'), 'utf8')).toMatch(/"lastWillBdSeq":\d+/);
  });

  it('keeps what it cannot send during an outage and publishes it as history after the new births', async () => {
    const { node, host, proxy, sink, read } = await setup();
    for (let i = 1; i <= 5; i++) read({ temp: i });
    await host.waitFor(node, 'the live values', (m) => m.filter((x) => x.type === 'DDATA').length === 5);
    proxy.refuse(true);
    proxy.cut();
    await eventually(async () => sink.link() !== 'connected', 'the sink to see the outage', 10_000, 20);
    for (let i = 6; i <= 25; i++) read({ temp: i });
    await eventually(async () => sink.stats().bufferDepth === 20, 'the outage values in the buffer', 10_000, 20);
    proxy.refuse(false);
    await host.waitFor(node, 'the buffered values', (m) => m.filter((x) => x.type === 'DDATA').length === 24);
    for (let i = 26; i <= 30; i++) read({ temp: i });
    const got = await host.waitFor(node, 'the live values after', (m) => m.filter((x) => x.type === 'DDATA').length === 29);
    expectSparkplugRules(got);
    const afterOutage = got.slice(got.findIndex((m) => m.type === 'NDEATH'));
    expect(afterOutage.map((m) => m.type)).toEqual(['NDEATH', 'NBIRTH', 'DBIRTH', ...Array<string>(24).fill('DDATA')]);
    // The new DBIRTH carries the latest reading as the current value (and it is not sent twice)...
    const temp = afterOutage[2]!.metrics.find((m) => m.name === 'fast/temp');
    expect(temp?.value).toBe(25);
    expect(temp?.isHistorical).toBeUndefined();
    // ...the older outage readings follow, in order, as history; the live ones after them are current.
    const values = host.data(node, 'press').filter((x) => x.name === 'fast/temp');
    expect(values.map((x) => x.value)).toEqual([...Array.from({ length: 24 }, (_, i) => i + 1), 26, 27, 28, 29, 30]);
    expect(values.map((x) => x.historical)).toEqual([...Array<boolean>(5).fill(false), ...Array<boolean>(19).fill(true), ...Array<boolean>(5).fill(false)]);
    await expect.poll(() => sink.stats(), { timeout: 10_000 }).toMatchObject({ bufferDepth: 0, dropped: 0, published: 30 });
  }, 60_000);

  it('births again with the next bdSeq after the broker itself restarted, the readings of its absence as history', async () => {
    const { node, host, proxy, sink, read } = await setup();
    const bdSeq = bdSeqOf(host.of(node, 'NBIRTH')[0]!);
    read({ temp: 1 });
    await host.waitFor(node, 'a live value', (m) => m.some((x) => x.type === 'DDATA'));
    // The broker goes away (and forgets every session); the relay keeps the sink off until the
    // host is back and subscribed, so the host sees everything the sink publishes after it.
    proxy.refuse(true);
    await broker.stop();
    await eventually(async () => sink.link() !== 'connected', 'the sink to see the broker gone', 10_000, 20);
    for (let i = 2; i <= 6; i++) read({ temp: i });
    await eventually(async () => sink.stats().bufferDepth === 5, 'the readings in the buffer', 10_000, 20);
    await broker.start();
    const after = await Host.connect(broker.url);
    hosts.push(after);
    proxy.refuse(false);
    const got = await after.waitFor(node, 'the births and the buffered readings', (m) => m.filter((x) => x.type === 'DDATA').length === 4);
    expectSparkplugRules(got);
    expect(got.map((m) => m.type)).toEqual(['NBIRTH', 'DBIRTH', 'DDATA', 'DDATA', 'DDATA', 'DDATA']);
    expect(bdSeqOf(got[0]!)).toBe(bdSeq + 1n);
    expect(got[1]!.metrics.find((m) => m.name === 'fast/temp')?.value).toBe(6);
    expect(after.data(node, 'press').map((x) => [x.value, x.historical])).toEqual([2, 3, 4, 5].map((v) => [v, true]));
  }, 60_000);

  it('births again on NCMD Node Control/Rebirth, carries out DCMD writes, and survives malformed commands', async () => {
    const writes: WriteRequest[] = [];
    let setpoint = 0;
    const { node, host, sink, read } = await setup({
      writes: async (request) => {
        writes.push(request);
        setpoint = request.value as number;
        return { ok: true };
      },
    });
    read({ temp: 1, setpoint });
    const ncmd = `spBv1.0/Plant A/NCMD/${node}`;
    const dcmd = `spBv1.0/Plant A/DCMD/${node}/press`;
    await host.command(ncmd, Uint8Array.from([0xff, 0x00, 0x13]));
    await host.command(dcmd, Buffer.from('not a payload'));
    await host.command(dcmd, tahu.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'fast/temp', type: 'Double', value: 5 }] }));
    await host.command(ncmd, tahu.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] }));
    const reborn = await host.waitFor(node, 'the rebirth', (m) => m.filter((x) => x.type === 'NBIRTH').length === 2);
    const nbirths = reborn.filter((m) => m.type === 'NBIRTH');
    // Same session: same bdSeq, seq from 0, a DBIRTH with the current values.
    expect(bdSeqOf(nbirths[1]!)).toBe(bdSeqOf(nbirths[0]!));
    const rebirth = await host.waitFor(node, 'the DBIRTH of the rebirth', (m) => m.filter((x) => x.type === 'DBIRTH').length === 2);
    expect(rebirth.filter((m) => m.type === 'DBIRTH')[1]!.metrics.find((m) => m.name === 'fast/temp')?.value).toBe(1);
    expect(sink.stats()).toMatchObject({ refusedCommands: 3, link: 'connected' });

    // A write by alias, as hosts send it after a birth; the device's next read shows the new value.
    const alias = host.aliases(node, 'press').get('fast/setpoint');
    await host.command(dcmd, tahu.encodePayload({ timestamp: Date.now(), metrics: [{ alias, type: 'Double', value: 42.5 }] }));
    await eventually(async () => writes.length === 1, 'the write', 10_000, 20);
    expect(writes).toEqual([{ device: 'press', group: 'fast', tag: 'setpoint', value: 42.5 }]);
    read({ temp: 2, setpoint });
    await host.waitFor(node, 'the written value in a DDATA', () => host.data(node, 'press').some((x) => x.name === 'fast/setpoint' && x.value === 42.5));
    expectSparkplugRules(host.of(node));
  });

  it('refuses DCMD writes when the sink’s writes are turned off, counting them', async () => {
    const writes: WriteRequest[] = [];
    const { node, host, sink } = await setup({ writesSetting: false, writes: async (r) => (writes.push(r), { ok: true }) });
    await host.command(`spBv1.0/Plant A/DCMD/${node}/press`, tahu.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'fast/setpoint', type: 'Double', value: 1 }] }));
    await eventually(async () => sink.stats().refusedCommands === 1, 'the refusal', 10_000, 20);
    expect(writes).toEqual([]);
  });

  describe('in an agent, with real devices', () => {
    let peer: ModbusPeer;
    beforeAll(async () => {
      peer = await startModbusPeer({ mode: 'tcp' });
      await peer.set(1, 'hr', 0, [42, 7]);
    });
    afterAll(async () => {
      await peer?.stop();
    });

    it('births each device, DDEATH when it stops answering and DBIRTH when it is back, writes through DCMD, rebirths on a tag change', async () => {
      const node = `edge-${++nodes}`;
      const host = await Host.connect(broker.url);
      hosts.push(host);
      const regs = (extra: boolean) => ({ name: 'regs', intervalMs: 100, tags: [{ name: 'level', address: '1!40001', type: 'uint16' as const }, ...(extra ? [{ name: 'level2', address: '1!40002', type: 'uint16' as const }] : [])] });
      const document = (extra: boolean): AgentConfigInput => ({
        devices: [
          { name: 'sim', driver: 'simulator', groups: [{ name: 'slow', intervalMs: 100, tags: [{ name: 'setpoint', address: 'memory(initial=21.5)', type: 'float64', access: 'rw' }] }] },
          { name: 'plc', driver: 'modbus-tcp', settings: { host: '127.0.0.1', port: peer.port, timeoutMs: 200, retries: 0, failuresBeforeBackoff: 1, backoffMs: 300 }, groups: [regs(extra)] },
        ],
        northbound: [
          {
            name: 'spb',
            kind: 'sparkplug-b',
            settings: { broker: { url: broker.url }, groupId: 'Plant E', edgeNodeId: node },
            subscriptions: [
              { device: 'sim', group: 'slow' },
              { device: 'plc', group: 'regs' },
            ],
          },
        ],
      });
      const drivers = defaultDriverRegistry();
      const driverContext = { stateDir: os.tmpdir(), log: silentLog };
      const writes: WriteRequest[] = [];
      // The agent's write path, as the agent wires it: the engine's sinks call the command handler.
      const engine: ApplyEngine = new ApplyEngine({
        drivers,
        sinks: defaultSinkRegistry(),
        sinkContext: { ...sinkContext(new FakeFleet()), writes: (request) => (writes.push(request), handler.writeFromSink(request)) },
        driverContext,
        log: silentLog,
      });
      const handler: CommandHandler = new CommandHandler({ engine, cache: new ValuesCache(), drivers, driverContext, appliedRevision: () => 1, log: silentLog });
      try {
        expect((await engine.apply(config(document(false)))).ok).toBe(true);
        await host.waitFor(node, 'data of both devices', () => ['sim', 'plc'].every((d) => host.data(node, d).length > 0));
        expect(host.of(node)[0]!.type).toBe('NBIRTH');
        expect(host.data(node, 'plc').at(-1)).toEqual({ name: 'regs/level', value: 42, historical: false });

        // DCMD → the agent's write path → the simulator's memory point → the next read.
        const alias = host.aliases(node, 'sim').get('slow/setpoint');
        await host.command(`spBv1.0/Plant E/DCMD/${node}/sim`, tahu.encodePayload({ timestamp: Date.now(), metrics: [{ alias, type: 'Double', value: 42.5 }] }));
        await host.waitFor(node, 'the written value', () => host.data(node, 'sim').some((x) => x.value === 42.5));
        expect(writes).toEqual([{ device: 'sim', group: 'slow', tag: 'setpoint', value: 42.5 }]);

        // The PLC stops answering: DDEATH, and nothing of it until its DBIRTH when it answers again.
        await peer.silent(1, true);
        await host.waitFor(node, 'the DDEATH', (m) => m.some((x) => x.type === 'DDEATH' && x.device === 'plc'));
        await peer.silent(1, false);
        await peer.set(1, 'hr', 0, [43]);
        const back = await host.waitFor(node, 'the DBIRTH after', (m) => m.filter((x) => x.type === 'DBIRTH' && x.device === 'plc').length === 2);
        const afterDeath = back.slice(back.findIndex((x) => x.type === 'DDEATH'));
        expect(afterDeath.filter((x) => x.device === 'plc')[1]?.type).toBe('DBIRTH');
        await host.waitFor(node, 'the PLC’s values again', () => host.data(node, 'plc').at(-1)?.value === 43);

        // A tag added to a subscribed group: the node births again, the device with the new metric.
        const births = host.of(node, 'NBIRTH').length;
        expect((await engine.apply(config(document(true)))).ok).toBe(true);
        const reborn = await host.waitFor(node, 'the rebirth with the new tag', (m) => m.some((x) => x.type === 'DBIRTH' && x.device === 'plc' && x.metrics.some((y) => y.name === 'regs/level2')));
        expect(reborn.filter((x) => x.type === 'NBIRTH').length).toBeGreaterThan(births);
        await host.waitFor(node, 'the new tag’s value', () => host.data(node, 'plc').some((x) => x.name === 'regs/level2' && x.value === 7));
        expectSparkplugRules(host.of(node));
      } finally {
        await engine.stopAll();
      }
      // Stopping the agent's sink is a clean stop: its NDEATH.
      await host.waitFor(node, 'the NDEATH', (m) => m.at(-1)?.type === 'NDEATH');
    }, 60_000);
  });
});
