import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { CONTROL_PLANE_IDENTITY, configDigest, topics, type HeartbeatMessage, type StateMessage } from '@edgefleet/protocol';
import { CertificateAuthority } from '@edgefleet/control-plane';
import { generateKeyAndCsr, saveIdentity } from '@edgefleet/agent';
import { startChild, type Child } from './children.js';
import { startFleetBroker, type FleetBroker } from './broker.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const AGENT_CLI = path.resolve(here, '../../../../agent/dist/cli.js');

/**
 * Counts what the agent delivered, as a consumer on the broker sees it: tag values (and tag
 * errors) in the Neuron `values` payloads of its data topics. Besides totals it buckets values
 * by the payload's timestamp (the poll's start, or the delivery's time), so a window can count
 * exactly the polls scheduled inside it.
 */
export class DataCounter {
  values = 0;
  errors = 0;
  messages = 0;
  bytes = 0;
  unparsable = 0;
  private readonly buckets = new Map<number, number>();
  static readonly BUCKET_MS = 100;

  add(payload: Buffer): void {
    this.messages++;
    this.bytes += payload.length;
    let msg: { timestamp?: number; values?: Record<string, unknown>; errors?: Record<string, unknown> };
    try {
      msg = JSON.parse(payload.toString('utf8')) as typeof msg;
    } catch {
      this.unparsable++;
      return;
    }
    let n = 0;
    for (const _ in msg.values ?? {}) n++;
    let e = 0;
    for (const _ in msg.errors ?? {}) e++;
    this.values += n;
    this.errors += e;
    if (typeof msg.timestamp === 'number') {
      const b = Math.floor(msg.timestamp / DataCounter.BUCKET_MS);
      this.buckets.set(b, (this.buckets.get(b) ?? 0) + n);
    }
  }

  /** Values whose payload timestamp lies in [fromMs, toMs) (wall clock, ms since the epoch). */
  valuesStampedBetween(fromMs: number, toMs: number): number {
    let sum = 0;
    for (const [b, n] of this.buckets) {
      const t = b * DataCounter.BUCKET_MS;
      if (t >= fromMs && t < toMs) sum += n;
    }
    return sum;
  }
}

export interface AgentRun {
  agentId: string;
  /** The agent process (`node agent/dist/cli.js run`). */
  agent: Child;
  broker: FleetBroker;
  counter: DataCounter;
  latestHeartbeat(): HeartbeatMessage | undefined;
  /** Publishes a config revision as the control plane does and waits for the agent's verdict. */
  apply(document: unknown, timeoutMs: number): Promise<{ seconds: number; state: StateMessage }>;
  /** Resolves with the first heartbeat published after now. */
  nextHeartbeat(timeoutMs: number): Promise<HeartbeatMessage>;
  stop(): Promise<void>;
}

/**
 * A real agent process against a real fleet broker: a fresh fleet CA, Mosquitto with mutual TLS
 * and the fleet ACL, the agent's state dir seeded the way enrollment leaves it, and a consumer
 * with the control plane's identity that sends configs and counts data.
 */
export async function startAgentRun(opts: { dir: string; nodeArgs?: string[]; env?: NodeJS.ProcessEnv }): Promise<AgentRun> {
  const { ca } = await CertificateAuthority.create();
  const broker = await startFleetBroker(ca);
  let plane: MqttClient | undefined;
  let agent: Child | undefined;
  try {
    const agentId = randomUUID();
    const stateDir = path.join(opts.dir, 'agent');
    await mkdir(stateDir, { recursive: true });
    const { keyPem, csrPem } = await generateKeyAndCsr('bench-agent');
    const issued = await ca.signClientCsr(csrPem, agentId, 1);
    await saveIdentity(
      stateDir,
      { agentId, fleetId: randomUUID(), name: 'bench-agent', hardwareId: `bench-${agentId}`, brokerUrl: broker.url, certificateExpiresAt: issued.notAfter.toISOString() },
      { keyPem, certPem: issued.certPem, caPem: ca.certPem },
    );

    const planeCert = await ca.issueClientCertificate(CONTROL_PLANE_IDENTITY, 1);
    const client = mqtt.connect(broker.url, {
      clientId: `${CONTROL_PLANE_IDENTITY}-bench-${randomUUID().slice(0, 8)}`,
      protocolVersion: 4,
      reconnectPeriod: 0,
      key: planeCert.keyPem,
      cert: planeCert.certPem,
      ca: ca.certPem,
    });
    plane = client;
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    (client.stream as Partial<TLSSocket>).setNoDelay?.(true);
    const counter = new DataCounter();
    const dataPrefix = `${topics.dataRoot(agentId)}/`;
    let heartbeat: HeartbeatMessage | undefined;
    const heartbeatWaiters: Array<(h: HeartbeatMessage) => void> = [];
    const stateWaiters: Array<(s: StateMessage) => void> = [];
    client.on('message', (topic, payload) => {
      if (topic.startsWith(dataPrefix)) counter.add(payload);
      else if (topic === topics.heartbeat(agentId)) {
        heartbeat = JSON.parse(payload.toString()) as HeartbeatMessage;
        for (const w of heartbeatWaiters.splice(0)) w(heartbeat);
      } else if (topic === topics.state(agentId)) {
        const s = JSON.parse(payload.toString()) as StateMessage;
        for (const w of [...stateWaiters]) w(s);
      }
    });
    await client.subscribeAsync([`${dataPrefix}#`, topics.heartbeat(agentId), topics.state(agentId)], { qos: 0 });

    agent = startChild('agent', process.execPath, [...(opts.nodeArgs ?? []), AGENT_CLI, 'run', '--state-dir', stateDir], {
      keepStdin: false,
      env: { ...process.env, ...opts.env },
    });
    const running = agent;
    let revision = 0;
    const run: AgentRun = {
      agentId,
      agent: running,
      broker,
      counter,
      latestHeartbeat: () => heartbeat,
      nextHeartbeat: (timeoutMs) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no heartbeat within ${timeoutMs} ms`)), timeoutMs);
          heartbeatWaiters.push((h) => {
            clearTimeout(timer);
            resolve(h);
          });
        }),
      apply: async (document, timeoutMs) => {
        const rev = ++revision;
        const t0 = performance.now();
        const verdict = new Promise<StateMessage>((resolve, reject) => {
          const timer = setTimeout(() => {
            stateWaiters.splice(stateWaiters.indexOf(waiter), 1);
            reject(new Error(`the agent did not apply revision ${rev} within ${timeoutMs} ms; its output:\n${running.output(20)}`));
          }, timeoutMs);
          const waiter = (s: StateMessage) => {
            if (s.revision !== rev || s.status === 'applying') return;
            clearTimeout(timer);
            stateWaiters.splice(stateWaiters.indexOf(waiter), 1);
            resolve(s);
          };
          stateWaiters.push(waiter);
          void running.exited.then(({ code, signal }) => {
            if (!stateWaiters.includes(waiter)) return;
            clearTimeout(timer);
            stateWaiters.splice(stateWaiters.indexOf(waiter), 1);
            reject(new Error(`the agent exited (code ${code}, signal ${signal}) before applying revision ${rev}; its output:\n${running.output(20)}`));
          });
        });
        const message = JSON.stringify({ revision: rev, sha256: configDigest(document), document, issuedAt: new Date().toISOString() });
        await client.publishAsync(topics.config(agentId), message, { qos: 1, retain: true });
        const state = await verdict;
        return { seconds: (performance.now() - t0) / 1000, state };
      },
      stop: async () => {
        await running.stop(15_000);
        await client.endAsync(true).catch(() => undefined);
        await broker.stop();
      },
    };
    return run;
  } catch (err) {
    await agent?.stop();
    await plane?.endAsync(true).catch(() => undefined);
    await broker.stop();
    throw err;
  }
}
