import type { LinkState, MqttBroker } from '@edgefleet/protocol';
import type { Logger } from '../../log.js';
import type { Backoff } from '../../util/backoff.js';
import { errorMessage } from '../../util/errors.js';
import { BrokerTransport } from '../mqtt/broker-transport.js';
import type { OutboundMessage, SinkTransport, WriteHandler } from '../transport/transport.js';
import { metricName, parseMetricName } from './metrics.js';
import { decodeSampleRecord } from './sample-record.js';
import type { MetricSample, SparkplugCommand, SparkplugMessage, SparkplugSession } from './session.js';
import { SPARKPLUG_NAMESPACE } from './topics.js';

export interface SparkplugTransportOptions {
  session: SparkplugSession;
  broker: MqttBroker;
  clientId: string;
  /** Carry out DCMD writes (the sink's `writes` setting); refused and counted otherwise. */
  writes: boolean;
  log: Logger;
  backoff?: Backoff;
  /** Called with the bdSeq of each will registered (before its CONNECT): the sink keeps it across restarts. */
  onWill?: (bdSeq: number) => void;
}

/** How long a clean stop waits for the broker to acknowledge the NDEATH before it disconnects anyway. */
const DEATH_ACK_MS = 2_000;

/**
 * The Sparkplug B Edge Node's MQTT connection: a `BrokerTransport` (the sink's own connection,
 * TLS, login, reconnect backoff) driven by a `SparkplugSession`, in the order the session's
 * contract asks (see there):
 *
 * - before every CONNECT the will is the session's NDEATH, so its bdSeq is the one the NBIRTH of
 *   that connection carries;
 * - once connected, NCMD and DCMD are subscribed and the birth sequence (NBIRTH, then a DBIRTH
 *   per online device) is published before the link is reported `connected`, so the pipeline
 *   sends nothing before the births;
 * - a record from the pipeline (see `sample-record.ts`) is encoded when it is sent, through
 *   `forwardedData`: whether it went straight or waited in the buffer, its readings are
 *   historical where the host already holds newer values (the read times decide, not the path
 *   the record took);
 * - a clean stop publishes the NDEATH (QoS 1, acknowledged) before the DISCONNECT, since a clean
 *   DISCONNECT discards the will [tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath].
 *
 * Every publish of the session goes out synchronously in the order the session numbered it, on
 * one connection, so seq increases on the wire as it was assigned. Sparkplug publishes data at
 * QoS 0 ([tck-id-topics-ddata-mqtt]): a record leaves the buffer once written to the connection.
 *
 * Commands never throw: a malformed NCMD or DCMD, an unknown metric, a refused write are logged
 * and counted in `refusedCommands`.
 */
export class SparkplugTransport implements SinkTransport {
  /** NCMD/DCMD metrics not carried out: malformed, unknown, read-only, writes off, or the write failed. */
  refusedCommands = 0;
  /** Records that could not be published: unreadable, or naming a device or tag the sink no longer has. */
  unpublishable = 0;
  private readonly broker: BrokerTransport;
  private readonly session: SparkplugSession;
  private handler: WriteHandler | undefined;
  private stopping = false;

  constructor(private readonly options: SparkplugTransportOptions) {
    const { session, log } = options;
    this.session = session;
    this.broker = new BrokerTransport({
      broker: options.broker,
      clientId: options.clientId,
      // Data go out as the session says (QoS 0, not retained); these are the defaults of `send`, unused here.
      qos: 0,
      retain: false,
      log,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      will: () => {
        const will = session.willMessage();
        const bdSeq = session.willBdSeq;
        if (bdSeq !== null) options.onWill?.(bdSeq);
        return will;
      },
      onConnected: (publish) => {
        for (const m of session.onConnected()) publish(m);
      },
      onDisconnected: () => session.onDisconnected(),
    });
    const node = `${SPARKPLUG_NAMESPACE}/${session.groupId}`;
    // [tck-id-message-flow-edge-node-ncmd-subscribe]: subscribed before the NBIRTH on every connection.
    this.broker.subscribe(`${node}/NCMD/${session.edgeNodeId}`, (payload, topic) => this.command(topic, payload));
    this.broker.subscribe(`${node}/DCMD/${session.edgeNodeId}/+`, (payload, topic) => this.command(topic, payload));
  }

  start(): void {
    this.broker.start();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const death = this.broker.link() === 'connected' ? this.session.deathMessage() : null;
    if (death) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.broker.publish(death), new Promise<void>((resolve) => (timer = setTimeout(resolve, DEATH_ACK_MS)))])
        .catch((err: unknown) => this.options.log.warn({ err: errorMessage(err) }, 'publishing the NDEATH failed'))
        .finally(() => clearTimeout(timer));
    }
    await this.broker.stop();
  }

  link(): LinkState {
    return this.broker.link();
  }

  lastError(): string | null {
    return this.broker.lastError();
  }

  onLinkChange(listener: (link: LinkState) => void): void {
    this.broker.onLinkChange(listener);
  }

  onWrite(handler: WriteHandler): void {
    this.handler = handler;
  }

  /** Encodes a record through the session and publishes what it returns (births first, if a device needs one). */
  send(message: OutboundMessage): Promise<void> {
    if (this.stopping || !this.session.connected || this.broker.link() !== 'connected') {
      return Promise.reject(new Error(this.stopping ? 'the sink is stopping' : `not connected to ${this.options.broker.url}`));
    }
    const record = decodeSampleRecord(message.payload);
    if (!record || !this.session.hasDevice(record.device)) {
      // It can never be sent: take it out of the buffer, counted.
      this.unpublishable++;
      this.options.log.debug({ topic: message.topic }, record ? `device '${record.device}' is no longer published by this sink; its values are dropped` : 'a buffered message is not a Sparkplug record; dropped');
      return Promise.resolve();
    }
    const samples: MetricSample[] = [];
    for (const t of record.tags) {
      const metric = metricName(record.group, t.tag);
      if (!this.session.hasMetric(record.device, metric)) {
        this.unpublishable++;
        continue;
      }
      samples.push('error' in t ? { metric, error: t.error, timestamp: record.timestamp } : { metric, value: t.value, timestamp: record.timestamp });
    }
    // Sent at once or after waiting, the session tells news from history by the read times.
    return this.publishAll(this.session.forwardedData(record.device, samples));
  }

  /** Publishes messages the session returned outside the pipeline (births, deaths); failures are only logged. */
  publishNow(messages: readonly SparkplugMessage[]): void {
    if (messages.length === 0) return;
    this.publishAll(messages).catch((err: unknown) => this.options.log.debug({ err: errorMessage(err) }, 'a Sparkplug message was not published'));
  }

  private publishAll(messages: readonly SparkplugMessage[]): Promise<void> {
    return Promise.all(messages.map((m) => this.broker.publish(m))).then(() => undefined);
  }

  private command(topic: string, payload: Buffer): void {
    const outcome = this.session.handleCommand(topic, payload);
    for (const why of outcome.errors) this.refuse(topic, why);
    for (const command of outcome.commands) {
      if (command.kind === 'rebirth') {
        this.options.log.info({ topic }, 'rebirth requested');
        this.publishNow(this.session.rebirth());
      } else {
        this.write(topic, command);
      }
    }
  }

  private write(topic: string, command: Extract<SparkplugCommand, { kind: 'write' }>): void {
    if (!this.options.writes) return this.refuse(topic, `DCMD: writes are turned off for this sink (metric '${command.tag}')`);
    if (!this.handler) return this.refuse(topic, `DCMD: this agent carries out no writes from sinks (metric '${command.tag}')`);
    const target = parseMetricName(command.tag);
    if (!target) return this.refuse(topic, `DCMD: metric '${command.tag}' is not '{group}/{tag}'`);
    this.handler({ device: command.device, group: target.group, tag: target.tag, value: command.value }).then(
      (outcome) => {
        if (!outcome.ok) this.refuse(topic, `DCMD: writing '${command.tag}' of device '${command.device}' failed: ${outcome.error.code} ${outcome.error.message}`);
      },
      (err: unknown) => this.refuse(topic, `DCMD: writing '${command.tag}' of device '${command.device}' failed: ${errorMessage(err)}`),
    );
  }

  private refuse(topic: string, why: string): void {
    this.refusedCommands++;
    this.options.log.warn({ topic, why }, 'Sparkplug command refused');
  }
}
