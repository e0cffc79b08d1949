import { z } from 'zod';

/**
 * A tag value as JSON carries it: numbers (64-bit integers beyond ±2^53 as decimal strings),
 * booleans, strings, and bytes as an array of octets.
 */
export const TagValueSchema = z.union([z.number(), z.boolean(), z.string(), z.array(z.number().int().min(0).max(255))]);
export type TagValue = z.infer<typeof TagValueSchema>;

/** The latest values of one group: Neuron's `values` shape plus the agent's device and group. */
export const GroupValuesSchema = z.object({
  device: z.string(),
  group: z.string(),
  /** When the group was last read, ms since the epoch. */
  timestamp: z.number().int(),
  values: z.record(z.string(), TagValueSchema),
  /** Per-tag error codes (Neuron-compatible numbers) for tags that failed in the last read. */
  errors: z.record(z.string(), z.number().int()),
});
export type GroupValues = z.infer<typeof GroupValuesSchema>;

/** Neuron `values` format, as published by MQTT sinks: `{timestamp, node, group, values, errors, metas}`. */
export const NeuronValuesPayloadSchema = z.object({
  timestamp: z.number().int(),
  node: z.string(),
  group: z.string(),
  values: z.record(z.string(), TagValueSchema),
  errors: z.record(z.string(), z.number().int()),
  metas: z.record(z.string(), z.unknown()).default({}),
});
export type NeuronValuesPayload = z.infer<typeof NeuronValuesPayloadSchema>;

/** Neuron `tags` format: `{timestamp, node, group, tags: [{name, value} | {name, error}]}`. */
export const NeuronTagsPayloadSchema = z.object({
  timestamp: z.number().int(),
  node: z.string(),
  group: z.string(),
  tags: z.array(z.union([z.object({ name: z.string(), value: TagValueSchema }), z.object({ name: z.string(), error: z.number().int() })])),
});
export type NeuronTagsPayload = z.infer<typeof NeuronTagsPayloadSchema>;

/**
 * Per-tag error numbers published in `errors`, following Neuron's numbering where one exists
 * so consumers written against Neuron read them the same way.
 */
export const TagErrorNumber = {
  /** Neuron 3008: the value is older than the group allows. */
  VALUE_EXPIRED: 3008,
  /** The device did not answer (Neuron 3022 "plugin device not response"). */
  DEVICE_NO_RESPONSE: 3022,
  /** The address could not be read (Neuron 3027 "read failure"). */
  READ_FAILURE: 3027,
} as const;
