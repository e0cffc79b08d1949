import type { AwsIotSinkSettings, LinkState } from '@edgefleet/protocol';
// Types only: erased at compile time, so importing this module never loads the SDK.
import type { ICrtError, mqtt5 } from 'aws-iot-device-sdk-v2';
import type { Logger } from '../../log.js';
import { errorMessage } from '../../util/errors.js';
import type { OutboundMessage, SinkTransport, WriteHandler } from '../transport/transport.js';
import { LinkStatus } from '../transport/link-status.js';
import { NeuronWriteError, carryOutWrites, parseWriteRequest, writeResponseJson, type NeuronWriteResponse } from '../writes/neuron-write.js';

type AwsIotSdk = typeof import('aws-iot-device-sdk-v2');

let loading: Promise<AwsIotSdk> | undefined;

/**
 * aws-iot-device-sdk-v2 (and the native aws-crt under it) is loaded on first use, so an agent
 * without an AWS IoT sink never carries it. A failed load is retried by the next caller.
 */
export function loadAwsIotSdk(): Promise<AwsIotSdk> {
  const load = (loading ??= import('aws-iot-device-sdk-v2'));
  load.catch(() => {
    if (loading === load) loading = undefined;
  });
  return load;
}

/**
 * The topic a message goes to. With `basicIngestRule`, Basic Ingest's reserved prefix
 * `$aws/rules/{rule}/` sends it straight to that rule (AWS IoT Core Developer Guide, "Reducing
 * messaging costs with Basic Ingest"); the rest is the rendered topic, which the rule's
 * `topic()` functions see.
 */
export function awsTopic(settings: Pick<AwsIotSinkSettings, 'basicIngestRule'>, renderedTopic: string): string {
  return settings.basicIngestRule === undefined ? renderedTopic : `$aws/rules/${settings.basicIngestRule}/${renderedTopic}`;
}

export interface AwsIotTransportContext {
  agentId: string;
  sinkName: string;
  log: Logger;
}

/** Timings; the defaults suit AWS IoT Core, tests shorten them. */
export interface AwsIotTransportOptions {
  /** First delay before reconnecting; it doubles per failed attempt, with full jitter. Default 1 s. */
  minReconnectDelayMs?: number;
  /** Longest delay between attempts. Default 120 s (the SDK's). */
  maxReconnectDelayMs?: number;
  /** How long `stop()` waits for the client to say it stopped before releasing it anyway. Default 5 s. */
  stopTimeoutMs?: number;
  /** A QoS 1 publish without PUBACK fails after this long. Default 30 s. */
  ackTimeoutSeconds?: number;
  /** MQTT keep alive; AWS IoT Core accepts 30–1200 s. Default 60 s. */
  keepAliveSeconds?: number;
}

/** Write requests being carried out or waiting; more are answered "busy" (a remote must not queue unbounded work). */
const MAX_PENDING_WRITES = 64;
const MAX_ERROR_LENGTH = 400;

type Mqtt5Client = mqtt5.Mqtt5Client;

/**
 * The AWS IoT Core transport: one MQTT 5 connection with mutual TLS (the thing's certificate),
 * client id = thing name (AWS IoT policies usually pin `iot:Connect` to it), clean start and no
 * session (the durable buffer, not the broker, keeps what was not sent). The SDK's client
 * reconnects by itself with exponential backoff and full jitter.
 */
export class AwsIotTransport implements SinkTransport {
  private client: Mqtt5Client | undefined;
  private sdk: AwsIotSdk | undefined;
  private writeHandler: WriteHandler | undefined;
  private started = false;
  private stopping: Promise<void> | undefined;
  private pendingWrites = 0;
  private writeChain: Promise<void> = Promise.resolve();
  private readonly writeTopic: string | undefined;
  private readonly writeResponseTopic: string | undefined;
  private readonly log: Logger;
  private readonly status: LinkStatus;

  constructor(
    private readonly settings: AwsIotSinkSettings,
    private readonly context: AwsIotTransportContext,
    private readonly options: AwsIotTransportOptions = {},
  ) {
    const vars = { agent: context.agentId, sink: context.sinkName };
    const render = (t: string | undefined) => (t === undefined ? undefined : t.replace(/\{(agent|sink)\}/g, (_, key: keyof typeof vars) => vars[key]));
    this.writeTopic = render(settings.writeTopic);
    this.writeResponseTopic = render(settings.writeResponseTopic);
    this.log = context.log.child({ sink: context.sinkName, transport: 'aws-iot' });
    this.status = new LinkStatus(this.log);
  }

  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.status.set('connecting');
    loadAwsIotSdk().then(
      (sdk) => {
        if (this.stopping) return;
        this.sdk = sdk;
        try {
          this.client = this.createClient(sdk);
        } catch (err) {
          // A certificate or key the TLS stack cannot use: retrying will not help.
          this.fail(`cannot set up the TLS connection (check the certificate, private key and CA): ${errorMessage(err)}`);
          return;
        }
        try {
          this.client.start();
        } catch (err) {
          this.fail(`cannot start the MQTT client: ${errorMessage(err)}`);
        }
      },
      (err: unknown) => this.fail(`cannot load aws-iot-device-sdk-v2: ${errorMessage(err)}`),
    );
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  link(): LinkState {
    return this.status.state;
  }

  lastError(): string | null {
    return this.status.error;
  }

  onLinkChange(listener: (link: LinkState) => void): void {
    this.status.onChange(listener);
  }

  onWrite(handler: WriteHandler): void {
    this.writeHandler = handler;
  }

  async send(message: OutboundMessage): Promise<void> {
    const { client, sdk } = this;
    if (!client || !sdk || this.status.state !== 'connected' || this.stopping) {
      throw new Error(`not connected to AWS IoT Core${this.status.error ? `: ${this.status.error}` : ''}`);
    }
    const qos = this.settings.qos === 1 ? sdk.mqtt5.QoS.AtLeastOnce : sdk.mqtt5.QoS.AtMostOnce;
    let result: mqtt5.PublishCompletionResult;
    try {
      result = await client.publish({ topicName: message.topic, payload: message.payload, qos, ...(message.seq !== undefined ? { userProperties: [{ name: 'seq', value: String(message.seq) }] } : {}) });
    } catch (err) {
      const why = `publish to '${message.topic}' failed: ${this.clean(errorMessage(err))}`;
      this.status.error = why;
      throw new Error(why);
    }
    // QoS 0 resolves once written, with no PUBACK. A PUBACK reason code of 0x80 or above is a
    // refusal (MQTT 5.0 §3.4.2.1); AWS IoT Core answers e.g. 0x87 when the policy denies the topic.
    if (result && !sdk.mqtt5.isSuccessfulPubackReasonCode(result.reasonCode)) {
      const name = sdk.mqtt5.PubackReasonCode[result.reasonCode] ?? 'unknown';
      const why = `the broker refused the publish to '${message.topic}': PUBACK ${name} (0x${result.reasonCode.toString(16)})${result.reasonString ? `: ${this.clean(result.reasonString)}` : ''}`;
      this.status.error = why;
      throw new Error(why);
    }
  }

  private createClient(sdk: AwsIotSdk): Mqtt5Client {
    const { mqtt5, iot } = sdk;
    const s = this.settings;
    const o = this.options;
    const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory(s.endpoint, s.certificate, s.privateKey)
      .withPort(s.port)
      .withConnectProperties({
        clientId: s.thingName,
        keepAliveIntervalSeconds: o.keepAliveSeconds ?? 60,
        // No session: nothing is kept for the thing between connections (MQTT 5.0 §3.1.2.11.2).
        sessionExpiryIntervalSeconds: 0,
      })
      .withSessionBehavior(mqtt5.ClientSessionBehavior.Clean)
      .withRetryJitterMode(mqtt5.RetryJitterType.Full)
      .withMinReconnectDelayMs(o.minReconnectDelayMs ?? 1_000)
      .withMaxReconnectDelayMs(o.maxReconnectDelayMs ?? 120_000)
      // Never queue while offline: the pipeline keeps unsent messages in its durable buffer, so a
      // publish fails at once when there is no connection, and in flight when it drops.
      .withOfflineQueueBehavior(mqtt5.ClientOperationQueueBehavior.FailAllOnDisconnect)
      .withAckTimeoutSeconds(o.ackTimeoutSeconds ?? 30);
    if (s.ca !== undefined) builder.withCertificateAuthority(s.ca);
    const client = new mqtt5.Mqtt5Client(builder.build());

    // An EventEmitter's 'error' without a listener would throw and end the process.
    client.on('error', (err) => {
      this.status.error = this.describe(err);
      this.log.warn({ error: this.status.error }, 'AWS IoT client error');
    });
    client.on('attemptingConnect', () => {
      if (!this.stopping) this.status.set('connecting');
    });
    client.on('connectionSuccess', () => {
      if (this.stopping) return;
      this.status.error = null;
      this.log.info({ endpoint: s.endpoint, port: s.port }, 'connected to AWS IoT Core');
      this.status.set('connected');
      this.subscribeWrites(client, sdk);
    });
    client.on('connectionFailure', (event) => {
      if (this.stopping) return;
      const { why, permanent } = this.describeFailure(sdk, event);
      this.status.error = why;
      this.log.debug({ error: why }, 'cannot connect to AWS IoT Core; retrying');
      this.status.set(permanent ? 'error' : 'disconnected');
    });
    client.on('disconnection', (event) => {
      if (this.stopping) return;
      const by = event.disconnect ? `the broker disconnected: ${mqtt5.DisconnectReasonCode[event.disconnect.reasonCode] ?? event.disconnect.reasonCode}` : this.describe(event.error);
      this.status.error = `connection lost (${by})`;
      this.log.warn({ error: this.status.error }, 'disconnected from AWS IoT Core; reconnecting');
      this.status.set('disconnected');
    });
    client.on('messageReceived', (event) => this.received(event.message));
    return client;
  }

  private async shutDown(): Promise<void> {
    const client = this.client;
    const sdk = this.sdk;
    this.client = undefined;
    if (client && sdk) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.log.warn('the AWS IoT client did not stop in time; releasing it anyway');
          resolve();
        }, this.options.stopTimeoutMs ?? 5_000);
        client.once('stopped', () => {
          clearTimeout(timer);
          resolve();
        });
        try {
          // A DISCONNECT with reason 0: the broker does not publish a last will (MQTT 5.0 §3.14.2.1).
          client.stop({ reasonCode: sdk.mqtt5.DisconnectReasonCode.NormalDisconnection });
        } catch (err) {
          this.log.debug({ error: errorMessage(err) }, 'stopping the AWS IoT client failed');
          clearTimeout(timer);
          resolve();
        }
      });
      try {
        // Releases the native connection, TLS context and event loop references.
        client.close();
      } catch (err) {
        this.log.debug({ error: errorMessage(err) }, 'closing the AWS IoT client failed');
      }
    }
    this.status.set('disconnected');
  }

  /** The session is clean, so every connection subscribes again. */
  private subscribeWrites(client: Mqtt5Client, sdk: AwsIotSdk): void {
    const topicFilter = this.writeTopic;
    if (topicFilter === undefined) return;
    client.subscribe({ subscriptions: [{ topicFilter, qos: sdk.mqtt5.QoS.AtLeastOnce }] }).then(
      (suback) => {
        const code = suback.reasonCodes[0];
        // SUBACK reason codes 0–2 grant a QoS; 0x80 and above refuse (MQTT 5.0 §3.9.3).
        if (code === undefined || code >= 0x80) {
          this.log.warn({ topic: topicFilter, reasonCode: code }, 'the broker refused the subscription to the write topic; writes will not arrive');
        }
      },
      (err: unknown) => {
        if (!this.stopping) this.log.warn({ topic: topicFilter, error: this.clean(errorMessage(err)) }, 'cannot subscribe to the write topic');
      },
    );
  }

  private received(message: mqtt5.PublishPacket): void {
    if (this.writeTopic === undefined || message.topicName !== this.writeTopic) return;
    let payload: Buffer;
    try {
      payload = toBuffer(message.payload);
    } catch {
      this.log.debug({ topic: message.topicName }, 'dropped a write request whose payload cannot be read');
      return;
    }
    const parsed = parseWriteRequest(payload);
    if ('error' in parsed) {
      this.log.debug({ topic: message.topicName, reason: parsed.error }, parsed.response ? 'answering a malformed write request' : 'dropped a malformed write request without uuid');
      if (parsed.response) this.respond(parsed.response);
      return;
    }
    if (this.pendingWrites >= MAX_PENDING_WRITES) {
      this.respond({ uuid: parsed.uuid, error: NeuronWriteError.IS_BUSY, message: `more than ${MAX_PENDING_WRITES} write requests are waiting` });
      return;
    }
    this.pendingWrites++;
    // One request at a time, in arrival order: writes to one device must not overtake each other.
    this.writeChain = this.writeChain
      .then(async () => {
        const response = await carryOutWrites(parsed.uuid, parsed.requests, this.writeHandler, (err, request) =>
          this.log.warn({ device: request.device, group: request.group, tag: request.tag, error: errorMessage(err) }, 'the write handler failed'),
        );
        this.respond(response);
      })
      .catch((err: unknown) => this.log.warn({ error: errorMessage(err) }, 'a write request failed'))
      .finally(() => {
        this.pendingWrites--;
      });
  }

  private respond(response: NeuronWriteResponse): void {
    const { client, sdk } = this;
    const topicName = this.writeResponseTopic;
    if (!client || !sdk || topicName === undefined || this.stopping) return;
    client.publish({ topicName, payload: writeResponseJson(response), qos: sdk.mqtt5.QoS.AtLeastOnce }).then(
      (puback) => {
        if (puback && !sdk.mqtt5.isSuccessfulPubackReasonCode(puback.reasonCode)) this.log.warn({ topic: topicName, reasonCode: puback.reasonCode }, 'the broker refused a write response');
      },
      (err: unknown) => this.log.warn({ topic: topicName, uuid: response.uuid, error: this.clean(errorMessage(err)) }, 'cannot publish a write response'),
    );
  }

  private describeFailure(sdk: AwsIotSdk, event: mqtt5.ConnectionFailureEvent): { why: string; permanent: boolean } {
    const connack = event.connack;
    // CONNACK reason codes of 0x80 and above refuse the connection (MQTT 5.0 §3.2.2.2): a bad
    // client id, a policy that denies iot:Connect… Retrying goes on, but it is an error to fix.
    if (connack && connack.reasonCode >= 0x80) {
      const name = sdk.mqtt5.ConnectReasonCode[connack.reasonCode] ?? 'unknown';
      return { why: `AWS IoT Core refused the connection: ${name} (0x${connack.reasonCode.toString(16)})${connack.reasonString ? `: ${this.clean(connack.reasonString)}` : ''}`, permanent: true };
    }
    const why = this.describe(event.error);
    // A TLS failure (untrusted server, rejected client certificate) also needs a fix, not a retry.
    return { why: `cannot connect to ${this.settings.endpoint}:${this.settings.port}: ${why}`, permanent: /TLS|X509|CERT|PKCS/i.test(event.error.error_name ?? '') };
  }

  private describe(err: ICrtError | Error): string {
    return this.clean(err instanceof Error ? err.message : (err.error_name ?? 'unknown error'));
  }

  /** Error text as reported: never a PEM block nor the key, and bounded. */
  private clean(text: string): string {
    let out = text.replace(/-----BEGIN [^-]+-----[\s\S]*?(-----END [^-]+-----|$)/g, '[PEM]');
    if (this.settings.privateKey && out.includes(this.settings.privateKey)) out = out.split(this.settings.privateKey).join('[redacted]');
    return out.length > MAX_ERROR_LENGTH ? `${out.slice(0, MAX_ERROR_LENGTH)}…` : out;
  }

  private fail(why: string): void {
    this.status.error = this.clean(why);
    this.log.error({ error: this.status.error }, 'the AWS IoT sink cannot connect');
    this.status.set('error');
  }

}

/** Received payloads arrive as an ArrayBuffer; the other forms are the SDK's `Payload` union. */
function toBuffer(payload: mqtt5.Payload | undefined): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (payload instanceof ArrayBuffer) return Buffer.from(payload);
  if (ArrayBuffer.isView(payload)) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return Buffer.from(JSON.stringify(payload), 'utf8');
}
