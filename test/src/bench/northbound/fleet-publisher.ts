import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { FleetPublisher } from '../../../../agent/dist/sinks/sink.js';

/**
 * The agent's fleet connection as the `fleet` sink kind sees it (`FleetPublisher`), over one
 * MQTT.js client with the options and publish path of the agent's control channel
 * (agent/src/control/control-channel.ts): MQTT 3.1.1, no offline queue, no mqtt-packet write
 * cache, TCP no-delay. Plain TCP instead of mutual TLS, so it compares with the raw loop and
 * the broker sink on the same broker; the control channel's own traffic (presence, state,
 * config) is idle during a run and left out.
 */
export class MqttFleetPublisher implements FleetPublisher {
  private readonly listeners = new Set<(connected: boolean) => void>();

  private constructor(private readonly client: MqttClient) {
    client.on('connect', () => this.changed(true));
    client.on('close', () => this.changed(false));
  }

  static async connect(url: string, clientId: string): Promise<MqttFleetPublisher> {
    const client = await mqtt.connectAsync(url, clientOptions(clientId));
    noDelay(client);
    return new MqttFleetPublisher(client);
  }

  isConnected(): boolean {
    return this.client.connected;
  }

  publish(topic: string, payload: string | Buffer, options: { qos: 0 | 1; retain: boolean }): Promise<void> {
    if (!this.client.connected) return Promise.reject(new Error('not connected to the fleet broker'));
    return new Promise((resolve, reject) => {
      this.client.publish(topic, payload, options, (err) => (err ? reject(err) : resolve()));
    });
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async end(): Promise<void> {
    await this.client.endAsync();
  }

  private changed(connected: boolean): void {
    for (const l of this.listeners) l(connected);
  }
}

/** What the agent's MQTT clients set (control channel and BrokerTransport), for the bench's own clients. */
export function clientOptions(clientId: string): IClientOptions {
  return { clientId, protocolVersion: 4, clean: true, keepalive: 30, reconnectPeriod: 0, connectTimeout: 15_000, queueQoSZero: false, writeCache: false };
}

/** A window of QoS 1 messages otherwise stalls on Nagle and delayed ACKs (see BrokerTransport). */
export function noDelay(client: MqttClient): void {
  (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
}
