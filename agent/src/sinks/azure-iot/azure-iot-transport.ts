import type { AzureIotSinkSettings, LinkState, WireError } from '@edgefleet/protocol';
import { ErrorCode } from '@edgefleet/protocol';
import type { Client as DeviceClient, DeviceClientOptions, DeviceMethodRequest, DeviceMethodResponse, Message as DeviceMessage, Twin } from 'azure-iot-device';
import type { Logger } from '../../log.js';
import { Backoff } from '../../util/backoff.js';
import { errorMessage } from '../../util/errors.js';
import type { OutboundMessage, SinkTransport, WriteHandler } from '../transport/transport.js';
import { LinkStatus } from '../transport/link-status.js';
import { carryOutWrite, parseWriteBody, parseWritePayload, writeStatus, type ParsedWrite, type TagWriteResult } from './write-payload.js';

/*
 * The Azure IoT Hub transport of the northbound sinks, on the Azure IoT device SDK
 * (azure-iot-device + azure-iot-device-mqtt: MQTT 3.1.1 over TLS on port 8883).
 *
 * Connections are owned here, not by the SDK's retry policy. Each attempt builds a fresh `Client`
 * whose retry policy never retries, and a drop or a failed attempt is retried with our backoff.
 * What the SDK does on its own is not enough for a long-running agent
 * (azure-iot-device/dist/internal_client.js, device_client.js, azure-iot-device-mqtt/dist/mqtt.js):
 * - A transport `disconnect` with an error the policy deems retryable reconnects only the features
 *   a listener was registered for (methods, C2D, desired properties); with none of them (writes
 *   off) nothing reconnects and no `disconnect` reaches the client: telemetry would stall silently.
 * - On the first connection of a transport every connect error, a refused TCP connection included,
 *   is rewrapped as "Failure on first connection (Not authorized): …", which `translateError`
 *   turns into `UnauthorizedError`, which the default policy never retries. An agent that boots
 *   before its network is up would therefore never connect.
 * - `open()` and `sendEvent()` retry for up to 4 minutes (MAX_OPERATION_TIMEOUT) before failing,
 *   so the link would look "connecting" long after the hub became unreachable, and a `sendEvent`
 *   on a disconnected transport silently opens a connection of its own.
 * With a never-retrying policy every failure surfaces at once, and the client emits `disconnect`
 * for every drop, which is the one signal used here.
 */

export interface AzureIotTransportContext {
  agentId: string;
  sinkName: string;
  log: Logger;
  /** Reconnect delays (exponential with jitter between these); defaults 1 s … 60 s. */
  reconnectDelayMs?: { min: number; max: number };
}

/** The two SDK packages, as loaded on first use. */
export interface AzureIotSdk {
  Client: typeof import('azure-iot-device').Client;
  Message: typeof import('azure-iot-device').Message;
  Mqtt: typeof import('azure-iot-device-mqtt').Mqtt;
}

let loaded: Promise<AzureIotSdk> | undefined;

/**
 * azure-iot-device and its MQTT transport (and mqtt.js 4 with them) are loaded when the first
 * Azure sink starts, so an agent without one never carries them. Both are CommonJS: plain Node ESM
 * cannot import their classes by name, so the namespace's `default` (module.exports) is used.
 */
export function loadAzureIotSdk(): Promise<AzureIotSdk> {
  loaded ??= Promise.all([import('azure-iot-device'), import('azure-iot-device-mqtt')]).then(
    ([device, mqtt]) => ({ Client: device.default.Client, Message: device.default.Message, Mqtt: mqtt.default.Mqtt }),
    (err: unknown) => {
      loaded = undefined;
      throw err;
    },
  );
  return loaded;
}

/** CONNACK can take this long before an attempt is given up (the SDK's own limit is 60 s). */
const OPEN_TIMEOUT_MS = 30_000;
/** A telemetry message not acknowledged (PUBACK) within this time counts as a dead connection. */
const SEND_TIMEOUT_MS = 30_000;
const TWIN_TIMEOUT_MS = 15_000;
/** `stop()` waits at most this long for the MQTT DISCONNECT to be written. */
const CLOSE_TIMEOUT_MS = 5_000;
/** Writes carried out at once; more are answered 429 rather than queued without bound. */
const MAX_CONCURRENT_WRITES = 16;
/** The direct method name a write arrives as. */
export const WRITE_METHOD = 'write';

/** A retry policy that never retries: the transport retries whole connections itself. */
const NEVER_RETRY = { shouldRetry: (): boolean => false, nextRetryTimeout: (): number => 0 };

interface Connection {
  client: DeviceClient;
  /** Fetched once per connection, on the first status report. */
  twin: Promise<Twin> | undefined;
  /** Rejecters of the sends waiting for their PUBACK on this connection. */
  pending: Set<(err: Error) => void>;
  closed: boolean;
}

interface Identity {
  hostName: string;
  deviceId: string;
  connectionString: string;
  options: DeviceClientOptions | undefined;
  secrets: string[];
}

type Failure = { state: 'error' | 'disconnected'; message: string };

/** Where the key material is, so it can be kept out of every message this transport produces. */
function identityOf(settings: AzureIotSinkSettings): Identity {
  const auth = settings.auth;
  const ca = settings.ca === undefined ? {} : { ca: settings.ca };
  switch (auth.type) {
    case 'connection-string': {
      const field = (name: string): string => new RegExp(`(?:^|;)\\s*${name}=([^;]*)`, 'i').exec(auth.connectionString)?.[1]?.trim() ?? '';
      const secrets = [field('SharedAccessKey'), field('SharedAccessSignature'), auth.connectionString].filter((s) => s.length > 0);
      return { hostName: field('HostName'), deviceId: field('DeviceId'), connectionString: auth.connectionString, options: settings.ca === undefined ? undefined : ca, secrets };
    }
    case 'sas':
      // The device connection string the portal shows for a symmetric-key device.
      return {
        hostName: auth.hostName,
        deviceId: auth.deviceId,
        connectionString: `HostName=${auth.hostName};DeviceId=${auth.deviceId};SharedAccessKey=${auth.sharedAccessKey}`,
        options: settings.ca === undefined ? undefined : ca,
        secrets: [auth.sharedAccessKey],
      };
    case 'x509':
      // `x509=true` makes the SDK authenticate with the TLS client certificate given in setOptions.
      return {
        hostName: auth.hostName,
        deviceId: auth.deviceId,
        connectionString: `HostName=${auth.hostName};DeviceId=${auth.deviceId};x509=true`,
        options: { cert: auth.certificate, key: auth.privateKey, ...ca },
        secrets: [auth.privateKey],
      };
  }
}

/** Removes key material and SAS tokens from a text that may reach a log, the console or the cloud. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out
    .replace(/(SharedAccessKey\s*=\s*)[^;\s"']+/gi, '$1[redacted]')
    .replace(/SharedAccessSignature\s+sr=[^\s"']+/gi, 'SharedAccessSignature [redacted]')
    .replace(/([?&]sig=)[^&\s"']+/gi, '$1[redacted]')
    .replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[redacted private key]');
}

/**
 * The SDK's message without its wrappers: `translateError` adds "mqtt.js returned … error", and a
 * first connection "Failure on first connection (Not authorized): " whatever the cause.
 */
function innerMessage(err: unknown): string {
  let message = errorMessage(err);
  for (;;) {
    const unwrapped = message.replace(/^mqtt\.js returned (.*) error$/s, '$1').replace(/^Failure on first connection \(Not authorized\): /, '');
    if (unwrapped === message) return message;
    message = unwrapped;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    // A pending bound must not keep the process alive after the transport stopped.
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export class AzureIotTransport implements SinkTransport {
  private readonly log: Logger;
  private readonly identity: Identity;
  private readonly backoff: Backoff;
  private sdk: AzureIotSdk | undefined;
  private running = false;
  /** The open connection; undefined while (re)connecting. */
  private connection: Connection | undefined;
  /** The connection being opened. */
  private opening: Connection | undefined;
  /** Bumped by every attempt and by stop(), so a stale attempt knows to give up. */
  private generation = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private writeHandler: WriteHandler | undefined;
  private writesInFlight = 0;
  private readonly status: LinkStatus;

  constructor(
    private readonly settings: AzureIotSinkSettings,
    context: AzureIotTransportContext,
  ) {
    this.log = context.log.child({ sink: context.sinkName, sinkKind: 'azure-iot' });
    this.status = new LinkStatus(this.log);
    this.identity = identityOf(settings);
    this.backoff = new Backoff(context.reconnectDelayMs?.min ?? 1_000, context.reconnectDelayMs?.max ?? 60_000);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.status.error = null;
    this.backoff.reset();
    this.status.set('connecting');
    void this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const connections = [this.connection, this.opening].filter((c): c is Connection => c !== undefined);
    this.connection = undefined;
    this.opening = undefined;
    for (const c of connections) this.retire(c, new Error('the sink stopped'));
    await Promise.all(connections.map((c) => this.closeClient(c.client)));
    this.status.set('disconnected');
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

  /**
   * Sends one device-to-cloud message. IoT Hub has no topics: the rendered `{device}/{group}`
   * becomes the application properties `device` and `group`, which IoT Hub message routing can
   * query (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-routing-query-syntax).
   * `contentType`/`contentEncoding` are the system properties routing needs to query the body.
   * The message's seq is its message id, so a message sent again (its acknowledgement lost with
   * the link, or not yet recorded at a crash) can be recognized as a duplicate downstream.
   */
  async send(message: OutboundMessage): Promise<void> {
    const conn = this.connection;
    const sdk = this.sdk;
    if (!conn || conn.closed || !sdk || this.status.state !== 'connected') {
      throw new Error(`not connected to IoT Hub ${this.identity.hostName}${this.status.error === null ? '' : ` (${this.status.error})`}`);
    }
    const slash = message.topic.indexOf('/');
    const device = slash < 0 ? message.topic : message.topic.slice(0, slash);
    const group = slash < 0 ? undefined : message.topic.slice(slash + 1);

    const msg = new sdk.Message(message.payload);
    // The SDK types these as a few literal values, but IoT Hub takes any content type and encoding.
    Object.assign(msg, { contentType: this.settings.contentType, contentEncoding: this.settings.contentEncoding });
    if (message.seq !== undefined) msg.messageId = String(message.seq);
    // `device` and `group` describe the message itself, so a custom property cannot override them.
    for (const [name, value] of Object.entries(this.settings.properties)) {
      if (name !== 'device' && name !== 'group') msg.properties.add(name, value);
    }
    msg.properties.add('device', device);
    if (group !== undefined) msg.properties.add('group', group);

    try {
      await this.sendEvent(conn, msg);
    } catch (err) {
      const reason = redactSecrets(`sending to IoT Hub failed: ${innerMessage(err)}`, this.identity.secrets);
      if (this.running) this.status.error = reason;
      throw new Error(reason);
    }
    if (this.connection === conn && this.status.state === 'connected') this.status.error = null;
  }

  /**
   * Patches the device twin's reported properties with the agent's status. Reported properties are
   * merged as a JSON merge patch by IoT Hub, so `null` removes a property
   * (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-device-twins#back-end-operations).
   * Never throws: a status report that cannot be made now is logged and made again by the next
   * call. Resolves with whether IoT Hub took it.
   */
  async reportStatus(status: Record<string, unknown>): Promise<boolean> {
    const conn = this.connection;
    if (!conn || conn.closed) {
      this.log.debug('not connected to IoT Hub: status not reported');
      return false;
    }
    try {
      conn.twin ??= conn.client.getTwin();
      const twin = await withTimeout(conn.twin, TWIN_TIMEOUT_MS, 'getting the device twin');
      // `reported` is typed as a plain record; the SDK adds `update` to it at run time (twin.js).
      const reported = twin.properties.reported as unknown as { update(patch: Record<string, unknown>, done: (err?: Error) => void): void };
      await withTimeout(
        new Promise<void>((resolve, reject) => reported.update(status, (err) => (err ? reject(err) : resolve()))),
        TWIN_TIMEOUT_MS,
        'updating reported properties',
      );
      return true;
    } catch (err) {
      // Fetched again next time: a get that failed or hangs must not stay cached.
      conn.twin = undefined;
      this.log.warn({ err: redactSecrets(innerMessage(err), this.identity.secrets) }, 'reporting the agent status to the device twin failed');
      return false;
    }
  }

  // ---- connection ----

  private async connect(): Promise<void> {
    this.retryTimer = undefined;
    if (!this.running) return;
    const generation = ++this.generation;
    let conn: Connection | undefined;
    try {
      const sdk = (this.sdk ??= await loadAzureIotSdk());
      if (generation !== this.generation) return;
      const client = sdk.Client.fromConnectionString(this.identity.connectionString, sdk.Mqtt);
      client.setRetryPolicy(NEVER_RETRY);
      conn = { client, twin: undefined, pending: new Set(), closed: false };
      this.opening = conn;
      const current = conn;
      client.on('disconnect', (result?: { transportObj?: unknown }) => this.dropped(current, result?.transportObj));
      // Without a listener an `error` event (a feature that failed to enable) would crash the process.
      client.on('error', (err: Error) => this.log.warn({ err: redactSecrets(innerMessage(err), this.identity.secrets) }, 'IoT Hub client error'));

      // setOptions is asynchronous (it reads the credentials first): an open() before it settled
      // connects without the CA or the client certificate.
      if (this.identity.options) await withTimeout(client.setOptions(this.identity.options), OPEN_TIMEOUT_MS, 'configuring the IoT Hub client');
      if (generation !== this.generation) return; // stopped meanwhile; stop() closed the client.
      await withTimeout(client.open(), OPEN_TIMEOUT_MS, `connecting to IoT Hub ${this.identity.hostName}`);
      if (generation !== this.generation) {
        this.retire(conn, new Error('superseded'));
        await this.closeClient(client);
        return;
      }
      if (conn.closed) throw new Error('the connection dropped as it opened');
      this.opening = undefined;
      this.connection = conn;
      if (this.settings.writes) this.enableWrites(conn);
      this.backoff.reset();
      this.status.error = null;
      this.log.info({ hub: this.identity.hostName, deviceId: this.identity.deviceId }, 'connected to IoT Hub');
      this.status.set('connected');
    } catch (err) {
      if (conn) {
        if (this.opening === conn) this.opening = undefined;
        this.retire(conn, err instanceof Error ? err : new Error(String(err)));
        void this.closeClient(conn.client);
      }
      if (!this.running || generation !== this.generation) return;
      const failure = this.describeFailure(err);
      this.fail(failure);
    }
  }

  /** The client reported a drop (or a failed token renewal): reconnect with backoff. */
  private dropped(conn: Connection, cause: unknown): void {
    if (conn.closed) return;
    const reason = cause === undefined ? 'the connection closed' : innerMessage(cause);
    this.retire(conn, new Error(`the connection to IoT Hub dropped: ${reason}`));
    if (this.connection === conn) this.connection = undefined;
    if (this.opening === conn) return; // open() is still to settle and reports it.
    void this.closeClient(conn.client);
    if (!this.running) return;
    this.fail({ state: 'disconnected', message: redactSecrets(`the connection to IoT Hub ${this.identity.hostName} dropped: ${reason}`, this.identity.secrets) });
  }

  private fail(failure: Failure): void {
    this.status.error = failure.message;
    const delay = this.backoff.next();
    this.log.warn({ retryInMs: delay }, failure.message);
    this.status.set(failure.state);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  /** Marks a connection dead and fails the sends still waiting on it. */
  private retire(conn: Connection, err: Error): void {
    conn.closed = true;
    for (const reject of [...conn.pending]) reject(err);
    conn.pending.clear();
  }

  private async closeClient(client: DeviceClient): Promise<void> {
    try {
      await withTimeout(client.close(), CLOSE_TIMEOUT_MS, 'closing the IoT Hub connection');
    } catch (err) {
      this.log.debug({ err: redactSecrets(innerMessage(err), this.identity.secrets) }, 'closing the IoT Hub client failed');
    }
  }

  /**
   * Credentials or TLS problems are `error` (they will not fix themselves, but are retried in case
   * the device is registered or the key rotated meanwhile); anything else is `disconnected`.
   */
  private describeFailure(err: unknown): Failure {
    const inner = innerMessage(err);
    const { hostName, deviceId } = this.identity;
    let failure: Failure;
    if (/Connection refused: (Not authorized|Bad username or password|Identifier rejected)/i.test(inner)) {
      failure = {
        state: 'error',
        message: `IoT Hub ${hostName} refused device '${deviceId}' (${inner}): check that the device is registered and enabled and that its key, token or certificate is the registered one`,
      };
    } else if (/certificate|self[- ]signed|CERT_|SSL|TLS|handshake/i.test(inner)) {
      failure = { state: 'error', message: `TLS with IoT Hub ${hostName} failed: ${inner}` };
    } else if (/Invalid transport configuration|connection string|ArgumentError/i.test(inner)) {
      failure = { state: 'error', message: `the IoT Hub settings of device '${deviceId}' are not usable: ${inner}` };
    } else {
      failure = { state: 'disconnected', message: `cannot connect to IoT Hub ${hostName}: ${inner}` };
    }
    return { state: failure.state, message: redactSecrets(failure.message, this.identity.secrets) };
  }


  /** sendEvent bounded in time and failed at once when its connection is retired. */
  private sendEvent(conn: Connection, msg: DeviceMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        conn.pending.delete(fail);
        reject(err);
      };
      const timer = setTimeout(() => {
        fail(new Error(`no acknowledgement within ${SEND_TIMEOUT_MS} ms`));
        // No PUBACK for this long: the connection is as good as dead; replace it.
        this.dropped(conn, new Error(`no PUBACK within ${SEND_TIMEOUT_MS} ms`));
      }, SEND_TIMEOUT_MS);
      conn.pending.add(fail);
      conn.client.sendEvent(msg).then(
        () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          conn.pending.delete(fail);
          resolve();
        },
        (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))),
      );
    });
  }

  // ---- writes from the cloud ----

  /**
   * Subscribes to the direct method `write` and to cloud-to-device messages, after the connection
   * is open: registering them earlier would make the SDK open a connection of its own.
   */
  private enableWrites(conn: Connection): void {
    conn.client.onDeviceMethod(WRITE_METHOD, (request: DeviceMethodRequest, response: DeviceMethodResponse) => {
      void this.onWriteMethod(request, response);
    });
    conn.client.on('message', (msg: DeviceMessage) => {
      void this.onCloudMessage(conn, msg);
    });
  }

  /**
   * A direct method answers with a status and a JSON body
   * (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-direct-methods): 200 when every
   * tag was written, 207 when some were not (each result says why), 400 for a malformed request.
   * A body that is not JSON at all is answered 400 by the SDK itself before it gets here.
   */
  private async onWriteMethod(request: DeviceMethodRequest, response: DeviceMethodResponse): Promise<void> {
    let status: number;
    let body: unknown;
    try {
      const parsed = parseWritePayload(request.payload as unknown);
      const outcome = await this.carryOut(parsed, `direct method ${request.requestId}`);
      status = outcome.status;
      body = outcome.body;
    } catch (err) {
      status = 500;
      body = { error: { code: ErrorCode.INTERNAL, message: errorMessage(err) } satisfies WireError };
    }
    try {
      await response.send(status, body);
    } catch (err) {
      this.log.warn({ requestId: request.requestId, err: innerMessage(err) }, 'answering the direct method write failed');
    }
  }

  /**
   * A cloud-to-device message with the same body as the direct method. Over MQTT the message is
   * settled by the PUBACK the SDK sends on delivery; IoT Hub does not support rejecting or
   * abandoning a C2D message over MQTT
   * (https://learn.microsoft.com/azure/iot-hub/iot-hub-mqtt-support#receiving-cloud-to-device-messages),
   * so the SDK's `reject()` fails and the outcome is only logged.
   */
  private async onCloudMessage(conn: Connection, msg: DeviceMessage): Promise<void> {
    const messageId = typeof msg.messageId === 'string' ? msg.messageId : undefined;
    let settle: 'complete' | 'reject' = 'complete';
    try {
      const parsed = parseWriteBody(msg.getBytes());
      if (!parsed.ok) settle = 'reject';
      await this.carryOut(parsed, `cloud-to-device message ${messageId ?? '(no id)'}`);
    } catch (err) {
      this.log.error({ messageId, err: errorMessage(err) }, 'carrying out a cloud-to-device write failed');
    }
    try {
      if (settle === 'complete') await conn.client.complete(msg);
      else await conn.client.reject(msg);
    } catch (err) {
      // Expected for `reject` over MQTT: the delivery's PUBACK has already removed the message.
      this.log.debug({ messageId, settle, err: innerMessage(err) }, `could not ${settle} the cloud-to-device message`);
    }
  }

  /** Validates, carries out and logs a write; returns the direct method answer. */
  private async carryOut(parsed: ParsedWrite, source: string): Promise<{ status: number; body: unknown }> {
    if (!parsed.ok) {
      this.log.warn({ source, err: parsed.error.message }, 'refused a malformed write');
      return { status: 400, body: { error: parsed.error } };
    }
    const handler = this.writeHandler;
    if (!handler) {
      const error: WireError = { code: ErrorCode.OPERATION_UNSUPPORTED, message: 'this agent does not carry out writes from this sink' };
      this.log.warn({ source }, error.message);
      return { status: 501, body: { error } };
    }
    if (this.writesInFlight >= MAX_CONCURRENT_WRITES) {
      const error: WireError = { code: ErrorCode.RATE_LIMITED, message: `more than ${MAX_CONCURRENT_WRITES} writes are in progress; retry later` };
      this.log.warn({ source }, error.message);
      return { status: 429, body: { error } };
    }
    const { command } = parsed;
    this.writesInFlight++;
    let results: TagWriteResult[];
    try {
      results = await carryOutWrite(command, handler);
    } finally {
      this.writesInFlight--;
    }
    const failed = results.filter((r) => !r.ok);
    const summary = { source, device: command.device, group: command.group, tags: results.length, failed: failed.length };
    if (failed.length === 0) this.log.info(summary, 'write carried out');
    else this.log.warn({ ...summary, errors: failed.map((r) => (r.ok ? undefined : `${r.tag}: ${r.error.code} ${r.error.message}`)) }, 'write failed for some tags');
    return { status: writeStatus(results), body: { results } };
  }
}
