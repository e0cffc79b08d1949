import { z } from 'zod';
import { NameSchema } from './names.js';
import { GroupSchema } from './tag.js';
import { SimulatorSettingsSchema } from './simulator.js';
import { unknownKindMessage } from './names.js';

/** Every southbound driver kind a config may name. An agent build may include only some of them. */
export const DRIVER_KINDS = ['simulator', 'modbus-tcp', 'modbus-rtu', 'modbus-rtu-over-tcp', 'opcua'] as const;
export const DriverKindSchema = z.enum(DRIVER_KINDS);
export type DriverKind = z.infer<typeof DriverKindSchema>;

const PortSchema = z.number().int().min(1).max(65_535);
const TimeoutSchema = z.number().int().min(10).max(600_000);

export const ModbusTcpSettingsSchema = z
  .object({
    host: z.string().min(1).max(255),
    port: PortSchema.default(502),
    timeoutMs: TimeoutSchema.default(3000),
  })
  .strict();

export const ModbusRtuSettingsSchema = z
  .object({
    path: z.string().min(1).max(255),
    baudRate: z.number().int().min(300).max(4_000_000).default(9600),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    timeoutMs: TimeoutSchema.default(3000),
  })
  .strict();

export const OpcUaSettingsSchema = z
  .object({
    endpointUrl: z.string().regex(/^opc\.tcp:\/\/.+/, "must start with 'opc.tcp://'"),
  })
  .strict();

const deviceBase = {
  name: NameSchema,
  enabled: z.boolean().default(true),
  description: z.string().max(512).optional(),
  groups: z.array(GroupSchema).max(10_000).default([]),
};

/** A southbound device: one connection to a machine, polled in groups. Settings depend on the driver. */
export const DeviceSchema = z.discriminatedUnion('driver', [
  z.object({ ...deviceBase, driver: z.literal('simulator'), settings: SimulatorSettingsSchema }).strict(),
  z.object({ ...deviceBase, driver: z.literal('modbus-tcp'), settings: ModbusTcpSettingsSchema }).strict(),
  z.object({ ...deviceBase, driver: z.literal('modbus-rtu-over-tcp'), settings: ModbusTcpSettingsSchema }).strict(),
  z.object({ ...deviceBase, driver: z.literal('modbus-rtu'), settings: ModbusRtuSettingsSchema }).strict(),
  z.object({ ...deviceBase, driver: z.literal('opcua'), settings: OpcUaSettingsSchema }).strict(),
], { error: unknownKindMessage(DRIVER_KINDS) });
export type Device = z.output<typeof DeviceSchema>;
export type DeviceInput = z.input<typeof DeviceSchema>;
