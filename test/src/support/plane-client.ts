import mqtt, { type MqttClient } from 'mqtt';
import { planeFilters, parseTopic, StateMessageSchema, parseJsonWith, CONTROL_PLANE_IDENTITY, type StateMessage } from '@edgefleet/protocol';

interface CertificateIssuer {
  certPem: string;
  issueClientCertificate(cn: string, days: number): Promise<{ certPem: string; keyPem: string }>;
}

/**
 * A second control-plane identity on the fleet broker, for tests and benchmarks: watches every
 * agent's reported state (resolving waits the moment an agent reports a revision applied — the
 * precise end of a config change, without polling the API) and can publish what only the plane
 * may publish (hand-made config messages, commands).
 */
export class PlaneClient {
  private readonly applied = new Map<string, number>();
  private readonly history = new Map<string, StateMessage[]>();
  private readonly stateWaiters = new Set<{ agentId: string; match: (s: StateMessage) => boolean; resolve: (s: StateMessage) => void }>();
  private readonly waiters = new Map<string, { revision: number; resolve: (at: number) => void }[]>();

  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      const parsed = parseTopic(topic);
      if (parsed?.kind !== 'state') return;
      const state = parseJsonWith(StateMessageSchema, payload);
      if (!state.ok) return;
      const list = this.history.get(parsed.agentId) ?? [];
      list.push(state.value);
      this.history.set(parsed.agentId, list);
      for (const w of this.stateWaiters) {
        if (w.agentId === parsed.agentId && w.match(state.value)) {
          this.stateWaiters.delete(w);
          w.resolve(state.value);
        }
      }
      if (state.value.appliedRevision === null) return;
      const now = performance.now();
      this.applied.set(parsed.agentId, state.value.appliedRevision);
      const waiting = this.waiters.get(parsed.agentId);
      if (!waiting) return;
      const rest = waiting.filter((w) => {
        if (state.value.appliedRevision !== null && state.value.appliedRevision >= w.revision) {
          w.resolve(now);
          return false;
        }
        return true;
      });
      if (rest.length) this.waiters.set(parsed.agentId, rest);
      else this.waiters.delete(parsed.agentId);
    });
  }

  static async connect(brokerUrl: string, ca: CertificateIssuer): Promise<PlaneClient> {
    const cert = await ca.issueClientCertificate(CONTROL_PLANE_IDENTITY, 1);
    const client = mqtt.connect(brokerUrl, {
      clientId: `${CONTROL_PLANE_IDENTITY}-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      ca: [ca.certPem],
      cert: cert.certPem,
      key: cert.keyPem,
      protocolVersion: 4,
      reconnectPeriod: 500,
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(planeFilters.state, { qos: 1 });
    return new PlaneClient(client);
  }

  /** Every state message seen from an agent, oldest first. */
  states(agentId: string): readonly StateMessage[] {
    return this.history.get(agentId) ?? [];
  }

  /** Resolves with the first state message (already seen or to come) that matches. */
  waitState(agentId: string, match: (s: StateMessage) => boolean, timeoutMs = 20_000): Promise<StateMessage> {
    const seen = this.states(agentId).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        agentId,
        match,
        resolve: (s: StateMessage) => {
          clearTimeout(timer);
          resolve(s);
        },
      };
      const timer = setTimeout(() => {
        this.stateWaiters.delete(waiter);
        reject(new Error(`agent ${agentId} did not report the expected state within ${timeoutMs} ms; last: ${JSON.stringify(this.states(agentId).at(-1))}`));
      }, timeoutMs);
      this.stateWaiters.add(waiter);
    });
  }

  async publish(topic: string, payload: unknown, opts: { retain?: boolean; qos?: 0 | 1 } = {}): Promise<void> {
    await this.client.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: opts.qos ?? 1, retain: opts.retain ?? false });
  }

  /** Subscribes to more filters (e.g. an agent's data topics); `onMessage` sees everything received. */
  async subscribe(filter: string): Promise<void> {
    await this.client.subscribeAsync(filter, { qos: 1 });
  }

  onMessage(listener: (topic: string, payload: Buffer) => void): void {
    this.client.on('message', listener);
  }

  appliedRevision(agentId: string): number | undefined {
    return this.applied.get(agentId);
  }

  agentsAtLeast(revision: number): number {
    let n = 0;
    for (const r of this.applied.values()) if (r >= revision) n++;
    return n;
  }

  /** Resolves with `performance.now()` at the moment the agent reports `revision` (or newer) applied. */
  waitApplied(agentId: string, revision: number, timeoutMs = 30_000): Promise<number> {
    const current = this.applied.get(agentId);
    if (current !== undefined && current >= revision) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent ${agentId} did not apply revision ${revision} within ${timeoutMs} ms`)), timeoutMs);
      const list = this.waiters.get(agentId) ?? [];
      list.push({
        revision,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
      this.waiters.set(agentId, list);
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
