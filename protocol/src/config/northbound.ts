import { z } from 'zod';
import { NameSchema, unknownKindMessage } from './names.js';
import { SecretSchema } from './secret.js';

export const SINK_KINDS = ['mqtt', 'sparkplug-b', 'aws-iot', 'azure-iot'] as const;
export const SinkKindSchema = z.enum(SINK_KINDS);
export type SinkKind = z.infer<typeof SinkKindSchema>;

/** A sink publishes the groups it subscribes to. */
export const SubscriptionSchema = z.object({ device: NameSchema, group: NameSchema }).strict();
export type Subscription = z.infer<typeof SubscriptionSchema>;

/** Placeholders a topic template may use. */
export const TOPIC_PLACEHOLDERS = ['{agent}', '{sink}', '{device}', '{group}'] as const;

/** Placeholders of a `custom` payload template: the topic's, and the read's parts as JSON. */
export const PAYLOAD_PLACEHOLDERS = ['{agent}', '{sink}', '{device}', '{group}', '{timestamp}', '{values}', '{errors}', '{tags}'] as const;

/** Default data topic on the fleet broker; it stays inside the agent's own namespace. */
export const DEFAULT_FLEET_DATA_TOPIC = 'ef/v1/{agent}/data/{sink}/{device}/{group}';

const CertificatePemSchema = z.string().max(65_536).includes('BEGIN CERTIFICATE', { message: 'must be a PEM certificate' });
const PrivateKeyPemSchema = SecretSchema.refine((s) => s.includes('PRIVATE KEY'), 'must be a PEM private key');

/** An MQTT topic template: no wildcards [MQTT-4.7.1-1], placeholders only from `allowed`. */
function topicTemplate(allowed: readonly string[] = TOPIC_PLACEHOLDERS) {
  return z
    .string()
    .min(1)
    .max(512)
    .refine((t) => !/[+#]/.test(t), "must not contain the wildcards '+' or '#'")
    .refine((t) => (t.match(/\{[^}]*\}/g) ?? []).every((p) => allowed.includes(p)), `may use only the placeholders ${allowed.join(', ')}`);
}

/**
 * Neuron-compatible payload formats:
 * - `values`: `{timestamp, node, group, values: {tag: value}, errors: {tag: code}, metas: {}}`
 * - `tags`:   `{timestamp, node, group, tags: [{name, value} | {name, error}]}`
 * - `custom`: the sink's `template`, with `{values}`, `{errors}` and `{tags}` replaced by the
 *   JSON of those parts and `{timestamp}`, `{agent}`, `{sink}`, `{device}`, `{group}` by theirs.
 */
export const PayloadFormatSchema = z.enum(['values', 'tags', 'custom']);
export type PayloadFormat = z.infer<typeof PayloadFormatSchema>;
/** Kept under its first name: the MQTT sink's format. */
export const MqttFormatSchema = PayloadFormatSchema;

const payloadTemplate = z
  .string()
  .min(1)
  .max(8_192)
  .refine((t) => (t.match(/\{[a-z]+\}/g) ?? []).every((p) => (PAYLOAD_PLACEHOLDERS as readonly string[]).includes(p)), `may use only the placeholders ${PAYLOAD_PLACEHOLDERS.join(', ')}`);

/**
 * When a sink publishes a group: after `every-read`, or `on-change` only (report by
 * exception): the tags whose value moved by more than their `deadbandAbs` (any change without
 * one) or whose error changed; a read where nothing changed publishes nothing. With
 * `on-change`, `refreshMs` also publishes every tag at least that often, so a consumer that
 * starts late learns the current values.
 */
export const ReportSettingsSchema = z
  .object({
    mode: z.enum(['every-read', 'on-change']).default('every-read'),
    refreshMs: z.number().int().min(1_000).max(86_400_000).optional(),
  })
  .strict();
export type ReportSettings = z.output<typeof ReportSettingsSchema>;

/**
 * The sink's store-and-forward buffer on disk (in the agent's state dir). `durability`:
 * `batch` commits every burst of appends in one fsynced transaction (survives power loss),
 * `interval` fsyncs every `syncIntervalMs`, `none` leaves it to the OS (survives a crash of the
 * agent, not of the machine). When full, `drop-oldest` (default) or `drop-newest`, counted.
 */
export const BufferSettingsSchema = z
  .object({
    maxBytes: z.number().int().min(1_048_576).max(68_719_476_736).default(268_435_456),
    overflow: z.enum(['drop-oldest', 'drop-newest']).default('drop-oldest'),
    durability: z.enum(['batch', 'interval', 'none']).default('batch'),
    syncIntervalMs: z.number().int().min(10).max(60_000).default(1_000),
  })
  .strict();
export type BufferSettings = z.output<typeof BufferSettingsSchema>;

const TlsSettingsSchema = z
  .object({
    /** Trust these CAs instead of the system's (PEM). */
    ca: CertificatePemSchema.optional(),
    /** Client certificate and key for mutual TLS. */
    cert: CertificatePemSchema.optional(),
    key: PrivateKeyPemSchema.optional(),
    rejectUnauthorized: z.boolean().default(true),
  })
  .strict()
  .refine((t) => (t.cert === undefined) === (t.key === undefined), { message: 'cert and key go together', path: ['key'] });

/** An MQTT broker of the user's (EMQX, Mosquitto, HiveMQ…): where it is and how to log in. */
export const MqttBrokerSchema = z
  .object({
    url: z.string().regex(/^(mqtts?|wss?):\/\/[^\s/:]+(:\d{1,5})?(\/\S*)?$/, 'must be mqtt://host[:port], mqtts://host[:port], ws://… or wss://…'),
    /** Default: `edgefleet-{agent}-{sink}`. */
    clientId: z.string().min(1).max(128).optional(),
    username: z.string().min(1).max(256).optional(),
    password: SecretSchema.optional(),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
    keepaliveSec: z.number().int().min(5).max(3_600).default(30),
    tls: TlsSettingsSchema.optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.tls && !/^(mqtts|wss):/.test(b.url)) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'TLS settings need an mqtts:// or wss:// url' });
    if (b.password !== undefined && b.username === undefined) ctx.addIssue({ code: 'custom', path: ['username'], message: 'a password needs a username' });
  });
export type MqttBroker = z.output<typeof MqttBrokerSchema>;

export const MqttSinkSettingsSchema = z
  .object({
    /**
     * `fleet`: publish on the fleet broker through the agent's own mTLS connection. The topic
     * must then stay under `ef/v1/{agent}/`, where the broker lets the agent publish. Otherwise
     * a broker of the user's, over a connection of the sink's own.
     */
    broker: z.union([z.literal('fleet'), MqttBrokerSchema]).default('fleet'),
    topic: topicTemplate().default(DEFAULT_FLEET_DATA_TOPIC),
    format: PayloadFormatSchema.default('values'),
    template: payloadTemplate.optional(),
    qos: z.union([z.literal(0), z.literal(1)]).default(0),
    retain: z.boolean().default(false),
    /**
     * Writes in Neuron's shape: a request `{uuid, node, group, tag, value}` or
     * `{uuid, node, group, tags: [{tag, value}]}` on `writeTopic`, answered `{uuid, error}`
     * (0 = done) on `writeResponseTopic`. No `writeTopic`, no writes.
     */
    writeTopic: topicTemplate(['{agent}', '{sink}']).optional(),
    writeResponseTopic: topicTemplate(['{agent}', '{sink}']).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.broker === 'fleet' && s.writeTopic !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['writeTopic'], message: "on the fleet broker, writes go through the control plane's write command (POST /api/v1/agents/{id}/tags/write); a write topic needs a broker of your own" });
    }
    if (s.broker === 'fleet') {
      for (const key of ['topic', 'writeTopic', 'writeResponseTopic'] as const) {
        const topic = s[key];
        if (topic !== undefined && !topic.startsWith('ef/v1/{agent}/')) ctx.addIssue({ code: 'custom', path: [key], message: "on the fleet broker the topic must start with 'ef/v1/{agent}/'" });
      }
    }
    if (s.format === 'custom' && s.template === undefined) ctx.addIssue({ code: 'custom', path: ['template'], message: "the 'custom' format needs a template" });
    if ((s.writeTopic === undefined) !== (s.writeResponseTopic === undefined)) ctx.addIssue({ code: 'custom', path: ['writeResponseTopic'], message: 'writeTopic and writeResponseTopic go together' });
  });
export type MqttSinkSettings = z.output<typeof MqttSinkSettingsSchema>;

/** A Sparkplug B id (group, edge node): no topic separators or wildcards (Sparkplug 3.0 §4.1.1). */
const SparkplugIdSchema = z.string().min(1).max(128).regex(/^[^/+#]+$/, "must not contain '/', '+' or '#'");

export const SparkplugSinkSettingsSchema = z
  .object({
    /** Sparkplug needs a connection of its own: its last will is the edge node's death certificate. */
    broker: MqttBrokerSchema,
    groupId: SparkplugIdSchema,
    /** Default: the agent's id. */
    edgeNodeId: SparkplugIdSchema.optional(),
    /** Carry out DCMD writes to `rw` tags. */
    writes: z.boolean().default(true),
  })
  .strict();
export type SparkplugSinkSettings = z.output<typeof SparkplugSinkSettingsSchema>;

export const AwsIotSinkSettingsSchema = z
  .object({
    /** The account's device data endpoint, e.g. `abc123-ats.iot.eu-west-1.amazonaws.com`. */
    endpoint: z.string().min(1).max(253).regex(/^[A-Za-z0-9.-]+$/, 'must be a host name'),
    port: z.number().int().min(1).max(65_535).default(8883),
    /** The thing name, used as the MQTT client id (AWS IoT policies usually require that). */
    thingName: z.string().min(1).max(128).regex(/^[A-Za-z0-9:_-]+$/, "may hold letters, digits, ':', '_' and '-'"),
    certificate: CertificatePemSchema,
    privateKey: PrivateKeyPemSchema,
    /** Trust these CAs instead of the system's (Amazon's roots are in the system's). */
    ca: CertificatePemSchema.optional(),
    topic: topicTemplate().default('edgefleet/{agent}/{device}/{group}'),
    /** Publish through Basic Ingest (`$aws/rules/{rule}/…`): straight to that rule, no messaging charge. */
    basicIngestRule: z.string().min(1).max(128).regex(/^[A-Za-z0-9_]+$/, "may hold letters, digits and '_'").optional(),
    format: PayloadFormatSchema.default('values'),
    template: payloadTemplate.optional(),
    qos: z.union([z.literal(0), z.literal(1)]).default(1),
    /** Writes in Neuron's shape (as the MQTT sink's); no `writeTopic`, no writes. */
    writeTopic: topicTemplate(['{agent}', '{sink}']).optional(),
    writeResponseTopic: topicTemplate(['{agent}', '{sink}']).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.topic.startsWith('$')) ctx.addIssue({ code: 'custom', path: ['topic'], message: "must not start with '$' (use basicIngestRule for $aws/rules)" });
    if (s.format === 'custom' && s.template === undefined) ctx.addIssue({ code: 'custom', path: ['template'], message: "the 'custom' format needs a template" });
    if ((s.writeTopic === undefined) !== (s.writeResponseTopic === undefined)) ctx.addIssue({ code: 'custom', path: ['writeResponseTopic'], message: 'writeTopic and writeResponseTopic go together' });
  });
export type AwsIotSinkSettings = z.output<typeof AwsIotSinkSettingsSchema>;

/** How a device authenticates to IoT Hub. */
export const AzureAuthSchema = z.discriminatedUnion('type', [
  /** `HostName=…;DeviceId=…;SharedAccessKey=…` as the portal shows it. */
  z.object({ type: z.literal('connection-string'), connectionString: SecretSchema.refine((s) => /HostName=/.test(s) && /DeviceId=/.test(s), 'must hold HostName= and DeviceId=') }).strict(),
  z.object({ type: z.literal('sas'), hostName: z.string().min(1).max(253), deviceId: z.string().min(1).max(128), sharedAccessKey: SecretSchema }).strict(),
  z.object({ type: z.literal('x509'), hostName: z.string().min(1).max(253), deviceId: z.string().min(1).max(128), certificate: CertificatePemSchema, privateKey: PrivateKeyPemSchema }).strict(),
], { error: unknownKindMessage(['connection-string', 'sas', 'x509']) });
export type AzureAuth = z.output<typeof AzureAuthSchema>;

export const AzureIotSinkSettingsSchema = z
  .object({
    auth: AzureAuthSchema,
    /** Trust these CAs instead of the system's. */
    ca: CertificatePemSchema.optional(),
    format: PayloadFormatSchema.default('values'),
    template: payloadTemplate.optional(),
    /** Message system properties, so IoT Hub routing can query the body. */
    contentType: z.string().min(1).max(128).default('application/json'),
    contentEncoding: z.string().min(1).max(64).default('utf-8'),
    /** Application properties added to every message (besides `device` and `group`). */
    properties: z.record(z.string().min(1).max(128), z.string().max(1_024)).default({}),
    /** Carry out writes sent as cloud-to-device messages or the direct method `write`. */
    writes: z.boolean().default(true),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.format === 'custom' && s.template === undefined) ctx.addIssue({ code: 'custom', path: ['template'], message: "the 'custom' format needs a template" });
  });
export type AzureIotSinkSettings = z.output<typeof AzureIotSinkSettingsSchema>;

const sinkBase = {
  name: NameSchema,
  enabled: z.boolean().default(true),
  subscriptions: z.array(SubscriptionSchema).max(10_000).default([]),
  report: ReportSettingsSchema.default({ mode: 'every-read' }),
  buffer: BufferSettingsSchema.default({ maxBytes: 268_435_456, overflow: 'drop-oldest', durability: 'batch', syncIntervalMs: 1_000 }),
};

/** Northbound sinks: one shared pipeline (subscribe → report → format → buffer), four transports. */
export const SinkSchema = z.discriminatedUnion('kind', [
  z.object({ ...sinkBase, kind: z.literal('mqtt'), settings: MqttSinkSettingsSchema.default({ broker: 'fleet', topic: DEFAULT_FLEET_DATA_TOPIC, format: 'values', qos: 0, retain: false }) }).strict(),
  z.object({ ...sinkBase, kind: z.literal('sparkplug-b'), settings: SparkplugSinkSettingsSchema }).strict(),
  z.object({ ...sinkBase, kind: z.literal('aws-iot'), settings: AwsIotSinkSettingsSchema }).strict(),
  z.object({ ...sinkBase, kind: z.literal('azure-iot'), settings: AzureIotSinkSettingsSchema }).strict(),
], { error: unknownKindMessage(SINK_KINDS) });
export type Sink = z.output<typeof SinkSchema>;
export type SinkInput = z.input<typeof SinkSchema>;
