import path from 'node:path';
import { ErrorCode, topics, type StateMessage } from '@edgefleet/protocol';
import { createLogger, type Logger, type LogLevel } from '../log.js';
import { ApplyEngine } from '../config/apply-engine.js';
import { ConfigReconciler, type ApplyState } from '../config/config-reconciler.js';
import { LastGoodStore } from '../config/last-good-store.js';
import { ControlChannel } from '../control/control-channel.js';
import { CommandHandler } from '../commands/command-handler.js';
import { defaultDriverRegistry, type DriverRegistry } from '../drivers/registry.js';
import { defaultSinkRegistry, type SinkRegistry } from '../sinks/registry.js';
import { BufferPool } from '../sinks/buffer/buffer-pool.js';
import { enroll, type EnrollParams } from '../identity/enroll.js';
import { loadCredentials, loadIdentity, statePaths, type Identity } from '../identity/state-dir.js';
import { HeartbeatBuilder } from '../telemetry/heartbeat.js';
import { writeStatusFile } from '../telemetry/status-file.js';
import { errorMessage } from '../util/errors.js';
import { AGENT_VERSION } from '../version.js';
import { ValuesCache } from './values-cache.js';

export interface AgentOptions {
  stateDir: string;
  /** Enrolls first when the state dir holds no identity yet. */
  enroll?: EnrollParams;
  logLevel?: LogLevel;
  /** Keep `status.json` up to date in the state dir (default true; a 1,000-agent benchmark turns it off). */
  writeStatusFile?: boolean;
  logger?: Logger;
  statusIntervalMs?: number;
  drivers?: DriverRegistry;
  sinks?: SinkRegistry;
  /**
   * Called shortly after a config revision is applied, once the apply's temporary objects are
   * unreachable: the CLI runs a full garbage collection there (see `cli.ts`).
   */
  onApplied?: () => void;
}

export interface RunningAgent {
  readonly agentId: string;
  readonly identity: Identity;
  appliedRevision(): number | null;
  applyState(): Readonly<ApplyState>;
  state(): StateMessage;
  connected(): boolean;
  /** Publishes presence offline, stops devices and sinks, closes the connection. */
  stop(): Promise<void>;
}

const DEFAULT_HEARTBEAT_MS = 10_000;
/** How often device and sink links are checked for a change worth republishing the state. */
const LINK_CHECK_MS = 1000;

/**
 * Starts one agent: identity (enrolling if needed), the last good config from disk before any
 * network, then the control channel. Holds no process-global state and installs no process
 * handlers, so many agents can run in one process.
 */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  let log = options.logger ?? createLogger(options.logLevel ?? 'info');
  let identity = await loadIdentity(options.stateDir);
  if (!identity) {
    if (!options.enroll) throw new Error(`${options.stateDir} holds no identity; enroll first (--bootstrap FILE or --control-plane URL --token T)`);
    identity = await enroll(options.stateDir, options.enroll, { log });
  }
  const credentials = await loadCredentials(options.stateDir);
  log = log.child({ agentId: identity.agentId });
  const agentId = identity.agentId;
  const startedAt = new Date().toISOString();
  const paths = statePaths(options.stateDir);
  const writeStatus = options.writeStatusFile ?? true;

  const cache = new ValuesCache();
  // The channel is created first (not started) because sinks with `broker: 'fleet'` publish through it.
  let reconciler: ConfigReconciler | undefined = undefined;
  let engine: ApplyEngine | undefined = undefined;
  let stateSeq = 0;
  const stateMessage = (): StateMessage => {
    const s = reconciler!.state();
    return {
      seq: stateSeq++,
      appliedRevision: s.appliedRevision,
      appliedSha256: s.appliedSha256,
      status: s.status,
      revision: s.revision,
      error: s.error,
      devices: engine!.deviceStates(),
      sinks: engine!.sinkStates(),
      agentVersion: AGENT_VERSION,
      startedAt,
      at: new Date().toISOString(),
    };
  };
  const commands: { handler?: CommandHandler } = {};
  const channel = new ControlChannel({
    identity,
    credentials,
    log,
    currentState: stateMessage,
    onConfig: (payload) => {
      reconciler!.handleMessage(payload).catch((err: unknown) => log.error({ err: errorMessage(err) }, 'config handling failed'));
    },
    onCommand: (requestId, payload) => {
      commands.handler
        ?.handle(requestId, payload)
        .then((reply) => {
          if (reply) channel.publishIfConnected(topics.reply(agentId, reply.requestId), JSON.stringify(reply), { qos: 1, retain: false });
        })
        .catch((err: unknown) => log.error({ err: errorMessage(err) }, 'command handling failed'));
    },
    onStateChange: () => void refreshStatus(),
  });

  const drivers = options.drivers ?? defaultDriverRegistry();
  const driverContext = { stateDir: options.stateDir, log };
  engine = new ApplyEngine({
    drivers,
    sinks: options.sinks ?? defaultSinkRegistry(),
    sinkContext: {
      agentId,
      fleet: channel,
      log,
      buffers: new BufferPool(path.join(options.stateDir, 'buffers')),
      stateDir: options.stateDir,
      // Writes from the cloud take the write command's path (checks, unscaling, encoding).
      writes: (request) => (commands.handler ? commands.handler.writeFromSink(request) : Promise.resolve({ ok: false, error: { code: ErrorCode.INTERNAL, message: 'the agent is starting' } })),
      status: () => {
        const s = reconciler!.state();
        return {
          agentId,
          agentVersion: AGENT_VERSION,
          startedAt,
          appliedRevision: s.appliedRevision,
          configStatus: s.status,
          configError: s.error?.message ?? null,
          devices: Object.fromEntries(engine!.deviceStates().map((d) => [d.name, { link: d.link, error: d.error ?? null }])),
          sinks: Object.fromEntries(engine!.runningSinks().map((sink) => {
            const st = sink.stats();
            return [sink.name, { link: st.link, bufferDepth: st.bufferDepth, dropped: st.dropped }];
          })),
        };
      },
    },
    driverContext,
    log,
    onValues: (sample) => cache.put(sample),
  });
  const eng = engine;
  commands.handler = new CommandHandler({ engine: eng, cache, drivers, driverContext, appliedRevision: () => reconciler!.state().appliedRevision, log });

  const heartbeat = new HeartbeatBuilder({
    appliedRevision: () => reconciler!.state().appliedRevision,
    devices: () => eng.deviceRunners().map((r) => r.stats()),
    sinks: () => eng.runningSinks().map((s) => s.stats()),
  });
  let heartbeatMs = 0;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  const scheduleHeartbeat = (intervalMs: number) => {
    if (intervalMs === heartbeatMs && heartbeatTimer) return;
    if (heartbeatTimer) clearInterval(heartbeatTimer);
    heartbeatMs = intervalMs;
    heartbeatTimer = setInterval(() => {
      channel.publishIfConnected(topics.heartbeat(agentId), JSON.stringify(heartbeat.build(intervalMs)), { qos: 0, retain: false });
    }, intervalMs);
  };

  let statusWriting = false;
  let stopped = false;
  const refreshStatus = async (): Promise<void> => {
    if (!writeStatus || statusWriting || !reconciler) return;
    statusWriting = true;
    try {
      const s = reconciler.state();
      await writeStatusFile(paths.status, {
        pid: process.pid,
        agentId,
        appliedRevision: s.appliedRevision,
        configSource: s.source,
        connected: channel.isConnected(),
        devices: eng.deviceRunners().map((r) => ({ name: r.name, polls: r.polls, pollErrors: r.pollErrors, link: r.link() })),
        updatedAt: new Date().toISOString(),
      });
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'could not write status.json');
    } finally {
      statusWriting = false;
    }
  };

  // The reported state carries each device's and sink's link and reason; it is republished when
  // one changes (a PLC going away, a certificate refused), checked every second, not only on config.
  let publishedLinks = '';
  const linkSignature = (): string =>
    JSON.stringify([eng.deviceStates(), eng.sinkStates()].map((list) => list.map((c) => [c.name, c.link, c.error ?? null])));
  const publishState = (): void => {
    publishedLinks = linkSignature();
    channel.publishIfConnected(topics.state(agentId), JSON.stringify(stateMessage()), { qos: 1, retain: true });
  };

  let lastApplied: number | null = null;
  reconciler = new ConfigReconciler({
    engine: eng,
    store: new LastGoodStore(options.stateDir),
    log,
    onChange: (s) => {
      if (stopped) return;
      publishState();
      if (s.appliedRevision !== lastApplied) {
        lastApplied = s.appliedRevision;
        if (s.config) {
          if (!options.logLevel && !options.logger) log.level = s.config.agent.logLevel;
          scheduleHeartbeat(s.config.agent.heartbeatIntervalMs);
          cache.retain((device, group) => s.config?.devices.some((d) => d.name === device && d.groups.some((g) => g.name === group)) ?? false);
          // Deferred: the message, the parsed document and its digest are still on the stack here.
          if (options.onApplied) setTimeout(options.onApplied, 100).unref();
        }
        void refreshStatus();
      }
    },
  });

  await reconciler.boot();
  scheduleHeartbeat(heartbeatMs || DEFAULT_HEARTBEAT_MS);
  await refreshStatus();
  const statusTimer = writeStatus ? setInterval(() => void refreshStatus(), options.statusIntervalMs ?? 5000) : undefined;
  // What booted is what the first check compares against: no extra state before anything changed.
  publishedLinks = linkSignature();
  const linkTimer = setInterval(() => {
    if (!stopped && linkSignature() !== publishedLinks) publishState();
  }, LINK_CHECK_MS);
  linkTimer.unref();
  channel.start();

  return {
    agentId,
    identity,
    appliedRevision: () => reconciler.state().appliedRevision,
    applyState: () => reconciler.state(),
    state: stateMessage,
    connected: () => channel.isConnected(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (heartbeatTimer) clearInterval(heartbeatTimer);
      if (statusTimer) clearInterval(statusTimer);
      clearInterval(linkTimer);
      await channel.stop();
      // An apply in flight would otherwise start devices after they were stopped.
      await reconciler.idle();
      await eng.stopAll();
      while (statusWriting) await new Promise((r) => setTimeout(r, 5));
      await refreshStatus();
      log.info('agent stopped');
    },
  };
}
