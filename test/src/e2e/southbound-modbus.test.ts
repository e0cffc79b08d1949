/**
 * A Modbus machine run from the control plane, end to end: the operator's config (a bad tag is
 * refused with 400 before it reaches the agent), a real agent process polling a pymodbus server,
 * live values through the API, writes landing in the machine's registers, the request plan in
 * the heartbeat, and the machine going away and coming back, seen in the fleet view.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentViewSchema, ApiErrorSchema, ConfigRevisionViewSchema, TagErrorNumber, type AgentConfigInput, type TagInput } from '@edgefleet/protocol';
import { startStack, type Stack } from '../support/stack.js';
import type { AgentProcess } from '../support/agent-process.js';
import { startEnrolledAgent } from '../support/enrolled-agent.js';
import { PlaneClient } from '../support/plane-client.js';
import { eventually } from '../support/eventually.js';
import { ValuesSchema } from '../support/fixtures.js';
import { startModbusPeer, type ModbusPeer } from '../peers/modbus/modbus-peer.js';

const TAGS: TagInput[] = [
  // 1234.5 as float32 with the words swapped (Neuron #BL = CDAB).
  { name: 'pressure', address: '1!400001#BL', type: 'float32' },
  { name: 'count', address: '1!400003', type: 'uint16' },
  { name: 'setpoint', address: '1!400010', type: 'int16', access: 'rw', scale: 0.1 },
  { name: 'running', address: '1!000001', type: 'bool', access: 'rw' },
  { name: 'batch', address: '1!400020.8H', type: 'string' },
  { name: 'alarm', address: '1!400003.0', type: 'bit' },
];

function config(port: number, tags: TagInput[] = TAGS): AgentConfigInput {
  return {
    agent: { heartbeatIntervalMs: 1000 },
    devices: [
      {
        name: 'press',
        driver: 'modbus-tcp',
        settings: { host: '127.0.0.1', port, timeoutMs: 500, retries: 0 },
        groups: [{ name: 'line', intervalMs: 200, tags }],
      },
    ],
  };
}

/** Two bytes per register, high byte first (Neuron's H mode). */
const textRegisters = (s: string): number[] => Array.from({ length: Math.ceil(s.length / 2) }, (_, i) => (s.charCodeAt(2 * i) << 8) | (s.charCodeAt(2 * i + 1) || 0));

describe('southbound: a Modbus machine run from the control plane', { timeout: 120_000 }, () => {
  let stack: Stack;
  let plane: PlaneClient;
  let peer: ModbusPeer;
  let dir: string;
  let agent: AgentProcess;
  let agentId: string;
  const base = () => `/api/v1/agents/${agentId}`;
  const view = async () => stack.api('GET', base(), undefined, AgentViewSchema);
  const values = async () => (await stack.api('GET', `${base()}/values`, undefined, ValuesSchema)).groups.find((g) => g.device === 'press' && g.group === 'line');

  beforeAll(async () => {
    peer = await startModbusPeer({ mode: 'tcp', units: [1] });
    await peer.set(1, 'hr', 0, [0x5000, 0x449a, 42]);
    await peer.set(1, 'hr', 9, [215]);
    await peer.set(1, 'hr', 19, textRegisters('LOT-0042'));
    await peer.set(1, 'co', 0, [1]);
    stack = await startStack();
    plane = await PlaneClient.connect(stack.broker.url, stack.ca);
    dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-southbound-'));
    ({ agent, agentId } = await startEnrolledAgent(stack, dir, 'press-gateway'));
  });

  afterAll(async () => {
    await agent?.stop();
    await plane?.close();
    await stack?.close();
    await peer?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a bad tag with 400 naming the tag and the reason, before any agent sees it', async () => {
    const before = (await view()).desiredRevision;
    const bad = config(peer.port, [...TAGS, { name: 'speed', address: '1!300005', type: 'int16', access: 'rw' }]);
    const res = await stack.send('PUT', `${base()}/config`, { document: bad });
    expect(res.status).toBe(400);
    const error = ApiErrorSchema.parse(res.body);
    expect(error.issues).toContainEqual({
      path: 'devices[0].groups[0].tags[6].address',
      message: "tag 'speed' (1!300005, int16, rw): input registers are read only; use a holding register (area 4) to write",
    });
    expect((await view()).desiredRevision).toBe(before);
  });

  it('polls the machine and serves its values decoded, scaled and in order', async () => {
    const rev = await stack.api('PUT', `${base()}/config`, { document: config(peer.port) }, ConfigRevisionViewSchema);
    await plane.waitApplied(agentId, rev.revision);
    const line = await eventually(async () => {
      const v = await values();
      return v && Object.keys(v.values).length === TAGS.length ? v : undefined;
    }, 'all tags of the line read');
    expect(line.values).toEqual({ pressure: 1234.5, count: 42, setpoint: 21.5, running: true, batch: 'LOT-0042', alarm: 0 });
    expect(line.errors).toEqual({});
  });

  it('writes through the API into the machine registers, encoded by type and scale', async () => {
    const setpoint = await stack.send('POST', `${base()}/tags/write`, { device: 'press', group: 'line', tag: 'setpoint', value: -12.3 });
    expect(setpoint.status, JSON.stringify(setpoint.body)).toBe(200);
    expect(await peer.get(1, 'hr', 9, 1)).toEqual([0x10000 - 123]);
    const running = await stack.send('POST', `${base()}/tags/write`, { device: 'press', group: 'line', tag: 'running', value: false });
    expect(running.status, JSON.stringify(running.body)).toBe(200);
    expect(await peer.get(1, 'co', 0, 1)).toEqual([0]);
    const readOnly = await stack.send('POST', `${base()}/tags/write`, { device: 'press', group: 'line', tag: 'count', value: 1 });
    expect(readOnly.status).toBe(422);
    await eventually(async () => {
      const v = await values();
      return v?.values.setpoint === -12.3 && v.values.running === false;
    }, 'the written values polled back');
  });

  it('shows the request plan and request figures in the heartbeat', async () => {
    const stats = await eventually(async () => {
      const d = (await view()).heartbeat?.devices.find((x) => x.name === 'press');
      return d && Number(d.details?.requests) > 0 ? d : undefined;
    }, 'a heartbeat with Modbus figures');
    expect(stats.link).toBe('connected');
    // Registers 1–23 in one read (the gaps of 6 and 9 unused registers are within the default
    // of 10, so bridging them saves two requests), and one coil read.
    expect(stats.details?.planRequestsPerCycle).toEqual({ line: 2 });
    expect(stats.details?.lastRoundTripMs).toEqual(expect.any(Number));
  });

  it('shows the machine going away with the reason, and recovers by itself when it returns', async () => {
    await peer.kill();
    const down = await eventually(async () => {
      const d = (await view()).devices.find((x) => x.name === 'press');
      return d && d.link !== 'connected' ? d : undefined;
    }, 'the fleet view showing the machine down', 20_000);
    expect(down.error).toEqual(expect.stringMatching(/\S/));
    await eventually(async () => (await values())?.errors.pressure === TagErrorNumber.DEVICE_NO_RESPONSE, 'values flagged as not answering');

    await peer.restart();
    await peer.set(1, 'hr', 0, [0x5000, 0x449a, 43]);
    await eventually(async () => (await view()).devices.find((x) => x.name === 'press')?.link === 'connected', 'the fleet view showing the machine back', 30_000);
    await eventually(async () => {
      const v = await values();
      return v?.values.count === 43 && Object.keys(v.errors).length === 0;
    }, 'fresh values after the machine returned', 30_000);
  });
});
