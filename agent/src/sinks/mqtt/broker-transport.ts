import { createSecureContext } from 'node:tls';
import type { IClientOptions, MqttClient } from 'mqtt';
import { connect } from 'mqtt';
import { ErrorCode, topicMatches, type LinkState, type MqttBroker } from '@edgefleet/protocol';
import type { Logger } from '../../log.js';
import { Backoff } from '../../util/backoff.js';
import { AgentError, errorMessage } from '../../util/errors.js';
import { endMqttClient } from '../../util/mqtt-end.js';
import type { OutboundMessage, SinkTransport, WriteHandler } from '../transport/transport.js';
import { LinkStatus } from '../transport/link-status.js';
import { answerWriteRequest, writeResponseJson } from '../writes/neuron-write.js';

/** One publish with its own QoS and retain flag (a sink's data go out with the sink's). */
export interface BrokerMessage {
  topic: string;
  payload: Buffer | Uint8Array;
  qos: 0 | 1;
  retain: boolean;
  /** With MQTT 5, sent as the user property `seq` (see `OutboundMessage.seq`). */
  seq?: number;
}

export interface BrokerTransportOptions {
  broker: MqttBroker;
  /** Neuron-shaped writes: requests on `request`, answers on `response` (topics rendered). */
  writes?: { request: string; response: string };
  clientId: string;
  qos: 0 | 1;
  retain: boolean;
  log: Logger;
  backoff?: Backoff;
  /** The last will, asked for before every CONNECT (Sparkplug's NDEATH carries a number that changes per connection). */
  will?: () => BrokerMessage;
  /**
   * Called once connected, after the subscriptions are sent and before the link is reported
   * `connected`, with a publish on that connection: what it publishes precedes any message of
   * the sink's (Sparkplug's births). If it throws, the connection is dropped and tried again.
   */
  onConnected?: (publish: (message: BrokerMessage) => void) => void;
  /** Called when a connection that was up is lost, before the link is reported down. */
  onDisconnected?: () => void;
}

/**
 * Whether the TLS stack can use the client certificate and key: a PEM that does not parse, or a
 * key that does not belong to the certificate, would fail every connection the same way, so a
 * config that holds one is refused when it is applied and the last good one keeps running.
 * (A CA that does not parse cannot be told apart here: Node ignores it, and the server's
 * certificate is then refused at connect, shown as the sink's error.)
 */
export function checkClientCertificate(broker: MqttBroker): void {
  const tls = broker.tls;
  if (!tls?.cert || !tls.key) return;
  try {
    createSecureContext({ cert: tls.cert, key: tls.key });
  } catch (err) {
    throw new AgentError(ErrorCode.CONFIG_APPLY_FAILED, `the TLS client certificate and key cannot be used: ${errorMessage(err)}`);
  }
}

/**
 * A sink's own connection to a broker of the user's (EMQX, Mosquitto, …) with MQTT.js: TLS with
 * a server CA and an optional client certificate, or user name and password; MQTT 3.1.1 or 5.
 * Reconnects with jittered backoff; nothing is queued by MQTT.js while offline (the sink's
 * buffer keeps messages), and TCP no-delay is on (a window of QoS 1 messages otherwise stalls on
 * Nagle and delayed ACKs, ≈ 45 ms a window with Mosquitto's defaults).
 *
 * A sink with a protocol of its own on top (Sparkplug B) uses the hooks: a will asked for before
 * every CONNECT, messages published on a new connection before the link is reported up, and a
 * call when a connection that was up is lost. Subscriptions may use wildcards.
 */
export class BrokerTransport implements SinkTransport {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** The current connection got its CONNACK: its loss is reported to `onDisconnected`. */
  private established = false;
  private readonly backoff: Backoff;
  private readonly subscriptions = new Map<string, (payload: Buffer, topic: string) => void>();
  private readonly status: LinkStatus;

  /** Throws an AgentError when the broker settings cannot work (see `checkClientCertificate`). */
  constructor(private readonly options: BrokerTransportOptions) {
    checkClientCertificate(options.broker);
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
    if (this.established) {
      this.established = false;
      this.options.onDisconnected?.();
    }
    this.status.set('disconnected');
    if (!client) return;
    // A clean DISCONNECT: the broker does not publish the last will [MQTT-3.1.2-10].
    await endMqttClient(client);
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
    return this.publish({ topic: message.topic, payload: message.payload, qos: this.options.qos, retain: this.options.retain, seq: message.seq });
  }

  /**
   * Publishes on the connection while it is up. Resolves as `send` does (PUBACK for QoS 1,
   * written to the connection for QoS 0); calls made one after the other go out in that order.
   */
  publish(message: BrokerMessage): Promise<void> {
    const client = this.client;
    if (!client || this.status.state !== 'connected') return Promise.reject(new Error(`not connected to ${this.options.broker.url}`));
    const payload = Buffer.isBuffer(message.payload) ? message.payload : Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength);
    // MQTT 5 carries the message's seq, so a consumer can tell a message sent again after a lost PUBACK.
    const properties = message.seq !== undefined && this.options.broker.protocolVersion === 5 ? { properties: { userProperties: { seq: String(message.seq) } } } : {};
    return new Promise((resolve, reject) => {
      client.publish(message.topic, payload, { qos: message.qos, retain: message.retain, ...properties }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Subscribes `filter` (QoS 1, wildcards allowed) on every connection and hands each message it matches to `handler`. */
  subscribe(filter: string, handler: (payload: Buffer, topic: string) => void): void {
    this.subscriptions.set(filter, handler);
    if (this.client && this.status.state === 'connected') this.client.subscribe(filter, { qos: 1 });
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
    if (this.options.will) {
      const will = this.options.will();
      options.will = { topic: will.topic, payload: asBuffer(will.payload), qos: will.qos, retain: will.retain };
    }
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
      this.established = true;
      if (this.options.onConnected) {
        try {
          this.options.onConnected((m) => client.publish(m.topic, asBuffer(m.payload), { qos: m.qos, retain: m.retain }));
        } catch (err) {
          this.status.error = `setting up the connection failed: ${errorMessage(err)}`;
          log.error({ broker: broker.url, err: errorMessage(err) }, 'setting up the sink connection failed; reconnecting');
          client.stream.destroy();
          return;
        }
      }
      this.status.set('connected');
      log.info({ broker: broker.url }, 'sink connected');
    });
    client.on('message', (topic, payload) => {
      for (const [filter, handler] of this.subscriptions) {
        if (filter !== topic && !topicMatches(filter, topic)) continue;
        try {
          handler(payload, topic);
        } catch (err) {
          log.warn({ topic, err: errorMessage(err) }, 'handling a message failed');
        }
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
      if (this.established) {
        this.established = false;
        this.options.onDisconnected?.();
      }
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

/** The payload as a Buffer, without copying it. */
function asBuffer(payload: Buffer | Uint8Array): Buffer {
  return Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}
