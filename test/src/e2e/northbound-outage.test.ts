/**
 * Store and forward through a plant's worst minute: 1,000 values/s flow from an agent process to
 * the user's broker (the real Debian Mosquitto) when the broker stops for 60 s; halfway through
 * the outage the agent is killed with SIGKILL (a power cut for the process) and started again.
 * Once the broker is back, every value read before the crash and after the restart arrives, in
 * order, none lost. A message the broker had when it stopped, whose PUBACK never came back, is
 * sent again: that duplicate must carry the same seq (an MQTT 5 user property) as the first copy.
 *
 * Each of the 20 tags is a counter with its own start (tag i counts from i × 1,000,000), read
 * every 20 ms: a message's values must agree with each other, and a process's messages must
 * count up by one from the first read with no gap. The consumer keeps a persistent session on a
 * broker that saves it across the restart, so what the agent drains while the consumer is still
 * reconnecting is queued for it rather than lost in the test's own plumbing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentViewSchema, ConfigRevisionViewSchema, type AgentConfigInput, type SinkStats } from '@edgefleet/protocol';
import { spawnAgent, type AgentProcess } from '../support/agent-process.js';
import { startEnrolledAgent } from '../support/enrolled-agent.js';
import { eventually } from '../support/eventually.js';
import { PlaneClient } from '../support/plane-client.js';
import { startStack, type Stack } from '../support/stack.js';
import { startUserMosquitto, type UserBroker } from '../support/user-brokers.js';

const TAGS = 20;
const INTERVAL_MS = 20; // 20 tags × 50 reads/s = 1,000 values/s
const OUTAGE_MS = 60_000;
const BASE = 1_000_000;

function config(brokerUrl: string): AgentConfigInput {
  return {
    agent: { heartbeatIntervalMs: 1000 },
    devices: [
      {
        name: 'line',
        driver: 'simulator',
        settings: {},
        groups: [{ name: 'fast', intervalMs: INTERVAL_MS, tags: Array.from({ length: TAGS }, (_, i) => ({ name: `t${i}`, address: `counter(start=${i * BASE})`, type: 'uint32' as const })) }],
      },
    ],
    northbound: [
      {
        name: 'plant',
        kind: 'mqtt',
        settings: { broker: { url: brokerUrl, keepaliveSec: 5, protocolVersion: 5 }, topic: 'plant/{device}/{group}', qos: 1 },
        subscriptions: [{ device: 'line', group: 'fast' }],
      },
    ],
  };
}

interface Received {
  timestamp: number;
  /** The message's seq (MQTT 5 user property), if it has one. */
  seq: number | undefined;
  /** The read's number within its agent process (0 = the first read), if the message is consistent. */
  read: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('northbound: a 60 s broker outage with the agent killed in the middle', { timeout: 300_000 }, () => {
  let stack: Stack;
  let plane: PlaneClient;
  let broker: UserBroker;
  let consumer: MqttClient;
  let dir: string;
  let agent: AgentProcess | undefined;
  let agentId: string;
  const got: Received[] = [];

  const sinkStats = async (): Promise<SinkStats | undefined> => (await stack.api('GET', `/api/v1/agents/${agentId}`, undefined, AgentViewSchema)).heartbeat?.sinks.find((s) => s.name === 'plant');

  beforeAll(async () => {
    broker = await startUserMosquitto({ persistence: true });
    consumer = await mqtt.connectAsync(broker.url, { clientId: 'outage-consumer', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 250 });
    consumer.on('message', (_topic, payload, packet) => {
      const message = JSON.parse(payload.toString()) as { timestamp: number; values: Record<string, number> };
      const read = message.values.t0 ?? -1;
      const consistent = Array.from({ length: TAGS }, (_, i) => message.values[`t${i}`] === i * BASE + read).every(Boolean);
      const seq = packet.properties?.userProperties?.seq;
      got.push({ timestamp: message.timestamp, seq: typeof seq === 'string' ? Number(seq) : undefined, read: consistent ? read : null });
    });
    await consumer.subscribeAsync('plant/#', { qos: 1 });
    stack = await startStack();
    plane = await PlaneClient.connect(stack.broker.url, stack.ca);
    dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-outage-'));
    ({ agent, agentId } = await startEnrolledAgent(stack, dir, 'line-gateway'));
  });

  afterAll(async () => {
    await agent?.stop();
    await consumer?.endAsync(true);
    await plane?.close();
    await stack?.close();
    await broker?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('delivers every value, in order, after the broker returns; a duplicate only with the same seq', async () => {
    const rev = await stack.api('PUT', `/api/v1/agents/${agentId}/config`, { document: config(broker.url) }, ConfigRevisionViewSchema);
    await plane.waitApplied(agentId, rev.revision);
    await eventually(async () => got.length >= 100, 'two seconds of values at the consumer', 20_000);

    // The outage: Mosquitto stops (saving the consumer's session) and stays away for 60 s.
    const outageAt = Date.now();
    await broker.stop();
    const buffering = await eventually(async () => {
      const s = await sinkStats();
      return s && s.link !== 'connected' && s.bufferDepth > 200 ? s : undefined;
    }, 'the heartbeat showing the sink buffering', 20_000);
    expect(buffering.bufferBytes).toBeGreaterThan(0);
    expect(buffering.bufferOldestAgeMs).toBeGreaterThan(0);

    // Halfway: the power cut for the agent process, and its restart from the same state dir.
    await sleep(Math.max(0, outageAt + OUTAGE_MS / 2 - Date.now()));
    const killedAt = Date.now();
    agent!.kill('SIGKILL');
    const exit = await agent!.exited;
    expect(exit.signal).toBe('SIGKILL');
    const restartedAt = Date.now();
    agent = await spawnAgent({ stateDir: path.join(dir, 'line-gateway') });
    await agent.waitForOutput(/connected to the fleet broker/, 30_000);

    // The broker returns after 60 s; the consumer's session was kept, so it gets everything.
    await sleep(Math.max(0, outageAt + OUTAGE_MS - Date.now()));
    const backAt = Date.now();
    await broker.start();
    await eventually(async () => got.some((m) => m.timestamp > backAt + 3_000), 'live values again after the backlog', 90_000, 250);
    const after = await eventually(async () => {
      const s = await sinkStats();
      return s && s.link === 'connected' && s.bufferDepth === 0 ? s : undefined;
    }, 'the sink drained and connected', 30_000);
    expect(after.dropped).toBe(0);

    // Every message is whole (its 20 counters agree) and carries a seq.
    expect(got.filter((m) => m.read === null || m.seq === undefined), 'messages torn or without a seq').toEqual([]);
    // A message sent again after a lost acknowledgement carries the seq of its first copy; a
    // consumer drops it by that seq. After that, seqs only go up.
    const first = new Map<number, Received>();
    const unique = got.filter((m) => {
      const earlier = first.get(m.seq!);
      if (earlier) expect(m, `the message sent again under seq ${m.seq}`).toEqual(earlier);
      else first.set(m.seq!, m);
      return !earlier;
    });
    for (let i = 1; i < unique.length; i++) expect(unique[i]!.seq!, `seq of message ${i}`).toBeGreaterThan(unique[i - 1]!.seq!);
    const duplicates = got.length - unique.length;
    expect(duplicates, 'duplicates (a few at most, at the outage boundary)').toBeLessThanOrEqual(100);

    // Arrival order is read order across the crash: the killed process's values, then the new one's.
    // The new process counts from 0 again: that is where its reads begin. (A read of the killed
    // process may be stamped just after `killedAt`: the signal takes a moment to land.)
    const restart = unique.findIndex((m, i) => i > 0 && m.read === 0);
    expect(restart, 'the restarted agent’s first read').toBeGreaterThan(0);
    const firstRun = unique.slice(0, restart);
    const secondRun = unique.slice(restart);
    expect(firstRun.at(-1)!.timestamp, 'a read of the killed agent after its restart').toBeLessThan(restartedAt);
    expect(secondRun[0]!.timestamp, 'a read of the new agent before it started').toBeGreaterThanOrEqual(restartedAt);
    for (let i = 1; i < unique.length; i++) expect(unique[i]!.timestamp, `message ${i} arrived out of order`).toBeGreaterThanOrEqual(unique[i - 1]!.timestamp);

    // Each process's reads arrive from its first, counting up by one: nothing lost, nothing twice.
    const reads = (run: Received[]) => run.map((m) => m.read);
    expect(reads(firstRun)).toEqual(Array.from({ length: firstRun.length }, (_, i) => i));
    expect(reads(secondRun)).toEqual(Array.from({ length: secondRun.length }, (_, i) => i));

    // The killed process kept what it read up to the crash (only the last moment's commit may be missing).
    expect(killedAt - firstRun.at(-1)!.timestamp).toBeLessThan(1_000);
    // And the values really flowed at about 1,000 per second throughout the outage.
    const outageReads = unique.filter((m) => m.timestamp >= outageAt && m.timestamp < backAt).length;
    const expectedReads = (backAt - outageAt - (restartedAt - killedAt)) / INTERVAL_MS;
    expect(outageReads).toBeGreaterThan(expectedReads * 0.6);
  });
});
