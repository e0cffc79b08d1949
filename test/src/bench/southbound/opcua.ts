import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { round } from '../stats.js';
import { startAgentRun } from './agent-harness.js';
import { startChild, type Child } from './children.js';
import { agentConfig, opcuaDevice } from './configs.js';
import { MachineCpu, ProcessSampler } from './proc-stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface OpcUaOptions {
  variables: number;
  periodMs: number;
  warmupSeconds: number;
  seconds: number;
  dir: string;
  cpuProfDir?: string;
  log: (line: string) => void;
}

interface ServerStats {
  changes: number;
  ticks: number;
  ticksLate: number;
  sent: number;
  publishes: number;
  monitoredItems: number;
  subscriptions: number;
}

export type OpcUaResult =
  | { status: 'unavailable'; reason: string }
  | {
      status: 'ok';
      method: string;
      variables: number;
      periodMs: number;
      nominalChangesPerSecond: number;
      applySeconds: number;
      subscribeSeconds: number;
      windowSeconds: number;
      /** In the window: values the server wrote, notifications it sent, values the consumer received. */
      changesPerSecond: number;
      sentPerSecond: number;
      receivedPerSecond: number;
      messagesPerSecond: number;
      /** From subscription to the end of the drain: notifications sent vs tag values received. */
      totals: { changes: number; sent: number; received: number; tagErrors: number; lost: number; lostPercent: number };
      agent: { cpuPercent: number; cpuMicrosPerNotification: number; rssMedianMiB: number; rssMaxMiB: number; rssPeakMiB: number };
      server: { cpuPercent: number; ticksLate: number };
      broker: { cpuPercent: number };
      machineCpuPercent: number;
      heartbeat: { sinkPublished: number; sinkDropped: number; sinkErrors: number; lastError: string | null; driverDetails: Record<string, unknown> | null } | null;
    };

async function serverStats(server: Child): Promise<ServerStats> {
  const mark = server.lines.length;
  server.send('stats');
  const until = Date.now() + 10_000;
  for (;;) {
    for (let i = mark; i < server.lines.length; i++) {
      const line = server.lines[i] as string;
      if (line.startsWith('{"stats"')) return (JSON.parse(line) as { stats: ServerStats }).stats;
    }
    if (Date.now() > until) throw new Error(`the OPC UA server gave no stats; its output:\n${server.output(20)}`);
    await sleep(20);
  }
}

/**
 * Section 4: the real agent process subscribed to `variables` monitored items of a node-opcua
 * server (its own process) that writes every variable every `periodMs`; the agent publishes
 * each delivery through its MQTT sink. Loss = notifications the server sent − values received.
 */
export async function runOpcUa(opts: OpcUaOptions): Promise<OpcUaResult> {
  const xdg = path.join(opts.dir, 'opcua', 'xdg');
  await mkdir(xdg, { recursive: true });
  const server = startChild('opcua-server', process.execPath, [path.join(here, 'opcua-server.js'), '--variables', String(opts.variables), '--period-ms', String(opts.periodMs)], {
    env: { ...process.env, XDG_CONFIG_HOME: xdg },
  });
  try {
    const endpointUrl = await server.waitForJson((m) => (typeof m.endpointUrl === 'string' ? m.endpointUrl : undefined), 120_000, 'its endpoint');
    opts.log(`OPC UA server at ${endpointUrl} with ${opts.variables.toLocaleString('en')} variables`);
    const nodeArgs = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`, '--cpu-prof-name=agent-opcua.cpuprofile'] : [];
    const run = await startAgentRun({ dir: path.join(opts.dir, 'opcua'), nodeArgs, env: { XDG_CONFIG_HOME: xdg } });
    try {
      const config = agentConfig([opcuaDevice({ name: 'opcua', endpointUrl, variables: opts.variables, intervalMs: opts.periodMs })]);
      const applied = await run.apply(config, 120_000);
      if (applied.state.status !== 'applied') {
        const reason = `${applied.state.status}: ${applied.state.error?.code ?? ''} ${applied.state.error?.message ?? ''}`.trim();
        opts.log(`agent did not apply the config — ${reason}`);
        return { status: 'unavailable', reason };
      }
      // Subscribed = the server holds every monitored item and the initial values came through.
      const t0 = performance.now();
      let stats = await serverStats(server);
      while (stats.monitoredItems < opts.variables || run.counter.values + run.counter.errors < opts.variables) {
        if (performance.now() - t0 > 60_000) {
          const hb = run.latestHeartbeat();
          throw new Error(
            `not subscribed after 60 s: server holds ${stats.monitoredItems} monitored items, ${run.counter.values} values received; device: ${JSON.stringify(hb?.devices[0] ?? null)}; agent output:\n${run.agent.output(20)}`,
          );
        }
        await sleep(250);
        stats = await serverStats(server);
      }
      const subscribeSeconds = (performance.now() - t0) / 1000;
      opts.log(`applied in ${round(applied.seconds, 1)} s, ${stats.monitoredItems} items subscribed and initial values in after ${round(subscribeSeconds, 1)} s more`);

      server.send('start');
      await sleep(opts.warmupSeconds * 1000);
      const agentSampler = new ProcessSampler(run.agent.pid);
      const serverSampler = new ProcessSampler(server.pid);
      const brokerSampler = new ProcessSampler(run.broker.pid);
      const machine = new MachineCpu();
      const s0 = await serverStats(server);
      const v0 = run.counter.values + run.counter.errors;
      const m0 = run.counter.messages;
      await Promise.all([agentSampler.start(), serverSampler.start(), brokerSampler.start(), machine.begin()]);
      const w0 = performance.now();
      await sleep(opts.seconds * 1000);
      const [agent, srv, broker, machineCpu] = await Promise.all([agentSampler.stop(), serverSampler.stop(), brokerSampler.stop(), machine.end()]);
      const windowSeconds = (performance.now() - w0) / 1000;
      const s1 = await serverStats(server);
      const v1 = run.counter.values + run.counter.errors;
      const m1 = run.counter.messages;
      server.send('halt');

      // Drain: wait until neither the server sends nor the consumer receives anything new.
      let last = { sent: -1, received: -1 };
      let final = await serverStats(server);
      const drainUntil = performance.now() + 20_000;
      for (;;) {
        await sleep(1500);
        final = await serverStats(server);
        const received = run.counter.values + run.counter.errors;
        if ((final.sent === last.sent && received === last.received) || performance.now() > drainUntil) break;
        last = { sent: final.sent, received };
      }
      const heartbeat = await run.nextHeartbeat(10_000).catch(() => run.latestHeartbeat());
      const received = run.counter.values + run.counter.errors;
      const sentPerSecond = (s1.sent - s0.sent) / windowSeconds;
      const mib = (b: number) => round(b / 2 ** 20, 1);
      const lost = final.sent - received;
      const result: OpcUaResult = {
        status: 'ok',
        method:
          'real agent process (agent/dist/cli.js run), one subscribed group; node-opcua server in its own process writes every variable each period; loss = the server subscription diagnostics (dataChangeNotificationsCount) − tag values received by a consumer on Mosquitto',
        variables: opts.variables,
        periodMs: opts.periodMs,
        nominalChangesPerSecond: (opts.variables * 1000) / opts.periodMs,
        applySeconds: round(applied.seconds, 1),
        subscribeSeconds: round(subscribeSeconds, 1),
        windowSeconds: round(windowSeconds, 1),
        changesPerSecond: Math.round((s1.changes - s0.changes) / windowSeconds),
        sentPerSecond: Math.round(sentPerSecond),
        receivedPerSecond: Math.round((v1 - v0) / windowSeconds),
        messagesPerSecond: round((m1 - m0) / windowSeconds, 1),
        totals: { changes: final.changes, sent: final.sent, received, tagErrors: run.counter.errors, lost, lostPercent: round((lost / Math.max(1, final.sent)) * 100, 3) },
        agent: {
          cpuPercent: round(agent.cpuPercent, 1),
          cpuMicrosPerNotification: round((agent.cpuSeconds * 1e6) / Math.max(1, v1 - v0), 2),
          rssMedianMiB: mib(agent.rssMedianBytes),
          rssMaxMiB: mib(agent.rssMaxBytes),
          rssPeakMiB: mib(agent.rssPeakBytes),
        },
        server: { cpuPercent: round(srv.cpuPercent, 1), ticksLate: s1.ticksLate - s0.ticksLate },
        broker: { cpuPercent: round(broker.cpuPercent, 1) },
        machineCpuPercent: round(machineCpu, 1),
        heartbeat: heartbeat
          ? {
              sinkPublished: heartbeat.sinks.reduce((n, s) => n + s.published, 0),
              sinkDropped: heartbeat.sinks.reduce((n, s) => n + s.dropped, 0),
              sinkErrors: heartbeat.sinks.reduce((n, s) => n + s.errors, 0),
              lastError: heartbeat.devices[0]?.lastError ?? null,
              driverDetails: heartbeat.devices[0]?.details ?? null,
            }
          : null,
      };
      opts.log(
        `server changed ${result.changesPerSecond.toLocaleString('en')}/s, sent ${result.sentPerSecond.toLocaleString('en')}/s, consumer received ${result.receivedPerSecond.toLocaleString('en')}/s; lost ${lost} of ${final.sent.toLocaleString('en')}; agent CPU ${result.agent.cpuPercent}% of a core, RSS ${result.agent.rssMedianMiB} MiB`,
      );
      return result;
    } finally {
      await run.stop();
    }
  } finally {
    await server.stop();
  }
}
