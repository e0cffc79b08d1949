import type { TLSSocket } from 'node:tls';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { agentSubscriptions, parseTopic, topics, type PresenceMessage, type StateMessage } from '@edgefleet/protocol';
import type { Logger } from '../log.js';
import type { FleetPublisher } from '../sinks/sink.js';
import { Backoff } from '../util/backoff.js';
import { errorMessage } from '../util/errors.js';
import { endMqttClient } from '../util/mqtt-end.js';
import type { Credentials, Identity } from '../identity/state-dir.js';

export type ChannelState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface ControlChannelOptions {
  identity: Identity;
  credentials: Credentials;
  log: Logger;
  /** The state to (re)publish on every connect. */
  currentState: () => StateMessage;
  onConfig: (payload: Buffer) => void;
  onCommand: (requestId: string, payload: Buffer) => void;
  onStateChange?: (state: ChannelState) => void;
  /** Overrides the reconnect backoff (tests). */
  backoff?: Backoff;
}

/**
 * The agent's one connection to the fleet broker (MQTT 3.1.1 over mTLS, so any broker works).
 * Reconnects forever with jittered backoff; on every connect it announces presence, subscribes
 * to its config and commands, and republishes its state, because `clean: true` means the broker
 * remembers nothing of the previous session.
 */
export class ControlChannel implements FleetPublisher {
  private client: MqttClient | undefined;
  private state: ChannelState = 'disconnected';
  private readonly listeners = new Set<(connected: boolean) => void>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private readonly agentId: string;

  constructor(private readonly options: ControlChannelOptions) {
    this.agentId = options.identity.agentId;
    this.backoff = options.backoff ?? new Backoff(1000, 30_000);
  }

  channelState(): ChannelState {
    return this.state;
  }

  isConnected(): boolean {
    return this.state === 'connected' && this.client?.connected === true;
  }

  start(): void {
    if (this.client) return;
    const { identity, credentials } = this.options;
    const will: PresenceMessage = { status: 'offline', at: new Date().toISOString() };
    const options: IClientOptions = {
      protocolVersion: 4,
      clientId: this.agentId,
      clean: true,
      keepalive: 30,
      // Reconnection is driven here (with backoff), not by mqtt.js's fixed period.
      reconnectPeriod: 0,
      connectTimeout: 15_000,
      key: credentials.keyPem,
      cert: credentials.certPem,
      ca: credentials.caPem,
      rejectUnauthorized: true,
      // Nothing is queued while offline: state is republished on connect, the rest is counted as dropped.
      queueQoSZero: false,
      // mqtt-packet otherwise builds, on the first publish, a cache of all 65,536 two-byte
      // numbers it may write (topic lengths, message ids): 65,536 Buffers, ≈ 6.5 MB of heap
      // kept for the life of the process, to save a 2-byte allocation per packet.
      writeCache: false,
      will: { topic: topics.presence(this.agentId), payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true },
    };
    this.setState('connecting');
    const client = connect(identity.brokerUrl, options);
    this.client = client;
    client.on('connect', () => this.onConnect(client));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', (err) => this.options.log.warn({ err: errorMessage(err) }, 'broker connection error'));
    client.on('close', () => this.onClose());
  }

  /** Sinks that ride this connection hear of its state changes (to drain their buffers on connect). */
  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(topic: string, payload: string | Buffer, options: { qos: 0 | 1; retain: boolean }): Promise<void> {
    const client = this.client;
    if (!client || !this.isConnected()) return Promise.reject(new Error('not connected to the fleet broker'));
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, options, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Publishes if connected; reports are refreshed on the next connect anyway. */
  publishIfConnected(topic: string, payload: string, options: { qos: 0 | 1; retain: boolean }): void {
    if (!this.isConnected()) return;
    this.publish(topic, payload, options).catch((err: unknown) => this.options.log.debug({ topic, err: errorMessage(err) }, 'publish failed'));
  }

  /** Says goodbye properly (presence offline) before closing, so the plane need not wait for the will. */
  async stop(): Promise<void> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    this.setState('stopped');
    if (!client) return;
    if (client.connected) {
      const offline: PresenceMessage = { status: 'offline', at: new Date().toISOString() };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        client.publish(topics.presence(this.agentId), JSON.stringify(offline), { qos: 1, retain: true }, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      // A broker that stopped answering must not hold the agent's shutdown.
      if (!(await endMqttClient(client))) this.options.log.warn('the fleet broker did not take a clean disconnect in time; closed the connection');
    } else {
      await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
    }
    this.client = undefined;
  }

  private onConnect(client: MqttClient): void {
    const { log } = this.options;
    // Control messages are small and latency-bound; Nagle plus delayed ACKs would stall QoS 1 windows.
    (client.stream as Partial<TLSSocket> | undefined)?.setNoDelay?.(true);
    this.backoff.reset();
    this.setState('connected');
    log.info({ broker: this.options.identity.brokerUrl }, 'connected to the fleet broker');
    const online: PresenceMessage = { status: 'online', at: new Date().toISOString() };
    client.publish(topics.presence(this.agentId), JSON.stringify(online), { qos: 1, retain: true });
    client.subscribe(
      agentSubscriptions(this.agentId).map((t) => t),
      { qos: 1 },
      (err, granted) => {
        if (err) log.error({ err: errorMessage(err) }, 'subscribe failed');
        // [MQTT-3.9.3] 0x80 in SUBACK means the broker refused that filter.
        const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
        if (refused.length > 0) log.error({ refused }, 'broker refused subscriptions');
      },
    );
    client.publish(topics.state(this.agentId), JSON.stringify(this.options.currentState()), { qos: 1, retain: true });
  }

  private onMessage(topic: string, payload: Buffer): void {
    try {
      const parsed = parseTopic(topic);
      if (!parsed || parsed.agentId !== this.agentId) {
        this.options.log.warn({ topic }, 'ignoring message on an unexpected topic');
        return;
      }
      if (parsed.kind === 'config') this.options.onConfig(payload);
      else if (parsed.kind === 'cmd' && parsed.rest) this.options.onCommand(parsed.rest, payload);
    } catch (err) {
      // A bad message must never take the agent down.
      this.options.log.error({ topic, err: errorMessage(err) }, 'error handling a message');
    }
  }

  private onClose(): void {
    if (this.state === 'stopped') return;
    if (this.state === 'connected') this.options.log.warn('disconnected from the fleet broker');
    this.setState('disconnected');
    if (this.reconnectTimer) return;
    const wait = this.backoff.next();
    this.options.log.debug({ retryInMs: wait }, 'reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state === 'stopped' || !this.client) return;
      this.setState('connecting');
      this.client.reconnect();
    }, wait);
  }

  private setState(state: ChannelState): void {
    if (this.state === state) return;
    this.state = state;
    this.options.onStateChange?.(state);
    for (const listener of this.listeners) listener(state === 'connected');
  }
}
