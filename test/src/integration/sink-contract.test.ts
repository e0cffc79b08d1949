/**
 * The contract every northbound sink kind keeps, run against each kind on its real peer:
 *
 * - MQTT on the Debian Mosquitto (with a login, MQTT 5);
 * - AWS IoT Core through the real aws-iot-device-sdk-v2 on Mosquitto with mutual TLS;
 * - Azure IoT Hub through the real azure-iot-device SDK on the local IoT Hub stand-in;
 * - Sparkplug B on the Debian Mosquitto, decoded by a host application with Eclipse Tahu.
 *
 * The contract: samples arrive with their device, group and values, in order, each with a seq
 * that only goes up (where the kind can carry one); while the peer is away nothing is lost, the
 * backlog shows in the stats and drains in order once it is back; a write from the cloud reaches
 * the agent's write handler and is answered; `stop()` leaves the link disconnected and later
 * samples are ignored without an error.
 *
 * Sparkplug B orders by read time rather than by arrival: after an outage the births carry the
 * latest values and the buffered reads follow, flagged historical. Its deliveries are compared
 * in read-time order, and its seq is Sparkplug's own (per connection, 0–255), so it carries no
 * message seq; its arrival order and seq rules are checked in sparkplug-sink.test.ts. Sparkplug
 * has no answer to a DCMD: its write is checked at the write handler only.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import tahu from 'sparkplug-payload/lib/sparkplugbpayload.js';
import { GroupSchema, SinkSchema, type Group, type Sink as SinkConfig, type TagValue } from '@edgefleet/protocol';
import { sampleOf, sinkContext } from '../../../agent/src/test-support/fixtures.js';
import { defaultSinkRegistry } from '../../../agent/src/sinks/registry.js';
import type { Sink } from '../../../agent/src/sinks/sink.js';
import type { WriteHandler, WriteRequest } from '../../../agent/src/sinks/transport/transport.js';
import { eventually } from '../support/eventually.js';
import { startUserMosquitto, type UserBroker } from '../support/user-brokers.js';
import { startAwsIotPeer, THING, type AwsIotPeer } from '../peers/aws-iot-core/aws-iot-peer.js';
import { createTestCa, startIotHubPeer, type IotHubPeer } from '../peers/azure-iot-hub/index.js';
import mqtt, { type MqttClient } from 'mqtt';
import { big, Host } from '../support/sparkplug-host.js';

/** A message as the cloud side saw it, whatever the kind's wire shape. */
interface Delivered {
  device: string;
  group: string;
  values: Record<string, unknown>;
  /** The message's seq, where the kind carries one. */
  seq: number | undefined;
}

/** What the contract needs of one sink kind and its peer. */
interface SinkHarness {
  /** The sink's config (name `contract`), pointing at the peer. */
  config(): SinkConfig;
  /** What the cloud side received so far, in arrival order. */
  delivered(): Delivered[];
  /** Whether the kind puts a seq on its messages (MQTT 3.1.1 has nowhere to). */
  carriesSeq: boolean;
  /** Whether `delivered()` is in arrival order (else in read-time order: Sparkplug). */
  arrivalOrder: boolean;
  /** An outage: the peer goes away; `startPeer()` brings it back where the sink expects it. */
  stopPeer(): Promise<void>;
  startPeer(): Promise<void>;
  /**
   * Sends a write of one tag the kind's way and resolves with whether the answer says it was
   * done, or undefined for a kind that does not answer writes (once `handled()` says the write
   * handler has it).
   */
  requestWrite(device: string, group: string, tag: string, value: TagValue, handled: () => boolean): Promise<boolean | undefined>;
  close(): Promise<void>;
}

const AGENT = '00000000-0000-4000-8000-000000000001';

/** The group every kind publishes: two tags read, two writable ones. */
const LINE: Group = GroupSchema.parse({
  name: 'line',
  intervalMs: 1000,
  tags: [
    { name: 'n', address: 'counter', type: 'float64' },
    { name: 'temp', address: 'counter', type: 'float64' },
    { name: 'setpoint', address: 'memory', type: 'float64', access: 'rw' },
    { name: 'locked', address: 'memory', type: 'float64', access: 'rw' },
  ],
});

function neuronValues(payload: Buffer): Omit<Delivered, 'seq'> {
  const body = JSON.parse(payload.toString()) as { node: string; group: string; values: Record<string, unknown> };
  return { device: body.node, group: body.group, values: body.values };
}

let writeIds = 0;

/**
 * A Neuron-shaped write (`{uuid, node, group, tag, value}`) sent with `publish` and asked again
 * until `errorOf(uuid)` shows its answer (the sink subscribes the write topic only once
 * connected); resolves with whether the answer says done (error 0).
 */
async function neuronWrite(publish: (request: string) => Promise<unknown>, errorOf: (uuid: string) => number | undefined, request: { device: string; group: string; tag: string; value: TagValue }): Promise<boolean> {
  const uuid = `w${++writeIds}`;
  const { device, group, tag, value } = request;
  const error = await eventually(
    async () => {
      if (errorOf(uuid) === undefined) await publish(JSON.stringify({ uuid, node: device, group, tag, value }));
      return errorOf(uuid);
    },
    'the write answered',
    10_000,
    300,
  );
  return error === 0;
}

async function mqttHarness(): Promise<SinkHarness> {
  const broker: UserBroker = await startUserMosquitto({ login: { username: 'plant', password: 's3cret' }, persistence: true });
  const delivered: Delivered[] = [];
  const answers = new Map<string, number>();
  const consumer: MqttClient = await mqtt.connectAsync(broker.url, { ...broker.auth, protocolVersion: 5, clientId: 'contract-consumer', clean: false, properties: { sessionExpiryInterval: 600 }, reconnectPeriod: 200 });
  consumer.on('message', (topic, payload, packet) => {
    if (topic === 'contract/write/resp') {
      const answer = JSON.parse(payload.toString()) as { uuid: string; error: number };
      answers.set(answer.uuid, answer.error);
      return;
    }
    const seq = packet.properties?.userProperties?.seq;
    delivered.push({ ...neuronValues(payload), seq: typeof seq === 'string' ? Number(seq) : undefined });
  });
  await consumer.subscribeAsync(['contract/data/#', 'contract/write/resp'], { qos: 1 });
  return {
    carriesSeq: true,
    arrivalOrder: true,
    config: () =>
      SinkSchema.parse({
        name: 'contract',
        kind: 'mqtt',
        settings: { broker: { url: broker.url, ...broker.auth, protocolVersion: 5 }, topic: 'contract/data/{device}/{group}', qos: 1, writeTopic: 'contract/write/req', writeResponseTopic: 'contract/write/resp' },
      }),
    delivered: () => delivered,
    stopPeer: () => broker.stop(),
    startPeer: () => broker.start(),
    requestWrite: (device, group, tag, value) =>
      neuronWrite((request) => consumer.publishAsync('contract/write/req', request, { qos: 1 }), (uuid) => answers.get(uuid), { device, group, tag, value }),
    async close() {
      await consumer.endAsync(true);
      await broker.close();
    },
  };
}

async function awsHarness(): Promise<SinkHarness> {
  const peer: AwsIotPeer = await startAwsIotPeer();
  await peer.subscribe('edgefleet/#');
  const answer = (id: string) => {
    const m = peer.received.find((r) => r.topic === 'edgefleet/contract/write/resp' && (JSON.parse(r.payload.toString()) as { uuid: string }).uuid === id);
    return m ? (JSON.parse(m.payload.toString()) as { error: number }) : undefined;
  };
  return {
    carriesSeq: true,
    arrivalOrder: true,
    config: () =>
      SinkSchema.parse({
        name: 'contract',
        kind: 'aws-iot',
        settings: {
          endpoint: 'localhost',
          port: peer.port,
          thingName: THING,
          certificate: peer.thing.certPem,
          privateKey: peer.thing.keyPem,
          ca: peer.ca.certPem,
          topic: 'edgefleet/data/{device}/{group}',
          writeTopic: 'edgefleet/contract/write/req',
          writeResponseTopic: 'edgefleet/contract/write/resp',
        },
      }),
    delivered: () =>
      peer.received
        .filter((r) => r.topic.startsWith('edgefleet/data/'))
        .map((r) => {
          const seq = r.userProperties.seq;
          return { ...neuronValues(r.payload), seq: typeof seq === 'string' ? Number(seq) : undefined };
        }),
    stopPeer: () => peer.stop(),
    async startPeer() {
      await peer.start();
      await eventually(async () => peer.observer.connected, 'the cloud side back', 10_000, 50);
    },
    requestWrite: (device, group, tag, value) =>
      neuronWrite((request) => peer.publishAsCloud('edgefleet/contract/write/req', request), (uuid) => answer(uuid)?.error, { device, group, tag, value }),
    close: () => peer.close(),
  };
}

async function azureHarness(): Promise<SinkHarness> {
  const serverCa = await createTestCa('Contract IoT Hub CA');
  let hub: IotHubPeer = await startIotHubPeer({ serverCa });
  const deviceId = 'contract-device';
  const key = Buffer.alloc(32, 7).toString('base64');
  const register = () => hub.registerDevice({ deviceId, authentication: { type: 'sas', primaryKey: key } });
  register();
  const port = hub.port;
  /** Events of hubs stopped by an outage, then the current hub's. */
  const earlier: Delivered[] = [];
  const decode = (): Delivered[] =>
    hub.events()
      .filter((e) => e.deviceId === deviceId)
      .map((e) => ({ ...neuronValues(e.payload), seq: e.messageId === undefined ? undefined : Number(e.messageId) }));
  return {
    carriesSeq: true,
    arrivalOrder: true,
    config: () =>
      SinkSchema.parse({ name: 'contract', kind: 'azure-iot', settings: { auth: { type: 'sas', hostName: hub.hostName, deviceId, sharedAccessKey: key }, ca: hub.caPem } }),
    delivered: () => [...earlier, ...decode()],
    async stopPeer() {
      earlier.push(...decode());
      await hub.stop();
    },
    async startPeer() {
      hub = await startIotHubPeer({ serverCa, port });
      register();
    },
    async requestWrite(device, group, tag, value) {
      const result = await eventually(
        async () => hub.invokeMethod(deviceId, 'write', { device, group, tag, value }, 5_000).catch(() => undefined),
        'the direct method answered',
        15_000,
        300,
      );
      return result.status === 200;
    },
    close: () => hub.stop(),
  };
}

async function sparkplugHarness(): Promise<SinkHarness> {
  const broker = await startUserMosquitto({ persistence: true });
  const host = await Host.connect(broker.url, { clientId: 'contract-host', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 600 }, reconnectPeriod: 200 });
  const node = 'contract-node';
  return {
    carriesSeq: false,
    arrivalOrder: false,
    config: () => SinkSchema.parse({ name: 'contract', kind: 'sparkplug-b', settings: { broker: { url: broker.url, protocolVersion: 5 }, groupId: 'Plant A', edgeNodeId: node } }),
    delivered() {
      // Each read once, by read time: from the DBIRTHs (the latest values) and the DDATA.
      const reads = new Map<number, Delivered>();
      let names = new Map<number, string>();
      for (const m of host.of(node)) {
        if (m.device === undefined || (m.type !== 'DBIRTH' && m.type !== 'DDATA')) continue;
        if (m.type === 'DBIRTH') names = new Map(m.metrics.map((x) => [Number(big(x.alias)), x.name ?? '']));
        for (const x of m.metrics) {
          const name = x.name ?? names.get(Number(big(x.alias)));
          if (!name || x.isNull === true || x.value === null || x.value === undefined || x.timestamp === undefined || x.timestamp === null) continue;
          const [group = '', tag = ''] = name.split('/');
          const at = Number(big(x.timestamp));
          const read = reads.get(at) ?? { device: m.device, group, values: {}, seq: undefined };
          read.values[tag] = x.value;
          reads.set(at, read);
        }
      }
      // Writable tags never read are born with the birth's time and no value: not a read.
      return [...reads.entries()].filter(([, r]) => r.values.n !== undefined).sort(([a], [b]) => a - b).map(([, r]) => r);
    },
    stopPeer: () => broker.stop(),
    startPeer: () => broker.start(),
    async requestWrite(device, group, tag, value, handled) {
      const payload = tahu.encodePayload({ timestamp: Date.now(), metrics: [{ name: `${group}/${tag}`, type: 'Double', value }] });
      await host.command(`spBv1.0/Plant A/DCMD/${node}/${device}`, Buffer.from(payload));
      await eventually(async () => handled(), 'the DCMD at the write handler', 10_000, 50);
      return undefined;
    },
    async close() {
      await host.close();
      await broker.close();
    },
  };
}

describe.each([
  ['mqtt', mqttHarness],
  ['aws-iot', awsHarness],
  ['azure-iot', azureHarness],
  ['sparkplug-b', sparkplugHarness],
] as const)('sink contract: %s', { timeout: 90_000 }, (_kind, start) => {
  let harness: SinkHarness;
  let sink: Sink | undefined;
  const writes: WriteRequest[] = [];
  const handler: WriteHandler = async (request) => {
    writes.push(request);
    return request.tag === 'locked' ? { ok: false, error: { code: 'TAG_NOT_WRITABLE', message: "tag 'locked' is read-only" } } : { ok: true };
  };
  let n = 0;
  const publish = (count: number) => {
    for (let i = 0; i < count; i++) {
      n++;
      sink!.publish(sampleOf('press', LINE, 1_700_000_000_000 + n, { n, temp: 20 + n / 10 }));
    }
  };

  beforeAll(async () => {
    harness = await start();
    sink = defaultSinkRegistry().create(harness.config(), { ...sinkContext(), agentId: AGENT, writes: handler });
    // As the apply engine does: the subscribed devices' definitions before the start.
    sink.define?.([{ name: 'press', groups: [LINE], link: 'connected' }]);
    await sink.start();
    await eventually(async () => sink!.link() === 'connected', `the ${_kind} sink to connect (last error ${sink!.stats().lastError ?? 'none'})`, 30_000);
  });

  afterEach(() => {
    writes.length = 0;
  });

  afterAll(async () => {
    await sink?.stop();
    await harness?.close();
  });

  it('delivers each sample with its device, group and values, in order, seqs going up', async () => {
    publish(20);
    await eventually(async () => harness.delivered().length >= 20, 'twenty messages', 15_000);
    const delivered = harness.delivered();
    expect(delivered.map((d) => d.values.n)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(harness.arrivalOrder || delivered.length === 20).toBe(true);
    expect(delivered[0]).toMatchObject({ device: 'press', group: 'line', values: { n: 1, temp: 20.1 } });
    if (harness.carriesSeq) {
      const seqs = delivered.map((d) => d.seq);
      expect(seqs.every((s) => Number.isSafeInteger(s))).toBe(true);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
    }
    await eventually(async () => sink!.stats().published === 20, 'the stats to count them', 5_000);
    expect(sink!.stats()).toMatchObject({ link: 'connected', errors: 0, dropped: 0, bufferDepth: 0, lastError: null });
  });

  it('keeps what it cannot send while the peer is away, shows the backlog, and drains it in order', async () => {
    const before = harness.delivered().length;
    await harness.stopPeer();
    await eventually(async () => sink!.link() !== 'connected', 'the sink to see its peer gone', 15_000);
    publish(50);
    const backlog = await eventually(async () => {
      const s = sink!.stats();
      return s.bufferDepth === 50 ? s : undefined;
    }, 'fifty messages in the buffer', 10_000);
    expect(backlog.bufferBytes).toBeGreaterThan(0);
    expect(backlog.lastError).toEqual(expect.stringMatching(/\S/));
    await harness.startPeer();
    publish(5);
    await eventually(async () => harness.delivered().length >= before + 55 && sink!.stats().bufferDepth === 0, 'the backlog and the new samples delivered', 60_000, 200);
    // A message whose acknowledgement was lost to the outage may come twice, under one seq.
    const seen = new Set<number | undefined>();
    const unique = harness.delivered().filter((d) => !(d.seq !== undefined && seen.has(d.seq)) && seen.add(d.seq));
    expect(unique.map((d) => d.values.n)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(sink!.stats()).toMatchObject({ link: 'connected', dropped: 0, bufferDepth: 0, lastError: null });
  });

  it('carries a write from the cloud to the write handler and answers it', async () => {
    const answered = await harness.requestWrite('press', 'line', 'setpoint', 23.5, () => writes.length > 0);
    if (answered !== undefined) expect(answered).toBe(true);
    expect(writes).toContainEqual({ device: 'press', group: 'line', tag: 'setpoint', value: 23.5 });
    writes.length = 0;
    const refused = await harness.requestWrite('press', 'line', 'locked', 1, () => writes.length > 0);
    if (refused !== undefined) expect(refused).toBe(false);
    expect(writes).toEqual([{ device: 'press', group: 'line', tag: 'locked', value: 1 }]);
  });

  it('stops cleanly: the link is disconnected and later samples are ignored', async () => {
    await sink!.stop();
    expect(sink!.link()).toBe('disconnected');
    const count = harness.delivered().length;
    expect(() => publish(3)).not.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    expect(harness.delivered().length).toBe(count);
  });
});
