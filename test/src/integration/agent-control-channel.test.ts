import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTROL_PLANE_IDENTITY,
  CommandReplySchema,
  HeartbeatMessageSchema,
  NeuronValuesPayloadSchema,
  PresenceMessageSchema,
  StateMessageSchema,
  configDigest,
  topics,
  type AgentConfigInput,
  type CommandReply,
  type StateMessage,
} from '@edgefleet/protocol';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../control-plane/src/embedded/broker/index.js';
import { CertificateAuthority } from '../../../control-plane/src/pki/certificate-authority.js';
import { createLogger, generateKeyAndCsr, readStatusFile, saveIdentity, startAgent, statePaths, type RunningAgent } from '../../../agent/src/index.js';
import { DriverRegistry } from '../../../agent/src/drivers/registry.js';
import { SimulatorDriver } from '../../../agent/src/drivers/simulator/simulator-driver.js';

/** An agent build with the simulator only, so a Modbus device is a driver it does not include. */
const simulatorOnly = (): DriverRegistry =>
  new DriverRegistry().register('simulator', (device) => {
    if (device.driver !== 'simulator') throw new Error('simulator factory called for another driver');
    return new SimulatorDriver(device);
  });

/**
 * The agent against the real embedded fleet broker (aedes, mTLS, the fleet's topic rules), with
 * the test acting as the control plane: config messages in, state/data/replies out.
 */
let ca: CertificateAuthority;
let broker: EmbeddedBroker;
let brokerPort = 0;
let brokerTls: { keyPem: string; certPem: string; caPem: string[] };
let planeCert: { keyPem: string; certPem: string };
let plane: MqttClient;
let agent: RunningAgent | undefined;
let stateDir: string;
const agentId = randomUUID();
const received: Array<{ topic: string; payload: string }> = [];

async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const statesSince = (index: number): StateMessage[] =>
  received.slice(index).filter((m) => m.topic === topics.state(agentId)).map((m) => StateMessageSchema.parse(JSON.parse(m.payload)));

function waitForState(since: number, predicate: (s: StateMessage) => boolean, what: string): Promise<StateMessage> {
  return waitFor(what, () => statesSince(since).find(predicate));
}

function publishConfig(revision: number, document: unknown, sha256 = configDigest(document)): number {
  const mark = received.length;
  plane.publish(topics.config(agentId), JSON.stringify({ revision, sha256, document, issuedAt: new Date().toISOString() }), { qos: 1, retain: true });
  return mark;
}

async function command(body: Record<string, unknown>): Promise<CommandReply> {
  const requestId = randomUUID().replace(/-/g, '');
  plane.publish(topics.command(agentId, requestId), JSON.stringify({ requestId, deadline: new Date(Date.now() + 10_000).toISOString(), ...body }), { qos: 1 });
  const msg = await waitFor(`reply to ${String(body.command)}`, () => received.find((m) => m.topic === topics.reply(agentId, requestId)));
  return CommandReplySchema.parse(JSON.parse(msg.payload));
}

const dataTopic = topics.dataRoot(agentId) + '/up/sim/fast';
const dataCount = () => received.filter((m) => m.topic === dataTopic).length;

const goodConfig: AgentConfigInput = {
  agent: { heartbeatIntervalMs: 1000 },
  devices: [
    {
      name: 'sim',
      driver: 'simulator',
      groups: [
        {
          name: 'fast',
          intervalMs: 50,
          tags: [
            { name: 'count', address: 'counter', type: 'int32' },
            { name: 'setpoint', address: 'memory(initial=5)', type: 'float64', access: 'rw', scale: 0.5 },
          ],
        },
      ],
    },
  ],
  northbound: [{ name: 'up', kind: 'mqtt', subscriptions: [{ device: 'sim', group: 'fast' }] }],
};

beforeAll(async () => {
  ({ ca } = await CertificateAuthority.create());
  const server = await ca.issueServerCertificate('broker', ['localhost', '127.0.0.1'], 1);
  brokerTls = { keyPem: server.keyPem, certPem: server.certPem, caPem: [ca.certPem] };
  broker = await startEmbeddedBroker({ port: 0, host: '127.0.0.1', tls: brokerTls });
  brokerPort = broker.port;

  // Seed the state dir the way enrollment would leave it.
  stateDir = await mkdtemp(join(tmpdir(), 'ef-agent-it-'));
  const { keyPem, csrPem } = await generateKeyAndCsr('box-1');
  const issued = await ca.signClientCsr(csrPem, agentId, 1);
  await saveIdentity(
    stateDir,
    { agentId, fleetId: randomUUID(), name: 'box-1', hardwareId: 'hw-1', brokerUrl: broker.url, certificateExpiresAt: issued.notAfter.toISOString() },
    { keyPem, certPem: issued.certPem, caPem: ca.certPem },
  );

  planeCert = await ca.issueClientCertificate(CONTROL_PLANE_IDENTITY, 1);
  await connectPlane();
});

async function connectPlane(): Promise<void> {
  plane?.end(true);
  plane = mqtt.connect(broker.url, {
    clientId: `${CONTROL_PLANE_IDENTITY}-${randomUUID().slice(0, 8)}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
    key: planeCert.keyPem,
    cert: planeCert.certPem,
    ca: [ca.certPem],
  });
  await new Promise<void>((resolve, reject) => {
    plane.once('connect', () => resolve());
    plane.once('error', reject);
  });
  plane.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
  await plane.subscribeAsync(`ef/v1/${agentId}/#`, { qos: 1 });
}

afterAll(async () => {
  await agent?.stop();
  plane?.end(true);
  await broker?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('agent control channel', () => {
  it('connects with mTLS, announces presence and reports its initial state', async () => {
    agent = await startAgent({ stateDir, logger: createLogger('silent'), statusIntervalMs: 200, drivers: simulatorOnly() });
    expect(agent.agentId).toBe(agentId);
    const presence = await waitFor('presence online', () => received.find((m) => m.topic === topics.presence(agentId)));
    expect(PresenceMessageSchema.parse(JSON.parse(presence.payload)).status).toBe('online');
    const state = await waitForState(0, () => true, 'initial state');
    expect(state).toMatchObject({ appliedRevision: null, agentVersion: expect.any(String) });
    expect((await stat(statePaths(stateDir).key)).mode & 0o777).toBe(0o600);
  });

  it('applies a valid config, reports applied and publishes Neuron values on the data topic', async () => {
    const mark = publishConfig(1, goodConfig);
    const state = await waitForState(mark, (s) => s.status === 'applied' && s.appliedRevision === 1, 'applied revision 1');
    expect(state.devices).toEqual([{ name: 'sim', kind: 'simulator', link: 'connected' }]);
    expect(state.sinks).toEqual([{ name: 'up', kind: 'mqtt', link: 'connected' }]);
    const data = await waitFor('values on the data topic', () => received.find((m) => m.topic === dataTopic));
    const payload = NeuronValuesPayloadSchema.parse(JSON.parse(data.payload));
    expect(payload).toMatchObject({ node: 'sim', group: 'fast', values: { setpoint: 2.5 }, errors: {}, metas: {} });
    const heartbeat = await waitFor('a heartbeat', () => received.find((m) => m.topic === topics.heartbeat(agentId)));
    expect(HeartbeatMessageSchema.parse(JSON.parse(heartbeat.payload))).toMatchObject({ appliedRevision: 1, devices: [{ name: 'sim', driver: 'simulator' }] });
  });

  it('ignores a stale or duplicate revision', async () => {
    const mark = publishConfig(1, { devices: [] });
    await command({ command: 'ping' }); // the agent handled the config message before answering
    await new Promise((r) => setTimeout(r, 200));
    expect(statesSince(mark)).toHaveLength(0);
    expect(agent?.appliedRevision()).toBe(1);
  });

  it('rejects an invalid config with every failing path and keeps running', async () => {
    const bad = { devices: [{ name: 'sim', driver: 'simulator', groups: [{ name: 'fast', intervalMs: 1, tags: [{ name: 't', address: 'nope', type: 'int16' }] }] }] };
    const mark = publishConfig(2, bad);
    const state = await waitForState(mark, (s) => s.status === 'rejected', 'rejected revision 2');
    expect(state).toMatchObject({ appliedRevision: 1, revision: 2, error: { code: 'CONFIG_INVALID' } });
    expect(state.error?.issues?.map((i) => i.path)).toEqual(expect.arrayContaining(['devices[0].groups[0].intervalMs']));
  });

  it('rejects a digest mismatch', async () => {
    const mark = publishConfig(3, goodConfig, '0'.repeat(64));
    const state = await waitForState(mark, (s) => s.status === 'rejected' && s.revision === 3, 'rejected revision 3');
    expect(state.error?.code).toBe('CONFIG_DIGEST_MISMATCH');
  });

  it('fails a config with a driver this build does not include, and keeps polling the old one', async () => {
    const withPlc = structuredClone(goodConfig);
    withPlc.devices = [...(withPlc.devices ?? []), { name: 'plc', driver: 'modbus-tcp', settings: { host: '127.0.0.1' }, groups: [] }];
    const mark = publishConfig(4, withPlc);
    const state = await waitForState(mark, (s) => s.status === 'failed', 'failed revision 4');
    expect(state).toMatchObject({ appliedRevision: 1, revision: 4, error: { code: 'DRIVER_UNAVAILABLE' } });
    expect(state.error?.message).toContain("'plc'");
    const before = dataCount();
    await waitFor('more values from the old config', () => (dataCount() > before + 3 ? true : undefined));
  });

  it('answers commands', async () => {
    expect(await command({ command: 'ping' })).toMatchObject({ ok: true, result: { appliedRevision: 1 } });
    const read = await command({ command: 'read-values', args: { device: 'sim' } });
    expect(read).toMatchObject({ ok: true, result: { groups: [{ device: 'sim', group: 'fast' }] } });

    expect(await command({ command: 'write', args: { device: 'sim', group: 'fast', tag: 'setpoint', value: 21 } })).toMatchObject({ ok: true });
    await waitFor('the written value', () => {
      const last = received.filter((m) => m.topic === dataTopic).at(-1);
      return last && JSON.parse(last.payload).values.setpoint === 21 ? true : undefined;
    });
    expect(await command({ command: 'write', args: { device: 'sim', group: 'fast', tag: 'count', value: 1 } })).toMatchObject({ ok: false, error: { code: 'TAG_NOT_WRITABLE' } });
    expect(await command({ command: 'write', args: { device: 'sim', group: 'fast', tag: 'nope', value: 1 } })).toMatchObject({ ok: false, error: { code: 'TAG_NOT_FOUND' } });
    expect(await command({ command: 'reboot-the-world' })).toMatchObject({ ok: false, error: { code: 'COMMAND_UNKNOWN' } });
    expect(await command({ command: 'write', args: { device: 'sim' } })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  });

  it('says offline when stopped, then boots into its last good config with the broker unreachable', async () => {
    const mark = received.length;
    await agent?.stop();
    agent = undefined;
    const offline = await waitFor('presence offline', () => received.slice(mark).find((m) => m.topic === topics.presence(agentId)));
    expect(JSON.parse(offline.payload).status).toBe('offline');

    await broker.close();
    agent = await startAgent({ stateDir, logger: createLogger('silent'), statusIntervalMs: 100, drivers: simulatorOnly() });
    const status = await waitFor('status.json with polls from the disk config', () => {
      const s = readStatusFileSync();
      return s;
    });
    expect(status).toMatchObject({ agentId, appliedRevision: 1, configSource: 'disk', connected: false });
  });

  it('reconnects when the broker comes back and reports presence and state again', async () => {
    // Same port, so the agent's stored brokerUrl reaches the new broker.
    broker = await startEmbeddedBroker({ port: brokerPort, host: '127.0.0.1', tls: brokerTls });
    await connectPlane();
    const mark = received.length;
    await waitFor('the agent to reconnect', () => (agent?.connected() ? true : undefined), 20_000);
    const presence = await waitFor('presence online', () => received.slice(mark).find((m) => m.topic === topics.presence(agentId)));
    expect(JSON.parse(presence.payload).status).toBe('online');
    const state = await waitForState(mark, () => true, 'state after reconnect');
    expect(state).toMatchObject({ appliedRevision: 1, status: 'applied' });
  }, 30_000);
});

let lastStatus: Awaited<ReturnType<typeof readStatusFile>> | undefined;
let statusReading = false;
/** Polls status.json in the background so `waitFor` can stay synchronous. */
function readStatusFileSync() {
  if (!statusReading) {
    statusReading = true;
    readStatusFile(statePaths(stateDir).status)
      .then((s) => {
        lastStatus = s;
      })
      .catch(() => undefined)
      .finally(() => {
        statusReading = false;
      });
  }
  return lastStatus && lastStatus.configSource === 'disk' && (lastStatus.devices[0]?.polls ?? 0) > 3 ? lastStatus : undefined;
}
