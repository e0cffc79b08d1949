import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import mqtt, { type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { CONTROL_PLANE_IDENTITY } from '@edgefleet/protocol';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { SETTINGS, type Settings } from '../config/settings.js';
import { BROKER_TLS, type BrokerTls } from './broker-tls.js';

export type BrokerLinkState = 'connecting' | 'connected' | 'disconnected';

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  /** True only when the broker replays a retained message on subscribe [MQTT-3.3.1-8/9]. */
  retained: boolean;
}

type ConnectListener = () => Promise<void> | void;
type MessageListener = (msg: IncomingMessage) => void;

/**
 * The plane's one connection to the fleet broker (MQTT 3.1.1 over mutual TLS). It connects in the
 * background and keeps reconnecting, so the API starts and serves while the broker is down.
 * Listeners subscribe their filters and republish state on every (re)connect: with a clean
 * session the broker keeps nothing for us, and an embedded broker forgets retained messages.
 */
@Injectable()
export class FleetBrokerService implements BeforeApplicationShutdown {
  private client: MqttClient | undefined;
  private readonly log: Logger;
  private readonly connectListeners: ConnectListener[] = [];
  private readonly messageListeners: MessageListener[] = [];
  private readonly filters = new Set<string>();
  private linkState: BrokerLinkState = 'disconnected';

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(BROKER_TLS) private readonly tls: BrokerTls,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.log = root.child({ component: 'fleet-broker' });
  }

  get state(): BrokerLinkState {
    return this.linkState;
  }

  get connected(): boolean {
    return this.linkState === 'connected';
  }

  /** Filters to subscribe on every connect. Call before `start()`. */
  addSubscription(filter: string): void {
    this.filters.add(filter);
  }

  onConnect(listener: ConnectListener): void {
    this.connectListeners.push(listener);
  }

  onMessage(listener: MessageListener): void {
    this.messageListeners.push(listener);
  }

  start(): void {
    if (this.client) return;
    this.linkState = 'connecting';
    const client = mqtt.connect(this.settings.broker.url, {
      clientId: `${CONTROL_PLANE_IDENTITY}-${randomBytes(6).toString('hex')}`,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      resubscribe: false,
      ca: this.tls.caPem,
      cert: this.tls.certPem,
      key: this.tls.keyPem,
      rejectUnauthorized: true,
    });
    this.client = client;
    client.on('connect', () => {
      this.linkState = 'connected';
      // Commands and their replies are small and latency-bound: no Nagle delay.
      (client.stream as Partial<Socket> | undefined)?.setNoDelay?.(true);
      this.log.info({ url: this.settings.broker.url }, 'connected to the fleet broker');
      void this.afterConnect(client);
    });
    client.on('reconnect', () => (this.linkState = 'connecting'));
    client.on('close', () => {
      if (this.linkState === 'connected') this.log.warn('disconnected from the fleet broker; reconnecting');
      this.linkState = this.client ? 'connecting' : 'disconnected';
    });
    client.on('offline', () => (this.linkState = 'disconnected'));
    client.on('error', (err) => this.log.warn({ err: err.message }, 'fleet broker connection error'));
    client.on('message', (topic, payload, packet) => {
      const msg: IncomingMessage = { topic, payload, retained: packet.retain };
      for (const listener of this.messageListeners) {
        try {
          listener(msg);
        } catch (err) {
          this.log.debug({ topic, err: (err as Error).message }, 'message handler failed; dropped');
        }
      }
    });
  }

  private async afterConnect(client: MqttClient): Promise<void> {
    try {
      if (this.filters.size > 0) {
        const granted = await client.subscribeAsync([...this.filters], { qos: 1 });
        const refused = granted.filter((g) => g.qos === 128);
        if (refused.length > 0) this.log.error({ filters: refused.map((g) => g.topic) }, 'the fleet broker refused subscriptions');
      }
      for (const listener of this.connectListeners) await listener();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'post-connect work failed; it is retried on the next connect');
    }
  }

  /** Publishes and waits for the broker's PUBACK (QoS 1). Throws when not connected. */
  async publish(topic: string, payload: string | Buffer, options: IClientPublishOptions): Promise<void> {
    const client = this.client;
    if (!client || !this.connected) throw new Error('not connected to the fleet broker');
    await client.publishAsync(topic, payload, options);
  }

  /**
   * Runs before the other services' shutdown hooks: once the connection is gone no new message
   * arrives, so ingestion can finish what it holds before the database pool closes.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.linkState = 'disconnected';
    if (client) await client.endAsync(true);
  }
}
