import type { IClientOptions, MqttClient } from 'mqtt';
import { connect } from 'mqtt';
import type { LinkState, MqttBroker } from '@edgefleet/protocol';
import type { Logger } from '../../log.js';
import { Backoff } from '../../util/backoff.js';
import { errorMessage } from '../../util/errors.js';
import type { OutboundMessage, SinkTransport, WriteHandler } from '../transport/transport.js';
import { LinkStatus } from '../transport/link-status.js';
import { answerWriteRequest, writeResponseJson } from '../writes/neuron-write.js';

export interface BrokerTransportOptions {
  broker: MqttBroker;
  /** Neuron-shaped writes: requests on `request`, answers on `response` (topics rendered). */
  writes?: { request: string; response: string };
  clientId: string;
  qos: 0 | 1;
  retain: boolean;
  log: Logger;
  backoff?: Backoff;
}

/**
 * A sink's own connection to a broker of the user's (EMQX, Mosquitto, …) with MQTT.js: TLS with
 * a server CA and an optional client certificate, or user name and password; MQTT 3.1.1 or 5.
 * Reconnects with jittered backoff; nothing is queued by MQTT.js while offline (the sink's
 * buffer keeps messages), and TCP no-delay is on (a window of QoS 1 messages otherwise stalls on
 * Nagle and delayed ACKs, ≈ 45 ms a window with Mosquitto's defaults).
 */
export class BrokerTransport implements SinkTransport {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly backoff: Backoff;
  private readonly subscriptions = new Map<string, (payload: Buffer) => void>();
  private readonly status: LinkStatus;

  constructor(private readonly options: BrokerTransportOptions) {
    this.backoff = options.backoff ?? new Backoff(1_000, 30_000);
    this.status = new LinkStatus(options.log);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connectNow();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.status.set('disconnected');
    if (!client) return;
    // A clean DISCONNECT: the broker does not publish the last will [MQTT-3.1.2-10].
    await new Promise<void>((resolve) => {
      const bound = setTimeout(() => {
        client.end(true);
        resolve();
      }, 3_000);
      client.end(false, {}, () => {
        clearTimeout(bound);
        resolve();
      });
    });
  }

  link(): LinkState {
    return this.status.state;
  }

  lastError(): string | null {
    return this.status.state === 'connected' ? null : this.status.error;
  }

  onLinkChange(listener: (link: LinkState) => void): void {
    this.status.onChange(listener);
  }

  /** Carries out the write requests that arrive on the write topic and answers each on the response topic. */
  onWrite(handler: WriteHandler): void {
    const writes = this.options.writes;
    if (!writes) return;
    this.subscribe(writes.request, (payload) => {
      answerWriteRequest(payload, handler, {
        onDropped: (why) => this.options.log.debug({ topic: writes.request, why }, 'write request without a uuid dropped'),
        onHandlerError: (err) => this.options.log.warn({ err: errorMessage(err) }, 'a write failed unexpectedly'),
      })
        .then((response) => {
          if (!response || !this.client || this.status.state !== 'connected') return;
          this.client.publish(writes.response, writeResponseJson(response), { qos: 1 });
        })
        .catch((err: unknown) => this.options.log.warn({ err: errorMessage(err) }, 'answering a write failed'));
    });
  }

  send(message: OutboundMessage): Promise<void> {
    const client = this.client;
    if (!client || this.status.state !== 'connected') return Promise.reject(new Error(`not connected to ${this.options.broker.url}`));
    return new Promise((resolve, reject) => {
      client.publish(message.topic, message.payload, { qos: this.options.qos, retain: this.options.retain }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Subscribes `topic` (QoS 1) on every connection and hands each message to `handler`. */
  subscribe(topic: string, handler: (payload: Buffer) => void): void {
    this.subscriptions.set(topic, handler);
    if (this.client && this.status.state === 'connected') this.client.subscribe(topic, { qos: 1 });
  }

  private connectNow(): void {
    const { broker, clientId, log } = this.options;
    const tls = broker.tls;
    const options: IClientOptions = {
      clientId,
      protocolVersion: broker.protocolVersion,
      keepalive: broker.keepaliveSec,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 15_000,
      queueQoSZero: false,
      writeCache: false,
      ...(broker.username !== undefined ? { username: broker.username } : {}),
      ...(broker.password !== undefined ? { password: broker.password } : {}),
      ...(tls ? { rejectUnauthorized: tls.rejectUnauthorized, ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}) } : {}),
    };
    this.status.set('connecting');
    const client = connect(broker.url, options);
    this.client = client;
    client.on('connect', () => {
      if (this.client !== client) return;
      const socket = (client.stream as { setNoDelay?: (on: boolean) => void } | undefined);
      socket?.setNoDelay?.(true);
      this.backoff.reset();
      this.status.error = null;
      for (const topic of this.subscriptions.keys()) client.subscribe(topic, { qos: 1 });
      this.status.set('connected');
      log.info({ broker: broker.url }, 'sink connected');
    });
    client.on('message', (topic, payload) => {
      const handler = this.subscriptions.get(topic);
      if (!handler) return;
      try {
        handler(payload);
      } catch (err) {
        log.warn({ topic, err: errorMessage(err) }, 'handling a message failed');
      }
    });
    client.on('error', (err) => {
      // MQTT.js reports refused connections (bad credentials, not authorized) here; never the password.
      this.status.error = errorMessage(err);
    });
    client.on('close', () => {
      if (this.client !== client) return;
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end(true);
      this.client = undefined;
      this.status.error ??= 'connection closed';
      // A login the broker refuses is an error to fix; a broker that cannot be reached (ECONNREFUSED
      // included) is only disconnected.
      this.status.set(/not authori[sz]ed|bad user ?name or password|authentication/i.test(this.status.error) ? 'error' : 'disconnected');
      if (!this.running) return;
      const delay = this.backoff.next();
      log.debug({ broker: broker.url, err: this.status.error, retryInMs: delay }, 'sink connection lost; reconnecting');
      this.timer = setTimeout(() => this.connectNow(), delay);
    });
  }

}
