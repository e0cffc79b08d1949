import { z } from 'zod';
import { NameSchema, unknownKindMessage } from './names.js';

export const SINK_KINDS = ['mqtt', 'sparkplug-b', 'aws-iot', 'azure-iot'] as const;
export const SinkKindSchema = z.enum(SINK_KINDS);
export type SinkKind = z.infer<typeof SinkKindSchema>;

/** A sink publishes the groups it subscribes to. */
export const SubscriptionSchema = z.object({ device: NameSchema, group: NameSchema }).strict();
export type Subscription = z.infer<typeof SubscriptionSchema>;

/** Placeholders a topic template may use. */
export const TOPIC_PLACEHOLDERS = ['{agent}', '{sink}', '{device}', '{group}'] as const;

/** Default data topic on the fleet broker; it stays inside the agent's own namespace. */
export const DEFAULT_FLEET_DATA_TOPIC = 'ef/v1/{agent}/data/{sink}/{device}/{group}';

/**
 * Neuron-compatible payload formats:
 * - `values`: `{timestamp, node, group, values: {tag: value}, errors: {tag: code}, metas: {}}`
 * - `tags`:   `{timestamp, node, group, tags: [{name, value} | {name, error}]}`
 */
export const MqttFormatSchema = z.enum(['values', 'tags']);

export const MqttSinkSettingsSchema = z
  .object({
    /**
     * `fleet`: publish on the fleet broker through the agent's own mTLS connection. The topic
     * must then stay under `ef/v1/{agent}/`, where the broker lets the agent publish.
     */
    broker: z.literal('fleet').default('fleet'),
    topic: z
      .string()
      .min(1)
      .max(512)
      .refine((t) => !/[+#]/.test(t), "must not contain the wildcards '+' or '#'")
      .default(DEFAULT_FLEET_DATA_TOPIC),
    format: MqttFormatSchema.default('values'),
    qos: z.union([z.literal(0), z.literal(1)]).default(0),
    retain: z.boolean().default(false),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.broker === 'fleet' && !s.topic.startsWith('ef/v1/{agent}/')) {
      ctx.addIssue({ code: 'custom', path: ['topic'], message: "on the fleet broker the topic must start with 'ef/v1/{agent}/'" });
    }
  });
export type MqttSinkSettings = z.output<typeof MqttSinkSettingsSchema>;

const sinkBase = {
  name: NameSchema,
  enabled: z.boolean().default(true),
  subscriptions: z.array(SubscriptionSchema).max(10_000).default([]),
};

/**
 * Northbound sinks. Only `mqtt` has its settings defined so far; the other kinds are part of the
 * contract (so configs can name them) and take their settings schemas when their sinks arrive.
 */
export const SinkSchema = z.discriminatedUnion('kind', [
  z.object({ ...sinkBase, kind: z.literal('mqtt'), settings: MqttSinkSettingsSchema.default({ broker: 'fleet', topic: DEFAULT_FLEET_DATA_TOPIC, format: 'values', qos: 0, retain: false }) }).strict(),
  z.object({ ...sinkBase, kind: z.literal('sparkplug-b'), settings: z.record(z.string(), z.unknown()).default({}) }).strict(),
  z.object({ ...sinkBase, kind: z.literal('aws-iot'), settings: z.record(z.string(), z.unknown()).default({}) }).strict(),
  z.object({ ...sinkBase, kind: z.literal('azure-iot'), settings: z.record(z.string(), z.unknown()).default({}) }).strict(),
], { error: unknownKindMessage(SINK_KINDS) });
export type Sink = z.output<typeof SinkSchema>;
export type SinkInput = z.input<typeof SinkSchema>;
