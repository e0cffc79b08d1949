import { z } from 'zod';

/**
 * Names of devices, groups, tags and sinks appear in MQTT topics and Neuron payloads, so they
 * must not contain the topic separators and wildcards `/`, `+`, `#` [MQTT-4.7.1], nor start
 * with `$` (reserved for broker topics [MQTT-4.7.2]).
 */
export const NameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^$\s/+#][^/+#]*$/u, "must not contain '/', '+', '#' nor start with '$' or a space")
  .refine((s) => s === s.trimEnd(), 'must not end with a space');

/** Message for a discriminated union whose discriminator value is unknown: list the allowed ones. */
export function unknownKindMessage(kinds: readonly string[]) {
  return (issue: { code?: string }): string | undefined =>
    issue.code === 'invalid_union' ? `must be one of ${kinds.map((k) => `'${k}'`).join(', ')}` : undefined;
}
