import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HeartbeatMessage } from '@edgefleet/protocol';
import { round } from '../stats.js';
import { startAgentRun } from './agent-harness.js';
import { agentConfig, modbusDevice, simulatorDevice } from './configs.js';
import { startModbusPeer } from './modbus-peer.js';
import { MachineCpu, ProcessSampler } from './proc-stats.js';

export interface FleetOptions {
  /** `simulator`: the same devices on the simulator driver, to separate the driver's cost from the rest of the agent's. */
  driver: 'modbus' | 'simulator';
  devices: number;
  tagsPerDevice: number;
  intervalMs: number;
  /** Listening ports of the server; devices are spread over them round robin. */
  listeners: number;
  warmupSeconds: number;
  seconds: number;
  dir: string;
  cpuProfDir?: string;
  log: (line: string) => void;
}

export type FleetResult =
  | { status: 'unavailable'; reason: string }
  | {
      status: 'ok';
      method: string;
      devices: number;
      tagsPerDevice: number;
      intervalMs: number;
      nominalTagsPerSecond: number;
      applySeconds: number;
      windowSeconds: number;
      tagsPerSecond: number;
      deliveredRatio: number;
      tagErrorsInWindow: number;
      messagesPerSecond: number;
      payloadMBPerSecond: number;
      agent: { cpuPercent: number; rssMedianMiB: number; rssMaxMiB: number; rssPeakMiB: number };
      server: { kind: string; requestsPerSecond: number; expectedRequestsPerSecond: number; cpuPercent: number } | null;
      broker: { cpuPercent: number };
      machineCpuPercent: number;
      /** From the agent's heartbeats just before and just after the window (so ± one heartbeat interval). */
      heartbeat: { pollErrors: number; skippedCycles: number; sinkPublished: number; sinkDropped: number; sinkErrors: number } | null;
    };

/**
 * Section 3: the real agent process (`agent/dist/cli.js run`, config delivered over the fleet
 * broker) polling `devices` Modbus TCP devices of `tagsPerDevice` tags each and publishing
 * every group read to Mosquitto through its MQTT sink; a consumer counts the tag values.
 */
export async function runFleet(opts: FleetOptions): Promise<FleetResult> {
  const peer = opts.driver === 'modbus' ? await startModbusPeer({ listeners: opts.listeners, tickMs: 1000, name: 'modbus-fleet' }) : undefined;
  const nodeArgs = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`, `--cpu-prof-name=agent-fleet-${opts.driver}.cpuprofile`] : [];
  const dir = path.join(opts.dir, `fleet-${opts.driver}`);
  const run = await startAgentRun({ dir, nodeArgs, env: { XDG_CONFIG_HOME: path.join(dir, 'xdg') } }).catch(async (err: unknown) => {
    await peer?.stop();
    throw err;
  });
  try {
    const devices = Array.from({ length: opts.devices }, (_, d) => {
      const name = `plc${String(d).padStart(3, '0')}`;
      return peer
        ? modbusDevice({ name, port: peer.ports[d % peer.ports.length] as number, tags: opts.tagsPerDevice, intervalMs: opts.intervalMs })
        : simulatorDevice({ name, tags: opts.tagsPerDevice, intervalMs: opts.intervalMs });
    });
    const config = agentConfig(devices);
    opts.log(`config: ${opts.devices} devices × ${opts.tagsPerDevice} tags at ${opts.intervalMs} ms, ${(JSON.stringify(config).length / 1e6).toFixed(1)} MB of JSON`);
    const applied = await run.apply(config, 180_000);
    if (applied.state.status !== 'applied') {
      const reason = `${applied.state.status}: ${applied.state.error?.code ?? ''} ${applied.state.error?.message ?? ''}`.trim();
      opts.log(`agent did not apply the config — ${reason}`);
      return { status: 'unavailable', reason };
    }
    opts.log(`applied in ${round(applied.seconds, 1)} s; warming up ${opts.warmupSeconds} s`);
    const nominal = (opts.devices * opts.tagsPerDevice * 1000) / opts.intervalMs;
    await sleep(opts.warmupSeconds * 1000);
    if (run.counter.values === 0) throw new Error(`no values arrived within ${opts.warmupSeconds} s of the apply; agent output:\n${run.agent.output(20)}`);

    const agentSampler = new ProcessSampler(run.agent.pid);
    const serverSampler = peer ? new ProcessSampler(peer.pid) : undefined;
    const brokerSampler = new ProcessSampler(run.broker.pid);
    const machine = new MachineCpu();
    const req0 = (await peer?.requests()) ?? 0;
    const hb0 = run.latestHeartbeat();
    const msgs0 = run.counter.messages;
    const bytes0 = run.counter.bytes;
    const errors0 = run.counter.errors;
    await Promise.all([agentSampler.start(), serverSampler?.start(), brokerSampler.start(), machine.begin()]);
    const t0 = Date.now();
    await sleep(opts.seconds * 1000);
    const t1 = Date.now();
    const [agent, server, broker, machineCpu] = await Promise.all([agentSampler.stop(), serverSampler?.stop(), brokerSampler.stop(), machine.end()]);
    const req1 = (await peer?.requests()) ?? 0;
    const msgs = run.counter.messages - msgs0;
    const bytes = run.counter.bytes - bytes0;
    // Let the polls started inside the window arrive, then count them by their poll timestamp.
    const heartbeat = await run.nextHeartbeat(15_000).catch(() => run.latestHeartbeat());
    await sleep(Math.min(3000, opts.intervalMs * 2));
    const windowSeconds = (t1 - t0) / 1000;
    const tagsPerSecond = run.counter.valuesStampedBetween(t0, t1) / windowSeconds;
    const mib = (b: number) => round(b / 2 ** 20, 1);
    const result: FleetResult = {
      status: 'ok',
      method: `real agent process (agent/dist/cli.js run), ${opts.driver} driver, config sent over the fleet broker; values counted by a consumer on Mosquitto (mTLS, QoS 0) by poll timestamp`,
      devices: opts.devices,
      tagsPerDevice: opts.tagsPerDevice,
      intervalMs: opts.intervalMs,
      nominalTagsPerSecond: nominal,
      applySeconds: round(applied.seconds, 1),
      windowSeconds: round(windowSeconds, 1),
      tagsPerSecond: Math.round(tagsPerSecond),
      deliveredRatio: round(tagsPerSecond / nominal, 4),
      tagErrorsInWindow: run.counter.errors - errors0,
      messagesPerSecond: round(msgs / windowSeconds, 1),
      payloadMBPerSecond: round(bytes / windowSeconds / 1e6, 2),
      agent: { cpuPercent: round(agent.cpuPercent, 1), rssMedianMiB: mib(agent.rssMedianBytes), rssMaxMiB: mib(agent.rssMaxBytes), rssPeakMiB: mib(agent.rssPeakBytes) },
      server:
        peer && server
          ? {
              kind: peer.kind,
              requestsPerSecond: Math.round((req1 - req0) / windowSeconds),
              expectedRequestsPerSecond: Math.round((opts.devices * Math.ceil(opts.tagsPerDevice / 125) * 1000) / opts.intervalMs),
              cpuPercent: round(server.cpuPercent, 1),
            }
          : null,
      broker: { cpuPercent: round(broker.cpuPercent, 1) },
      machineCpuPercent: round(machineCpu, 1),
      heartbeat: heartbeat && hb0 ? heartbeatDelta(hb0, heartbeat) : null,
    };
    const srv = result.server ? `; server ${result.server.requestsPerSecond} req/s (expected ${result.server.expectedRequestsPerSecond}) at ${result.server.cpuPercent}% CPU` : '';
    opts.log(
      `${opts.driver}: ${result.tagsPerSecond.toLocaleString('en')} tags/s (${(result.deliveredRatio * 100).toFixed(1)}% of nominal); agent CPU ${result.agent.cpuPercent}% of a core, RSS ${result.agent.rssMedianMiB} MiB (max ${result.agent.rssMaxMiB})${srv}`,
    );
    return result;
  } finally {
    await run.stop();
    await peer?.stop();
  }
}

function heartbeatTotals(h: HeartbeatMessage) {
  return {
    pollErrors: h.devices.reduce((n, d) => n + d.pollErrors, 0),
    skippedCycles: h.devices.reduce((n, d) => n + Number(d.details?.skippedCycles ?? 0), 0),
    sinkPublished: h.sinks.reduce((n, s) => n + s.published, 0),
    sinkDropped: h.sinks.reduce((n, s) => n + s.dropped, 0),
    sinkErrors: h.sinks.reduce((n, s) => n + s.errors, 0),
  };
}

function heartbeatDelta(before: HeartbeatMessage, after: HeartbeatMessage): ReturnType<typeof heartbeatTotals> {
  const a = heartbeatTotals(before);
  const b = heartbeatTotals(after);
  return {
    pollErrors: b.pollErrors - a.pollErrors,
    skippedCycles: b.skippedCycles - a.skippedCycles,
    sinkPublished: b.sinkPublished - a.sinkPublished,
    sinkDropped: b.sinkDropped - a.sinkDropped,
    sinkErrors: b.sinkErrors - a.sinkErrors,
  };
}
