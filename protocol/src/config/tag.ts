import { z } from 'zod';
import { NameSchema } from './names.js';
import { ACQUISITION_MODES } from './opcua.js';

export const TAG_TYPES = [
  'bool',
  'bit',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
  'string',
  'bytes',
] as const;
export const TagTypeSchema = z.enum(TAG_TYPES);
export type TagType = z.infer<typeof TagTypeSchema>;

/** The range of each integer tag type, inclusive (bigint, so the 64-bit ones are exact). */
export const INTEGER_TAG_RANGES: Readonly<Partial<Record<TagType, readonly [bigint, bigint]>>> = {
  int16: [-32_768n, 32_767n],
  uint16: [0n, 65_535n],
  int32: [-2_147_483_648n, 2_147_483_647n],
  uint32: [0n, 4_294_967_295n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** `r` read only, `rw` readable and writable (writes go to the device). */
export const TagAccessSchema = z.enum(['r', 'rw']);
export type TagAccess = z.infer<typeof TagAccessSchema>;

/**
 * A tag: one value read from a device. Its `address` is interpreted by the device's driver
 * (Neuron syntax for Modbus, a NodeId for OPC UA, a function for the simulator).
 * Published value = raw × scale + offset (Neuron's decimal and bias); a write divides back.
 */
export const TagSchema = z
  .object({
    name: NameSchema,
    address: z.string().min(1).max(256),
    type: TagTypeSchema,
    access: TagAccessSchema.default('r'),
    scale: z.number().finite().refine((v) => v !== 0, 'must not be 0').optional(),
    offset: z.number().finite().optional(),
    /** Significant decimal digits kept for float values (0–17), as Neuron's precision. */
    precision: z.number().int().min(0).max(17).optional(),
    /**
     * Report by exception: publish only when the value moved at least this much. For OPC UA
     * subscriptions it is also the server-side absolute deadband of the monitored item.
     */
    deadbandAbs: z.number().finite().min(0).optional(),
    unit: z.string().max(32).optional(),
    description: z.string().max(512).optional(),
  })
  .strict();
export type Tag = z.output<typeof TagSchema>;
export type TagInput = z.input<typeof TagSchema>;

export const GROUP_INTERVAL_MIN_MS = 10;
export const GROUP_INTERVAL_MAX_MS = 86_400_000;

/** A group: tags polled together every `intervalMs` and published together. */
export const GroupSchema = z
  .object({
    name: NameSchema,
    intervalMs: z.number().int().min(GROUP_INTERVAL_MIN_MS).max(GROUP_INTERVAL_MAX_MS),
    /**
     * OPC UA only: `subscribe` (the default there) has the server sample the tags at the interval
     * and report changes, honouring each tag's `deadbandAbs`; `poll` reads them all every interval.
     * Other drivers always poll.
     */
    acquisition: z.enum(ACQUISITION_MODES).optional(),
    tags: z.array(TagSchema).max(100_000).default([]),
  })
  .strict();
export type Group = z.output<typeof GroupSchema>;
export type GroupInput = z.input<typeof GroupSchema>;

const NUMERIC_TYPES = new Set<TagType>(['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64']);
export function isNumericTagType(t: TagType): boolean {
  return NUMERIC_TYPES.has(t);
}
